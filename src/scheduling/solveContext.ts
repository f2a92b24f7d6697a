// What one solve shares between its existing nodes, planned NodeClaims and NodeClaim templates: the topology
// counts, the options, and caches of offering prices and offered domains (valid for one solve:
// instance-type arrays are immutable, so they are keyed by identity).
import * as L from "../apis/labels";
import { fits, type ResourceMap } from "../apis/quantity";
import type { Requirements } from "../apis/requirements";
import type { InstanceType } from "../cloudprovider/types";
import { cheapestOffering, sortByPrice, valuesOf } from "./instancetypes";
import { podRequests } from "./pods";
import { ReservationManager } from "./reservations";
import type { Topology } from "./topology";
import type { Pod, SchedulingOptions } from "./types";

type PriceTable = WeakMap<InstanceType, number>;
/** Prices per zone/capacity-type key: an instance type's offerings are immutable, so they hold across solves. */
const priceTables = new Map<string, PriceTable>();

export class SolveContext {
  private readonly domainCache = new WeakMap<InstanceType[], Map<string, string[]>>();
  /** minValues must hold (Strict, the default); BestEffort relaxes it. */
  readonly strictMinValues: boolean;

  constructor(
    readonly topology: Topology,
    readonly options: SchedulingOptions = {},
    /** Capacity-reservation slots of this solve and the planned claims holding them. */
    readonly reservations = new ReservationManager([], options.reservedOfferingMode),
  ) {
    this.strictMinValues = options.minValuesPolicy !== "BestEffort";
  }

  /** Cheapest available price per type under the zone/capacity-type requirements (filled lazily). */
  priceTable(reqs: Requirements): PriceTable {
    const key = priceKey(reqs);
    let m = priceTables.get(key);
    if (!m) {
      if (priceTables.size > 1000) priceTables.clear();
      priceTables.set(key, (m = new WeakMap()));
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

  /** The first cheapest of the types under reqs' zone/capacity type (cached per array: claims keep theirs). */
  cheapestOf(types: InstanceType[], reqs: Requirements): { type: InstanceType; price: number } {
    const key = priceKey(reqs);
    let m = cheapestCache.get(types);
    const hit = m?.get(key);
    if (hit) return hit;
    let best = { type: types[0]!, price: Infinity };
    const table = this.priceTable(reqs);
    for (const t of types) {
      const p = this.typePrice(t, reqs, table);
      if (p < best.price) best = { type: t, price: p };
    }
    if (!m) cheapestCache.set(types, (m = new Map()));
    m.set(key, best);
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
    const k = `${key}|${priceKey(reqs)}`;
    let v = m.get(k);
    if (!v) {
      const bound = universe && universe !== options ? this.offeredDomains(universe, key, reqs).length : Infinity;
      v = [...valuesOf(options, key, reqs, bound)].sort();
      m.set(k, v);
    }
    return v;
  }

  /** podRequests, memoised per pod object across solves (a per-solve copy of that cache cost a WeakMap insert per pod). */
  requestsOf(p: Pod): ResourceMap {
    return podRequests(p);
  }
}

/** $/h per normalised capacity unit (1 vCPU + 8 GiB ~ 1 unit each), roughly flat across c/m/r families. */
export function unitPrice(t: InstanceType, price: number): number {
  const units = (t.capacity.cpu ?? 0) / 1000 + (t.capacity.memory ?? 0) / (8 * 2 ** 30);
  return units > 0 ? price / units : Infinity;
}

// Facts about one instance-type array that hold as long as the array lives: arrays are immutable (see
// SchedulingInput.instanceTypes) and the template's compatible lists are shared across solves, so a small solve
// (one pod, a few pods) finds them computed by the previous solve instead of rescanning hundreds of types.
const maxAllocCache = new WeakMap<InstanceType[], ResourceMap>();
const growthCapCache = new WeakMap<InstanceType[], Map<string, number>>();
const byPriceCache = new WeakMap<InstanceType[], Map<string, InstanceType[]>>();

/** The largest allocatable of each resource among the types (an upper bound for quick rejection). */
export function maxAllocatable(types: InstanceType[]): ResourceMap {
  let m = maxAllocCache.get(types);
  if (!m) {
    m = {};
    for (const t of types)
      for (const k in t.allocatable) if ((m[k] ?? -1) < t.allocatable[k]!) m[k] = t.allocatable[k]!;
    maxAllocCache.set(types, m);
  }
  return m;
}

/** Key of the requirements a price depends on (zone, capacity type and, when set, the reservation labels). */
export function priceKey(reqs: Requirements): string {
  const z = reqs.get(L.LabelTopologyZone);
  const ct = reqs.get(L.LabelCapacityType);
  const key = `${z ? z.toString() : ""}|${ct ? ct.toString() : ""}`;
  const r = [L.LabelCapacityReservationID, L.LabelCapacityReservationType, L.LabelCapacityReservationInterruptible]
    .map((k) => reqs.get(k)?.toString() ?? "")
    .join("|");
  return r === "||" ? key : `${key}|${r}`;
}

/** Growth threshold of a claim opened with these compatible types: 1.5x their 10th-percentile unit price. */
export function growthCap(compat: InstanceType[], reqs: Requirements, ctx: SolveContext): number {
  const key = priceKey(reqs);
  let m = growthCapCache.get(compat);
  const hit = m?.get(key);
  if (hit !== undefined) return hit;
  const table = ctx.priceTable(reqs);
  const ups = compat
    .map((t) => unitPrice(t, ctx.typePrice(t, reqs, table)))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const cap = ups.length ? 1.5 * ups[Math.floor(ups.length * 0.1)]! : Infinity;
  if (!m) growthCapCache.set(compat, (m = new Map()));
  m.set(key, cap);
  return cap;
}

/**
 * The types offered under reqs' zone/capacity type, cheapest first then by name. `universe` (of which types is a
 * subset) is sorted once per requirements; a subset keeps its order (one order: price, then the unique name).
 */
export function offeredByPrice(types: InstanceType[], reqs: Requirements, universe?: InstanceType[]): InstanceType[] {
  const key = priceKey(reqs);
  let m = byPriceCache.get(types);
  let hit = m?.get(key);
  if (hit) return hit;
  if (universe && universe !== types) {
    const members = new Set(types);
    hit = offeredByPrice(universe, reqs).filter((t) => members.has(t));
  } else
    hit = sortByPrice(
      types.filter((t) => cheapestOffering(t, reqs) !== undefined),
      reqs,
    );
  if (!m) byPriceCache.set(types, (m = new Map()));
  m.set(key, hit);
  return hit;
}

const cheapestCache = new WeakMap<InstanceType[], Map<string, { type: InstanceType; price: number }>>();
const maxCapacityCache = new WeakMap<InstanceType[], ResourceMap>();
/** The largest capacity of each resource among the types (what a claim over them reserves of NodePool limits). */
export function maxCapacity(types: InstanceType[]): ResourceMap {
  let m = maxCapacityCache.get(types);
  if (!m) {
    m = {};
    for (const t of types) for (const k in t.capacity) if ((m[k] ?? -1) < t.capacity[k]!) m[k] = t.capacity[k]!;
    maxCapacityCache.set(types, m);
  }
  return m;
}

const fittingCache = new WeakMap<InstanceType[], Map<string, InstanceType[]>>();
/**
 * The types whose allocatable holds `requests` (the same array when all do). Cached per types array and
 * requests: a new claim is opened from a template's compatible list for each pod shape, again in every solve.
 */
export function fitting(types: InstanceType[], requests: ResourceMap): InstanceType[] {
  let key = "";
  for (const k in requests) key += `${k}=${requests[k]},`;
  let m = fittingCache.get(types);
  const hit = m?.get(key);
  if (hit) return hit;
  let out = types.filter((t) => fits(requests, t.allocatable));
  if (out.length === types.length) out = types;
  if (!m || m.size > 2000) fittingCache.set(types, (m = new Map()));
  m.set(key, out);
  return out;
}
