// A NodePool as the scheduler sees it (Karpenter scheduling/nodeclaimtemplate.go): its requirements and labels,
// the instance types they allow (cheapest first), daemonset overhead and host ports every new node carries, and
// what is left of its limits. Catalog-derived lists are shared across solves per (catalog, requirements).
import * as L from "../apis/labels";
import { addResources, parseResources, subtractResources, type ResourceMap } from "../apis/quantity";
import { Requirements } from "../apis/requirements";
import type { InstanceType } from "../cloudprovider/types";
import { offeringMatchesReq, offeringReqs, sortByPrice, typeIncompatibility } from "./instancetypes";
import { applyOverlays } from "./overlay";
import { podRequirements } from "./podContext";
import { maxCapacity } from "./solveContext";
import { podHostPorts, podRequests, untoleratedTaint, type HostPort } from "./pods";
import type { DaemonSet, NodePool, Pod, SchedulingInput, Taint } from "./types";

const catalogCaches = new WeakMap<InstanceType[], Map<string, InstanceType[] | string>>();
function sharedCache(catalog: InstanceType[]): Map<string, InstanceType[] | string> {
  let m = catalogCaches.get(catalog);
  if (!m || m.size > 20000) {
    m = new Map();
    catalogCaches.set(catalog, m);
  }
  return m;
}

interface OfferedDomains {
  zones: string[];
  capacityTypes: string[];
}
const offeredDomainCaches = new WeakMap<InstanceType[], Map<string, OfferedDomains>>();

/** A NodePool template's requirements plus its labels (the nodepool label included). */
export function nodePoolRequirements(np: NodePool): { reqs: Requirements; labels: Record<string, string> } {
  const name = np.metadata.name ?? "";
  const field = `NodePool ${name} spec.template.spec.requirements`;
  const reqs = Requirements.fromNodeSelector(np.spec.template.spec.requirements, field);
  const labels = { ...(np.spec.template.metadata?.labels ?? {}), [L.LabelNodePool]: name };
  reqs.addAll(Requirements.fromLabels(labels));
  return { reqs, labels };
}

export class NodeClaimTemplate {
  readonly name: string;
  readonly weight: number;
  readonly requirements: Requirements;
  readonly labels: Record<string, string>;
  readonly taints: Taint[];
  readonly startupTaints: Taint[];
  /** Instance types compatible with the requirements and with an available offering, cheapest first. */
  readonly types: InstanceType[];
  daemonOverhead: ResourceMap = { pods: 0 };
  readonly daemonPorts: HostPort[] = [];
  readonly limits?: ResourceMap;
  private remainingNow?: ResourceMap;
  /** Planned claims whose options changed since their reservation was last counted in `remaining`. */
  private readonly unsettled = new Set<{ settleReserved(): void }>();
  /** The zones / capacity types the pool's offerings reach (topology domains). */
  readonly offered: OfferedDomains;
  private readonly compatCache: Map<string, InstanceType[] | string>;
  private readonly compatPrefix: string;

  /** `usage`: capacity (and node count) of the pool's existing nodes and in-flight NodeClaims. */
  constructor(
    readonly nodePool: NodePool,
    input: SchedulingInput,
    usage: ResourceMap | undefined,
  ) {
    const name = (this.name = nodePool.metadata.name ?? "");
    const { reqs, labels } = nodePoolRequirements(nodePool);
    this.requirements = reqs;
    this.labels = labels;
    this.weight = nodePool.spec.weight ?? 0;
    this.taints = nodePool.spec.template.spec.taints ?? [];
    this.startupTaints = nodePool.spec.template.spec.startupTaints ?? [];
    const base = input.instanceTypesByNodePool?.[name] ?? input.instanceTypes;
    const catalog = applyOverlays(base, input.nodeOverlays);
    // Catalog-derived lists depend only on (catalog, requirements): share them across schedule() calls so
    // repeated simulations (consolidation) skip the per-call filtering/sorting of ~1,300 types.
    const shared = catalog === base ? sharedCache(base) : new Map<string, InstanceType[] | string>();
    const tkey = `tpl|${reqs.toString()}`;
    let types = shared.get(tkey) as InstanceType[] | undefined;
    if (!types) {
      types = sortByPrice(
        catalog.filter((t) => typeIncompatibility(t, reqs) === undefined),
        reqs,
      );
      shared.set(tkey, types);
    }
    this.types = types;
    this.compatCache = shared;
    this.compatPrefix = `${tkey}|`;
    if (nodePool.spec.limits) {
      this.limits = parseResources(nodePool.spec.limits, `NodePool ${name} spec.limits`);
      this.remainingNow = subtractResources(this.limits, usage ?? {});
    }
    this.addDaemonOverhead(input.daemonSets ?? []);
    let offered = catalog === base ? offeredDomainCaches.get(base)?.get(tkey) : undefined;
    if (!offered) {
      offered = scanOfferedDomains(types, reqs);
      if (catalog === base) {
        if (!offeredDomainCaches.has(base)) offeredDomainCaches.set(base, new Map());
        offeredDomainCaches.get(base)!.set(tkey, offered);
      }
    }
    this.offered = offered;
  }

  private addDaemonOverhead(daemonSets: DaemonSet[]): void {
    const key = (ds: DaemonSet): string => (ds.metadata.namespace ?? "") + "/" + (ds.metadata.name ?? "");
    for (const ds of [...daemonSets].sort((a, b) => (key(a) < key(b) ? -1 : 1))) {
      const pod: Pod = {
        metadata: { ...(ds.spec.template.metadata ?? {}), name: ds.metadata.name, namespace: ds.metadata.namespace },
        spec: ds.spec.template.spec,
      };
      if (untoleratedTaint(this.taints, pod.spec.tolerations)) continue;
      if (this.requirements.compatible(podRequirements(pod))) continue;
      this.daemonOverhead = addResources(this.daemonOverhead, podRequests(pod));
      this.daemonPorts.push(...podHostPorts(pod));
    }
  }

  /** The pool's types compatible with `reqs` (cached), or why none is. */
  compatibleTypes(reqs: Requirements): InstanceType[] | string {
    const key = this.compatPrefix + reqs.toString();
    const hit = this.compatCache.get(key);
    if (hit !== undefined) return hit;
    let out: InstanceType[] | string = this.types.filter((t) => typeIncompatibility(t, reqs) === undefined);
    if (out.length === 0) {
      const sample = this.types.length
        ? typeIncompatibility(this.types[0]!, reqs)
        : "the NodePool's requirements match no instance type with an available offering";
      out = `no instance type satisfies the combined requirements (${reqs.toString()})${sample ? ` — e.g. ${this.types[0]?.name ?? ""} ${sample}` : ""}`;
    }
    this.compatCache.set(key, out);
    return out;
  }

  /**
   * Limits minus what existing nodes, in-flight NodeClaims and this solve's planned NodeClaims reserve. A claim's
   * reservation changes with its options on every pod it takes; it is counted when the limits are next read.
   */
  get remaining(): ResourceMap | undefined {
    if (this.unsettled.size) {
      const claims = [...this.unsettled];
      this.unsettled.clear();
      for (const c of claims) c.settleReserved();
    }
    return this.remainingNow;
  }
  set remaining(r: ResourceMap | undefined) {
    this.remainingNow = r;
  }

  /** The claim's options changed: its reservation is recounted on the next read of `remaining`. */
  reservationChanged(claim: { settleReserved(): void }): void {
    if (this.limits && this.remainingNow) this.unsettled.add(claim);
  }

  /** Whether one more node of type t stays within the remaining limits. */
  withinLimits(t: InstanceType): boolean {
    if (!this.limits || !this.remaining) return true;
    for (const k in this.limits) {
      const need = k === "nodes" ? 1 : (t.capacity[k] ?? 0);
      if (need > (this.remaining[k] ?? 0)) return false;
    }
    return true;
  }

  /** Whether every one of the types stays within the remaining limits (one check against their largest). */
  withinLimitsAll(types: InstanceType[]): boolean {
    if (!this.limits || !this.remaining) return true;
    const most = maxCapacity(types);
    for (const k in this.limits) {
      const need = k === "nodes" ? 1 : Math.max(0, most[k] ?? 0);
      if (need > (this.remaining[k] ?? 0)) return false;
    }
    return true;
  }

  /** What is left of each resource the NodePool actually limits (unlimited resources are not worth printing). */
  limitedRemaining(): ResourceMap {
    const out: ResourceMap = {};
    for (const k in this.limits ?? {}) out[k] = Math.max(0, this.remaining?.[k] ?? 0);
    return out;
  }
}

/** A scan of every offering of the pool's types (shared per catalog and requirements). */
function scanOfferedDomains(types: InstanceType[], reqs: Requirements): OfferedDomains {
  const zones = new Set<string>(),
    cts = new Set<string>();
  const q = offeringReqs(reqs);
  for (const t of types)
    for (const o of t.offerings)
      if (offeringMatchesReq(o, q)) {
        zones.add(o.zone);
        cts.add(o.capacityType);
      }
  return { zones: [...zones], capacityTypes: [...cts] };
}
