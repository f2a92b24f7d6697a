// What one solve shares between its existing nodes, planned NodeClaims and NodeClaim templates: the topology
// counts, the options, and caches of offering prices, offered domains and pod requests (valid for one solve:
// instance-type arrays are immutable, so they are keyed by identity).
import * as L from "../apis/labels";
import type { ResourceMap } from "../apis/quantity";
import type { Requirements } from "../apis/requirements";
import type { InstanceType } from "../cloudprovider/types";
import { cheapestOffering, valuesOf } from "./instancetypes";
import { podRequests } from "./pods";
import type { Topology } from "./topology";
import type { Pod, SchedulingOptions } from "./types";

export class SolveContext {
  private readonly priceCache = new Map<string, Map<InstanceType, number>>();
  private readonly domainCache = new WeakMap<InstanceType[], Map<string, string[]>>();
  private readonly reqCache = new WeakMap<Pod, ResourceMap>();
  /** minValues must hold (Strict, the default); BestEffort relaxes it. */
  readonly strictMinValues: boolean;

  constructor(
    readonly topology: Topology,
    readonly options: SchedulingOptions = {},
  ) {
    this.strictMinValues = options.minValuesPolicy !== "BestEffort";
  }

  /** Cheapest available price per type under the zone/capacity-type requirements (filled lazily). */
  priceTable(reqs: Requirements): Map<InstanceType, number> {
    const z = reqs.get(L.LabelTopologyZone);
    const ct = reqs.get(L.LabelCapacityType);
    const key = `${z ? z.toString() : ""}|${ct ? ct.toString() : ""}`;
    let m = this.priceCache.get(key);
    if (!m) {
      m = new Map();
      this.priceCache.set(key, m);
    }
    return m;
  }

  typePrice(t: InstanceType, reqs: Requirements, table = this.priceTable(reqs)): number {
    let p = table.get(t);
    if (p === undefined) {
      p = cheapestOffering(t, reqs)?.price ?? Infinity;
      table.set(t, p);
    }
    return p;
  }

  cheapestOf(types: InstanceType[], reqs: Requirements): { type: InstanceType; price: number } {
    let best = { type: types[0]!, price: Infinity };
    const table = this.priceTable(reqs);
    for (const t of types) {
      const p = this.typePrice(t, reqs, table);
      if (p < best.price) best = { type: t, price: p };
    }
    return best;
  }

  /**
   * Zone / capacity-type values the options offer under reqs. `universe` (the template's types, of which options
   * are a subset) bounds the answer: once the options reach every value the universe has, the scan stops. Options
   * are a fresh array per tentative placement, so this runs per pod and claim; most types offer every zone.
   */
  offeredDomains(options: InstanceType[], key: string, reqs: Requirements, universe?: InstanceType[]): string[] {
    let m = this.domainCache.get(options);
    if (!m) {
      m = new Map();
      this.domainCache.set(options, m);
    }
    const k = `${key}|${reqs.get(L.LabelTopologyZone)?.toString() ?? ""}|${reqs.get(L.LabelCapacityType)?.toString() ?? ""}`;
    let v = m.get(k);
    if (!v) {
      const bound = universe && universe !== options ? this.offeredDomains(universe, key, reqs).length : Infinity;
      v = [...valuesOf(options, key, reqs, bound)].sort();
      m.set(k, v);
    }
    return v;
  }

  requestsOf(p: Pod): ResourceMap {
    let r = this.reqCache.get(p);
    if (!r) {
      r = podRequests(p);
      this.reqCache.set(p, r);
    }
    return r;
  }
}

/** $/h per normalised capacity unit (1 vCPU + 8 GiB ~ 1 unit each), roughly flat across c/m/r families. */
export function unitPrice(t: InstanceType, price: number): number {
  const units = (t.capacity.cpu ?? 0) / 1000 + (t.capacity.memory ?? 0) / (8 * 2 ** 30);
  return units > 0 ? price / units : Infinity;
}
