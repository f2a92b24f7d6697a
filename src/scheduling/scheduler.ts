// The scheduling simulation (Karpenter provisioning/scheduling/scheduler.go): pods sorted by cpu then memory
// (descending) are placed on (1) existing nodes, (2) in-flight NodeClaims, (3) NodeClaims planned in this run,
// (4) a new NodeClaim from the highest-weight compatible NodePool. A planned NodeClaim keeps every instance type
// that still fits all its pods; the cheapest is launched. Preferences are relaxed one at a time on failure.
// Pure, synchronous and deterministic.
import * as L from "../apis/labels";
import {
  addResources,
  fits,
  formatResources,
  parseResources,
  subtractResources,
  type ResourceMap,
} from "../apis/quantity";
import type { InstanceType } from "../cloudprovider/types";
import {
  cheapestOffering,
  minValuesViolation,
  sortByPrice,
  truncate,
  typeIncompatibility,
  valuesOf,
} from "./instancetypes";
import { applyOverlays } from "./overlay";
import {
  hostPortsConflict,
  isDaemonSetPod,
  podHostPorts,
  podKey,
  podRequests,
  untoleratedTaint,
  type HostPort,
} from "./pods";
import { dropPreferences, relax, relaxableCopy } from "./preferences";
import { Requirement, Requirements } from "../apis/requirements";
import { Topology, type PodTopology, type TopologyGroup } from "./topology";
import type {
  ExistingAssignment,
  NewNodeClaim,
  NodePool,
  Pod,
  SchedulingInput,
  SchedulingResult,
  Taint,
  UnschedulablePod,
} from "./types";
import { improve, isMovable } from "./improve";

export const DEFAULT_MAX_INSTANCE_TYPES = 60;

interface Template {
  name: string;
  nodePool: NodePool;
  weight: number;
  requirements: Requirements;
  labels: Record<string, string>;
  taints: Taint[];
  startupTaints: Taint[];
  types: InstanceType[];
  daemonOverhead: ResourceMap;
  daemonPorts: HostPort[];
  limits?: ResourceMap;
  remaining?: ResourceMap;
  compatCache: Map<string, InstanceType[] | string>;
  compatPrefix: string;
}

const catalogCaches = new WeakMap<InstanceType[], Map<string, InstanceType[] | string>>();
function sharedCache(catalog: InstanceType[]): Map<string, InstanceType[] | string> {
  let m = catalogCaches.get(catalog);
  if (!m || m.size > 20000) {
    m = new Map();
    catalogCaches.set(catalog, m);
  }
  return m;
}

const offeredDomains = new WeakMap<InstanceType[], Map<string, { zones: string[]; capacityTypes: string[] }>>();

/** A compiled pod attempt (after any relaxation). */
interface PodCtx {
  pod: Pod;
  key: string;
  requests: ResourceMap;
  ports: HostPort[];
  reqs: Requirements;
  reqsKey: string;
  pt: PodTopology;
  topoKeys: string[];
  /** Keys of the pod's own anti-affinity groups (fast reject in tryClaim). */
  antiKeys: string[];
  selecting: TopologyGroup[];
}

export class NodeTarget {
  readonly pods: Pod[] = [];
  readonly newPods: Pod[] = [];
  ports: HostPort[] = [];
  constructor(
    readonly name: string,
    readonly kind: "Node" | "NodeClaim",
    readonly labels: Record<string, string>,
    readonly taints: Taint[],
    readonly allocatable: ResourceMap,
    public used: ResourceMap,
    readonly schedulable: boolean,
  ) {}
  domain(key: string): string | undefined {
    return key === L.LabelHostname ? (this.labels[key] ?? this.name) : this.labels[key];
  }
}

export class ClaimTarget {
  readonly pods: Pod[] = [];
  ports: HostPort[];
  requests: ResourceMap;
  maxAlloc: ResourceMap = {};
  reserved: ResourceMap = {};
  /** Cheapest option's price now, and the $/unit above which the claim may not grow (cost-aware packing). */
  price = 0;
  unitCap = Infinity;
  constructor(
    readonly name: string,
    readonly template: Template,
    public reqs: Requirements,
    public options: InstanceType[],
  ) {
    this.requests = { ...template.daemonOverhead };
    this.ports = [...template.daemonPorts];
    this.refreshMax();
  }
  private maxFor?: InstanceType[];
  private maxForLen = 0;
  /**
   * maxAlloc is an upper bound used for quick rejection. Options only shrink, so a stale bound stays valid;
   * recompute only when the options shrank noticeably (or when forced after a failed fit).
   */
  refreshMax(force = false): void {
    if (this.maxFor === this.options) return;
    if (!force && this.maxFor && this.options.length > 0.8 * this.maxForLen) return;
    this.maxFor = this.options;
    this.maxForLen = this.options.length;
    const m: ResourceMap = {};
    for (const t of this.options)
      for (const k in t.allocatable) if ((m[k] ?? -1) < t.allocatable[k]!) m[k] = t.allocatable[k]!;
    this.maxAlloc = m;
  }
  domain(key: string): string | undefined {
    if (key === L.LabelHostname) return this.name;
    const r = this.reqs.get(key);
    return r && !r.complement && r.values.size === 1 ? [...r.values][0] : undefined;
  }
}

function sortPods(pods: Array<{ pod: Pod; requests: ResourceMap; key: string }>): void {
  pods.sort(
    (a, b) =>
      (b.requests.cpu ?? 0) - (a.requests.cpu ?? 0) ||
      (b.requests.memory ?? 0) - (a.requests.memory ?? 0) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

/** Node requirements of a pod: nodeSelector, first required node-affinity term, heaviest preferred term. */
export function podRequirements(pod: Pod): Requirements {
  const f = `pod ${podKey(pod)}`;
  const r = Requirements.fromLabels(pod.spec.nodeSelector);
  const na = pod.spec.affinity?.nodeAffinity;
  const pref = [...(na?.preferredDuringSchedulingIgnoredDuringExecution ?? [])].sort((a, b) => b.weight - a.weight)[0];
  if (pref) r.addAll(Requirements.fromNodeSelector(pref.preference.matchExpressions, `${f} preferred node affinity`));
  const term = na?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0];
  if (term)
    r.addAll(
      Requirements.fromNodeSelector(
        term.matchExpressions,
        `${f} spec.affinity.nodeAffinity.required.nodeSelectorTerms[0]`,
      ),
    );
  return r;
}

/** A NodePool template's requirements plus its labels (the nodepool label included). */
export function nodePoolRequirements(np: NodePool): { reqs: Requirements; labels: Record<string, string> } {
  const name = np.metadata.name ?? "";
  const field = `NodePool ${name} spec.template.spec.requirements`;
  const reqs = Requirements.fromNodeSelector(np.spec.template.spec.requirements, field);
  const labels = { ...(np.spec.template.metadata?.labels ?? {}), [L.LabelNodePool]: name };
  reqs.addAll(Requirements.fromLabels(labels));
  return { reqs, labels };
}

export function schedule(input: SchedulingInput): SchedulingResult {
  return new Scheduler(input).run();
}

class Scheduler {
  private readonly maxTypes: number;
  private readonly templates: Template[] = [];
  private readonly nodes: NodeTarget[] = [];
  private readonly claims: ClaimTarget[] = [];
  private readonly topology: Topology;
  private readonly unschedulable: UnschedulablePod[] = [];
  private claimSeq = 0;

  constructor(private readonly input: SchedulingInput) {
    this.maxTypes = input.options?.maxInstanceTypes ?? DEFAULT_MAX_INSTANCE_TYPES;
    const domains = new Map<string, Set<string>>();
    const addDomain = (k: string, v: string): void => {
      if (!domains.has(k)) domains.set(k, new Set());
      domains.get(k)!.add(v);
    };
    const usage = this.usageByNodePool();
    for (const np of [...input.nodePools].sort(
      (a, b) =>
        (b.spec.weight ?? 0) - (a.spec.weight ?? 0) || ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1),
    )) {
      if (np.spec.replicas !== undefined && np.spec.replicas !== null) continue; // static NodePools are not scheduled into
      const name = np.metadata.name ?? "";
      const { reqs, labels } = nodePoolRequirements(np);
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
      const tpl: Template = {
        name,
        nodePool: np,
        weight: np.spec.weight ?? 0,
        requirements: reqs,
        labels,
        taints: np.spec.template.spec.taints ?? [],
        startupTaints: np.spec.template.spec.startupTaints ?? [],
        types,
        daemonOverhead: { pods: 0 },
        daemonPorts: [],
        compatCache: shared,
        compatPrefix: `${tkey}|`,
      };
      if (np.spec.limits) {
        tpl.limits = parseResources(np.spec.limits, `NodePool ${name} spec.limits`);
        tpl.remaining = subtractResources(tpl.limits, usage.get(name) ?? {});
      }
      this.computeDaemonOverhead(tpl);
      this.templates.push(tpl);
      // The zones / capacity types the pool's offerings reach: a scan of every offering, shared like `types`.
      let offered = catalog === base ? offeredDomains.get(base)?.get(tkey) : undefined;
      if (!offered) {
        const zones = new Set<string>(),
          cts = new Set<string>();
        for (const t of types)
          for (const o of t.offerings)
            if (
              o.available &&
              reqs.get(L.LabelTopologyZone)?.has(o.zone) !== false &&
              reqs.get(L.LabelCapacityType)?.has(o.capacityType) !== false
            ) {
              zones.add(o.zone);
              cts.add(o.capacityType);
            }
        offered = { zones: [...zones], capacityTypes: [...cts] };
        if (catalog === base) {
          if (!offeredDomains.has(base)) offeredDomains.set(base, new Map());
          offeredDomains.get(base)!.set(tkey, offered);
        }
      }
      for (const z of offered.zones) addDomain(L.LabelTopologyZone, z);
      for (const ct of offered.capacityTypes) addDomain(L.LabelCapacityType, ct);
      for (const r of reqs.values())
        if (!r.complement && r.key !== L.LabelTopologyZone && r.key !== L.LabelCapacityType)
          r.values.forEach((v) => addDomain(r.key, v));
    }
    this.topology = new Topology(domains);
    this.buildNodes(addDomain);
  }

  private usageByNodePool(): Map<string, ResourceMap> {
    const out = new Map<string, ResourceMap>();
    const add = (np: string | undefined, cap: ResourceMap): void => {
      if (!np) return;
      out.set(np, addResources(out.get(np) ?? {}, { ...cap, nodes: 1 }));
    };
    for (const n of this.input.existingNodes ?? []) {
      add(
        n.node.metadata.labels?.[L.LabelNodePool],
        parseResources(
          n.node.status?.capacity ?? n.node.status?.allocatable,
          `Node ${n.node.metadata.name} status.capacity`,
        ),
      );
    }
    for (const c of this.input.inFlightNodeClaims ?? []) {
      const nc = c.nodeClaim;
      add(
        nc.metadata.labels?.[L.LabelNodePool],
        this.claimCapacity(
          nc.metadata.labels,
          nc.status?.capacity,
          nc.spec.resources?.requests,
          `NodeClaim ${nc.metadata.name}`,
          "capacity",
        ),
      );
    }
    return out;
  }

  private claimCapacity(
    labels: Record<string, string> | undefined,
    status: Record<string, string | number> | undefined,
    requests: Record<string, string | number> | undefined,
    field: string,
    which: "capacity" | "allocatable",
  ): ResourceMap {
    if (status) return parseResources(status, `${field} status.${which}`);
    const it = this.input.instanceTypes.find((t) => t.name === labels?.[L.LabelInstanceType]);
    if (it) return { ...it[which] };
    return parseResources(requests, `${field} spec.resources.requests`);
  }

  private computeDaemonOverhead(tpl: Template): void {
    for (const ds of [...(this.input.daemonSets ?? [])].sort((a, b) =>
      (a.metadata.namespace ?? "") + "/" + (a.metadata.name ?? "") <
      (b.metadata.namespace ?? "") + "/" + (b.metadata.name ?? "")
        ? -1
        : 1,
    )) {
      const pod: Pod = {
        metadata: { ...(ds.spec.template.metadata ?? {}), name: ds.metadata.name, namespace: ds.metadata.namespace },
        spec: ds.spec.template.spec,
      };
      if (untoleratedTaint(tpl.taints, pod.spec.tolerations)) continue;
      if (tpl.requirements.compatible(podRequirements(pod))) continue;
      tpl.daemonOverhead = addResources(tpl.daemonOverhead, podRequests(pod));
      tpl.daemonPorts.push(...podHostPorts(pod));
    }
  }

  private buildNodes(addDomain: (k: string, v: string) => void): void {
    const existing = [...(this.input.existingNodes ?? [])].sort((a, b) =>
      (a.node.metadata.name ?? "") < (b.node.metadata.name ?? "") ? -1 : 1,
    );
    for (const n of existing) {
      const name = n.node.metadata.name ?? "";
      const labels = { [L.LabelHostname]: name, ...(n.node.metadata.labels ?? {}) };
      const alloc = parseResources(
        n.node.status?.allocatable ?? n.node.status?.capacity,
        `Node ${name} status.allocatable`,
      );
      this.addNodeTarget(
        new NodeTarget(
          name,
          "Node",
          labels,
          n.node.spec?.taints ?? [],
          alloc,
          {},
          !n.markedForDeletion && !n.node.spec?.unschedulable,
        ),
        n.pods,
        addDomain,
      );
    }
    const inflight = [...(this.input.inFlightNodeClaims ?? [])].sort((a, b) =>
      (a.nodeClaim.metadata.name ?? "") < (b.nodeClaim.metadata.name ?? "") ? -1 : 1,
    );
    for (const c of inflight) {
      const nc = c.nodeClaim;
      const name = nc.status?.nodeName ?? nc.metadata.name ?? "";
      const reqs = Requirements.fromNodeSelector(
        nc.spec.requirements,
        `NodeClaim ${nc.metadata.name} spec.requirements`,
      );
      const labels = { [L.LabelHostname]: name, ...reqs.singleValueLabels(), ...(nc.metadata.labels ?? {}) };
      let alloc = this.claimCapacity(
        labels,
        nc.status?.allocatable,
        undefined,
        `NodeClaim ${nc.metadata.name}`,
        "allocatable",
      );
      if (Object.keys(alloc).length === 0) {
        // Not launched yet and type unknown: assume the smallest compatible type (never over-commit).
        const types = this.input.instanceTypes.filter(
          (t) =>
            typeIncompatibility(t, reqs) === undefined &&
            fits(parseResources(nc.spec.resources?.requests), t.allocatable),
        );
        alloc = types.length
          ? types.reduce((m, t) => (t.allocatable.cpu! < m.cpu! ? t.allocatable : m), types[0]!.allocatable)
          : parseResources(nc.spec.resources?.requests);
      }
      this.addNodeTarget(
        new NodeTarget(name, "NodeClaim", labels, nc.spec.taints ?? [], alloc, {}, !c.markedForDeletion),
        c.pods ?? [],
        addDomain,
      );
    }
  }

  private addNodeTarget(t: NodeTarget, pods: Pod[], addDomain: (k: string, v: string) => void): void {
    for (const [k, v] of Object.entries(t.labels)) if (k !== L.LabelHostname) addDomain(k, v);
    for (const p of pods) {
      t.used = addResources(t.used, podRequests(p));
      t.ports.push(...podHostPorts(p));
      t.pods.push(p);
      this.topology.recordExisting({ pod: p, domain: (k) => t.domain(k) });
    }
    this.nodes.push(t);
  }

  run(): SchedulingResult {
    const policy = this.input.options?.preferencePolicy ?? "Respect";
    const queue: Array<{ pod: Pod; key: string; requests: ResourceMap }> = [];
    for (const p of this.input.pods) {
      if (p.spec.nodeName || isDaemonSetPod(p)) continue;
      // One malformed pod must not block the others: it becomes unschedulable with the parse error as reason.
      try {
        queue.push({ pod: p, key: podKey(p), requests: this.requestsOf(p) });
      } catch (e) {
        this.unschedulable.push({ pod: p, key: podKey(p), reason: (e as Error).message });
      }
    }
    sortPods(queue);
    // Like Karpenter, build every pending pod's topology groups up front so that pods placed early are counted
    // (and their domain pinned) for groups whose owners are scheduled later.
    for (const q of queue) {
      try {
        this.topology.podTopology(q.pod);
      } catch {
        /* reported when the pod is tried */
      }
    }
    const seen = new Set<string>();
    for (const q of queue) {
      if (seen.has(q.key)) continue;
      seen.add(q.key);
      let pod = policy === "Ignore" ? dropPreferences(q.pod) : q.pod;
      let reason: string | undefined;
      try {
        reason = this.tryPod(this.compile(pod, q.requests));
        let copied = policy === "Ignore";
        while (reason !== undefined) {
          if (!copied) {
            pod = relaxableCopy(pod);
            copied = true;
          }
          if (relax(pod) === undefined) break;
          reason = this.tryPod(this.compile(pod, q.requests));
        }
      } catch (e) {
        reason = (e as Error).message;
      }
      if (reason !== undefined) this.unschedulable.push({ pod: q.pod, key: q.key, reason });
    }
    if (this.input.options?.improve !== false) {
      for (const cl of [...this.claims]) this.spill(cl);
      this.merge();
    }
    return this.result();
  }

  /** Pods that can move between planned claims without changing any topology, port or affinity decision. */
  private isFree(p: Pod): boolean {
    return (
      isMovable(p) && this.topology.groupsSelecting(p).length === 0 && this.topology.inverseSelecting(p).length === 0
    );
  }

  /**
   * Splitting improvement: a claim that just overflowed a size boundary (e.g. 65 vCPU on a 96-vCPU type) is often
   * cheaper as a smaller type plus a small claim for its smallest pods. Tries spilling 1..50 smallest free pods.
   */
  private spill(cl: ClaimTarget): void {
    if (cl.pods.length < 2) return;
    const compat = this.compatibleTypes(cl.template, cl.reqs);
    if (typeof compat === "string") return;
    const table = this.priceTable(cl.reqs);
    const limits = cl.template.limits;
    // The kept claim may not reserve more than it already does; the new one must fit the remaining limits.
    const withinOwn = (t: InstanceType): boolean =>
      !limits || Object.keys(limits).every((k) => k === "nodes" || (t.capacity[k] ?? 0) <= (cl.reserved[k] ?? 0));
    const cheapestFit = (req: ResourceMap, isNew: boolean): { types: InstanceType[]; price: number } => {
      const types = compat.filter(
        (t) => fits(req, t.allocatable) && (isNew ? this.withinLimits(cl.template, t) : withinOwn(t)),
      );
      let price = Infinity;
      for (const t of types) price = Math.min(price, this.typePrice(t, cl.reqs, table));
      return { types, price };
    };
    const free = cl.pods
      .filter((p) => this.isFree(p))
      .sort(
        (a, b) =>
          (this.requestsOf(a).cpu ?? 0) - (this.requestsOf(b).cpu ?? 0) ||
          (this.requestsOf(a).memory ?? 0) - (this.requestsOf(b).memory ?? 0),
      );
    let spilled: ResourceMap = {};
    for (let k = 1; k <= Math.min(50, free.length, cl.pods.length - 1); k++) {
      spilled = addResources(spilled, this.requestsOf(free[k - 1]!));
      const keep = cheapestFit(subtractResources(cl.requests, spilled), false);
      if (keep.price >= cl.price - 1e-9) continue;
      const out = cheapestFit(addResources(cl.template.daemonOverhead, spilled), true);
      if (keep.price + out.price >= cl.price - 1e-9) continue;
      if (minValuesViolation(keep.types, cl.reqs) || minValuesViolation(out.types, cl.reqs)) continue;
      const moved = new Set(free.slice(0, k));
      const name = `${this.input.options?.namePrefix ?? ""}${cl.template.name}-${String(++this.claimSeq).padStart(4, "0")}`;
      const nc = new ClaimTarget(name, cl.template, cl.reqs.clone(), out.types);
      nc.requests = addResources(cl.template.daemonOverhead, spilled);
      nc.pods.push(...moved);
      nc.price = out.price;
      nc.unitCap = cl.unitCap;
      nc.refreshMax(true);
      this.updateReserved(nc);
      this.claims.push(nc);
      const kept = cl.pods.filter((p) => !moved.has(p));
      cl.pods.length = 0;
      cl.pods.push(...kept);
      cl.requests = subtractResources(cl.requests, spilled);
      cl.options = keep.types;
      cl.price = keep.price;
      cl.refreshMax(true);
      this.updateReserved(cl);
      return;
    }
  }

  private merge(): void {
    improve(
      this.claims,
      {
        price: (c) => c.price,
        tryAdd: (c, p) => this.tryAdd(c, p),
        load: (c) => {
          let r: ResourceMap = {};
          for (const p of c.pods) r = addResources(r, this.requestsOf(p));
          return r;
        },
        spare: (c) => subtractResources(c.maxAlloc, c.requests),
        group: (c) => c.template,
        save: (c) => ({ reqs: c.reqs, options: c.options, requests: c.requests, pods: [...c.pods], price: c.price }),
        restore: (c, st) => {
          const s = st as {
            reqs: Requirements;
            options: InstanceType[];
            requests: ResourceMap;
            pods: Pod[];
            price: number;
          };
          c.reqs = s.reqs;
          c.options = s.options;
          c.requests = s.requests;
          c.price = s.price;
          c.pods.length = 0;
          c.pods.push(...s.pods);
          c.refreshMax(true);
          this.updateReserved(c);
        },
      },
      undefined,
      (p) => this.isFree(p),
    );
  }

  private compile(pod: Pod, requests: ResourceMap): PodCtx {
    const reqs = podRequirements(pod);
    const pt = this.topology.podTopology(pod);
    const keys = new Set<string>(pt.owned.map((g) => g.key));
    for (const g of this.topology.inverseSelecting(pod)) keys.add(g.key);
    const selecting = this.topology.groupsSelecting(pod);
    for (const g of selecting) keys.add(g.key);
    const antiKeys = [...new Set(pt.owned.filter((g) => g.type === "antiAffinity").map((g) => g.key))].sort();
    return {
      pod,
      key: podKey(pod),
      requests,
      ports: podHostPorts(pod),
      reqs,
      reqsKey: reqs.toString(),
      pt,
      topoKeys: [...keys].sort(),
      antiKeys,
      selecting,
    };
  }

  /** Places the pod somewhere; returns undefined on success or the reason it could not be placed. */
  private tryPod(c: PodCtx): string | undefined {
    for (const n of this.nodes) if (this.tryNode(n, c) === undefined) return undefined;
    const claimReasons: string[] = [];
    for (const cl of this.claims) {
      const r = this.tryClaim(cl, c);
      if (r === undefined) return undefined;
      if (claimReasons.length < 1) claimReasons.push(r);
    }
    const reasons: string[] = [];
    for (const tpl of this.templates) {
      const r = this.tryNewClaim(tpl, c);
      if (r === undefined) return undefined;
      reasons.push(`NodePool "${tpl.name}": ${r}`);
    }
    if (this.templates.length === 0)
      return "no NodePool can provision nodes (none defined, or all are static with spec.replicas)";
    return reasons.join("; ");
  }

  private tryNode(n: NodeTarget, c: PodCtx): string | undefined {
    if (!n.schedulable) return "node is not schedulable";
    const taint = untoleratedTaint(n.taints, c.pod.spec.tolerations);
    if (taint) return `taint ${taint.key}=${taint.value ?? ""}:${taint.effect} not tolerated`;
    const m = c.reqs.matchLabels(n.labels);
    if (m) return m;
    const used = addResources(n.used, c.requests);
    if (!fits(used, n.allocatable)) return "insufficient resources";
    if (c.ports.some((p) => n.ports.some((q) => hostPortsConflict(p, q)))) return "host port conflict";
    for (const k of c.topoKeys) {
      const d = n.domain(k);
      if (d === undefined) {
        if (c.pt.owned.some((g) => g.key === k && g.type !== "antiAffinity")) return `node has no ${k} label`;
        continue;
      }
      const a = this.topology.allowed(c.pod, c.pt, k, [d], (v) => c.reqs.get(k)?.has(v) ?? true);
      if ("reason" in a || a.domains.length === 0) return "reason" in a ? a.reason : "topology";
    }
    n.used = used;
    n.ports.push(...c.ports);
    n.pods.push(c.pod);
    n.newPods.push(c.pod);
    this.topology.record({ pod: c.pod, domain: (k) => n.domain(k) }, c.pt);
    return undefined;
  }

  /** Candidate domains a planned NodeClaim can still take for a topology key. */
  private claimDomains(
    cl: { name: string; options: InstanceType[]; universe: InstanceType[] },
    reqs: Requirements,
    key: string,
  ): string[] | undefined {
    if (key === L.LabelHostname) return [cl.name];
    const r = reqs.get(key);
    // Options are always kept consistent with reqs, so a pinned value is offered by some option.
    if (r && !r.complement && r.values.size === 1) return [...r.values];
    if (key === L.LabelTopologyZone || key === L.LabelCapacityType)
      return this.cachedDomains(cl.options, key, reqs, cl.universe);
    if (!r) return undefined;
    if (!r.complement) return r.sortedValues();
    return [...(this.topology.domains.get(key) ?? [])].filter((v) => r.has(v)).sort();
  }

  /** Applies topology to a (tentative) claim: narrows reqs by pinning domains. Returns a reason on failure. */
  private applyTopology(
    cl: { name: string; options: InstanceType[]; universe: InstanceType[] },
    reqs: Requirements,
    c: PodCtx,
  ): string | undefined {
    for (const k of c.topoKeys) {
      const cands = this.claimDomains(cl, reqs, k);
      if (cands === undefined) {
        if (c.pt.owned.some((g) => g.key === k && g.type !== "antiAffinity"))
          return `NodeClaim would have no ${k} label`;
        continue;
      }
      const a = this.topology.allowed(c.pod, c.pt, k, cands, (v) => c.reqs.get(k)?.has(v) ?? true);
      if ("reason" in a) return a.reason;
      if (a.domains.length === 0) return `no ${k} domain left`;
      if (k !== L.LabelHostname) {
        const pick = this.topology.rank(c.pt, k, a.domains, c.selecting)[0]!;
        reqs.add(Requirement.in(k, pick));
        if (k === L.LabelTopologyZone || k === L.LabelCapacityType) {
          const tbl = this.priceTable(reqs);
          cl.options = cl.options.filter((t) => this.typePrice(t, reqs, tbl) < Infinity);
        }
      }
    }
    return undefined;
  }

  private tryClaim(cl: ClaimTarget, c: PodCtx): string | undefined {
    const tpl = cl.template;
    // A pod with hostname (or pinned-zone) anti-affinity rejects most planned claims; say so before costlier checks.
    for (const k of c.antiKeys) {
      const d = cl.domain(k);
      if (d !== undefined && this.topology.antiBlocks(c.pt, k, d))
        return `pod anti-affinity on ${k}: ${d} already runs a matching pod`;
    }
    const requests = addResources(cl.requests, c.requests);
    if (!fits(requests, cl.maxAlloc)) return "insufficient resources";
    if (untoleratedTaint(tpl.taints, c.pod.spec.tolerations)) return "taint not tolerated";
    const incompatible = cl.reqs.compatible(c.reqs);
    if (incompatible) return incompatible;
    if (c.ports.some((p) => cl.ports.some((q) => hostPortsConflict(p, q)))) return "host port conflict";
    // Cheap topology pre-check on domains the claim already has fixed (hostname, pinned zone...).
    for (const k of c.topoKeys) {
      const d = cl.domain(k);
      let cands: string[];
      if (d !== undefined) cands = [d];
      else if (k === L.LabelTopologyZone || k === L.LabelCapacityType)
        cands = this.cachedDomains(cl.options, k, cl.reqs, tpl.types);
      else continue;
      const a = this.topology.allowed(c.pod, c.pt, k, cands, (v) => c.reqs.get(k)?.has(v) ?? true);
      if ("reason" in a) return a.reason;
      if (a.domains.length === 0) return `no ${k} domain left`;
    }
    const reqs = cl.reqs.clone().addAll(c.reqs);
    let options = cl.options.filter((t) => fits(requests, t.allocatable));
    if (options.length === cl.options.length) options = cl.options; // unchanged: keep identity for caches
    if (options.length === 0) {
      cl.refreshMax(true);
      return "no instance type fits";
    }
    if (c.reqs.size > 0) options = options.filter((t) => typeIncompatibility(t, reqs) === undefined);
    if (options.length === 0) return "no instance type fits";
    const tentative = { name: cl.name, options, universe: tpl.types };
    const topo = this.applyTopology(tentative, reqs, c);
    if (topo) return topo;
    if (tentative.options.length === 0) return "no instance type fits";
    const mv = minValuesViolation(tentative.options, reqs);
    if (mv && this.input.options?.minValuesPolicy !== "BestEffort") return mv;
    const cheapest = this.cheapestOf(tentative.options, reqs);
    if (cheapest.price > cl.price + 1e-12 && this.unitPrice(cheapest.type, cheapest.price) > cl.unitCap)
      return "growing this NodeClaim would need a cost-inefficient instance type";
    this.commitClaim(cl, reqs, tentative.options, requests, c);
    return undefined;
  }

  private readonly priceCache = new Map<string, Map<InstanceType, number>>();
  /** Cheapest available price of a type under the zone/capacity-type requirements (cached). */
  private priceTable(reqs: Requirements): Map<InstanceType, number> {
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
  private typePrice(t: InstanceType, reqs: Requirements, table = this.priceTable(reqs)): number {
    const m = table;
    let p = m.get(t);
    if (p === undefined) {
      p = cheapestOffering(t, reqs)?.price ?? Infinity;
      m.set(t, p);
    }
    return p;
  }
  private cheapestOf(types: InstanceType[], reqs: Requirements): { type: InstanceType; price: number } {
    let best = { type: types[0]!, price: Infinity };
    const table = this.priceTable(reqs);
    for (const t of types) {
      const p = this.typePrice(t, reqs, table);
      if (p < best.price) best = { type: t, price: p };
    }
    return best;
  }
  /** $/h per normalised capacity unit (1 vCPU + 8 GiB ~ 1 unit each), roughly flat across c/m/r families. */
  private unitPrice(t: InstanceType, price: number): number {
    const units = (t.capacity.cpu ?? 0) / 1000 + (t.capacity.memory ?? 0) / (8 * 2 ** 30);
    return units > 0 ? price / units : Infinity;
  }
  /** Growth threshold: 1.5x the 10th-percentile unit price of the claim's initial options. */
  private initGrowthCap(cl: ClaimTarget, compat: InstanceType[]): void {
    const table = this.priceTable(cl.reqs);
    const ups = compat
      .map((t) => this.unitPrice(t, this.typePrice(t, cl.reqs, table)))
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    cl.unitCap = ups.length ? 1.5 * ups[Math.floor(ups.length * 0.1)]! : Infinity;
  }

  private readonly domainCache = new WeakMap<InstanceType[], Map<string, string[]>>();
  /**
   * Zone / capacity-type values the options offer under reqs. `universe` (the template's types, of which options
   * are a subset) bounds the answer: once the options reach every value the universe has, the scan stops. Options
   * are a fresh array per tentative placement, so this runs per pod and claim; most types offer every zone.
   */
  private cachedDomains(options: InstanceType[], key: string, reqs: Requirements, universe?: InstanceType[]): string[] {
    let m = this.domainCache.get(options);
    if (!m) {
      m = new Map();
      this.domainCache.set(options, m);
    }
    const k = `${key}|${reqs.get(L.LabelTopologyZone)?.toString() ?? ""}|${reqs.get(L.LabelCapacityType)?.toString() ?? ""}`;
    let v = m.get(k);
    if (!v) {
      const bound = universe && universe !== options ? this.cachedDomains(universe, key, reqs).length : Infinity;
      v = [...valuesOf(options, key, reqs, bound)].sort();
      m.set(k, v);
    }
    return v;
  }

  private commitClaim(
    cl: ClaimTarget,
    reqs: Requirements,
    options: InstanceType[],
    requests: ResourceMap,
    c: PodCtx,
  ): void {
    cl.reqs = reqs;
    cl.options = options;
    cl.requests = requests;
    cl.ports.push(...c.ports);
    cl.pods.push(c.pod);
    cl.refreshMax();
    cl.price = this.cheapestOf(options, reqs).price;
    this.updateReserved(cl);
    this.topology.record({ pod: c.pod, domain: (k) => cl.domain(k) }, c.pt);
  }

  /** NodePool limits: a planned claim reserves the largest capacity among its options (Karpenter's worst case). */
  private updateReserved(cl: ClaimTarget): void {
    const tpl = cl.template;
    if (!tpl.limits || !tpl.remaining) return;
    const reserved: ResourceMap = { nodes: 1 };
    for (const k in tpl.limits)
      if (k !== "nodes") for (const t of cl.options) reserved[k] = Math.max(reserved[k] ?? 0, t.capacity[k] ?? 0);
    tpl.remaining = subtractResources(addResources(tpl.remaining, cl.reserved), reserved);
    cl.reserved = reserved;
  }

  private withinLimits(tpl: Template, t: InstanceType): boolean {
    if (!tpl.limits || !tpl.remaining) return true;
    for (const k in tpl.limits) {
      const need = k === "nodes" ? 1 : (t.capacity[k] ?? 0);
      if (need > (tpl.remaining[k] ?? 0)) return false;
    }
    return true;
  }

  private compatibleTypes(tpl: Template, reqs: Requirements): InstanceType[] | string {
    const key = tpl.compatPrefix + reqs.toString();
    const hit = tpl.compatCache.get(key);
    if (hit !== undefined) return hit;
    let out: InstanceType[] | string = tpl.types.filter((t) => typeIncompatibility(t, reqs) === undefined);
    if (out.length === 0) {
      const sample = tpl.types.length
        ? typeIncompatibility(tpl.types[0]!, reqs)
        : "the NodePool's requirements match no instance type with an available offering";
      out = `no instance type satisfies the combined requirements (${reqs.toString()})${sample ? ` — e.g. ${tpl.types[0]?.name ?? ""} ${sample}` : ""}`;
    }
    tpl.compatCache.set(key, out);
    return out;
  }

  private tryNewClaim(tpl: Template, c: PodCtx): string | undefined {
    const taint = untoleratedTaint(tpl.taints, c.pod.spec.tolerations);
    if (taint)
      return `the pod does not tolerate taint ${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect} (add a toleration or use another NodePool)`;
    const incompatible = tpl.requirements.compatible(c.reqs);
    if (incompatible) return incompatible;
    if (c.ports.some((p) => tpl.daemonPorts.some((q) => hostPortsConflict(p, q))))
      return `host port ${c.ports.map((p) => p.port).join(",")} conflicts with a daemonset on every new node`;
    const reqs = tpl.requirements.clone().addAll(c.reqs);
    const compat = this.compatibleTypes(tpl, reqs);
    if (typeof compat === "string") return compat;
    const requests = addResources(tpl.daemonOverhead, c.requests);
    let options = compat.filter((t) => fits(requests, t.allocatable));
    if (options.length === 0) {
      const biggest = compat.reduce((m, t) => (t.allocatable.cpu! > m.allocatable.cpu! ? t : m), compat[0]!);
      return `no instance type has enough allocatable for requests ${fmtRes(c.requests)} plus daemonset overhead ${fmtRes(tpl.daemonOverhead)} (largest compatible: ${biggest.name} with ${fmtRes(biggest.allocatable)})`;
    }
    const beforeLimits = options.length;
    options = options.filter((t) => this.withinLimits(tpl, t));
    if (options.length === 0)
      return `NodePool limits exceeded (${beforeLimits} instance types would fit, remaining ${fmtRes(limitedRemaining(tpl))}); raise spec.limits or free capacity`;
    const name = `${this.input.options?.namePrefix ?? ""}${tpl.name}-${String(++this.claimSeq).padStart(4, "0")}`;
    const tentative = { name, options, universe: tpl.types };
    const topo = this.applyTopology(tentative, reqs, c);
    if (topo) {
      this.claimSeq--;
      return topo;
    }
    if (tentative.options.length === 0) {
      this.claimSeq--;
      return "no instance type offers the zone/capacity type chosen for topology";
    }
    const mv = minValuesViolation(tentative.options, reqs);
    if (mv && this.input.options?.minValuesPolicy !== "BestEffort") {
      this.claimSeq--;
      return mv;
    }
    const cl = new ClaimTarget(name, tpl, reqs, tentative.options);
    this.initGrowthCap(cl, compat);
    this.claims.push(cl);
    this.commitClaim(cl, reqs, tentative.options, requests, c);
    return undefined;
  }

  /** Adds a (constraint-free) pod to a planned claim if some remaining option still fits; used by improve(). */
  private tryAdd(cl: ClaimTarget, p: Pod): boolean {
    const requests = addResources(cl.requests, this.requestsOf(p));
    if (!fits(requests, cl.maxAlloc)) return false;
    if (untoleratedTaint(cl.template.taints, p.spec.tolerations)) return false;
    const pr = podRequirements(p);
    if (cl.reqs.compatible(pr) !== undefined) return false;
    const reqs = pr.size ? cl.reqs.clone().addAll(pr) : cl.reqs;
    let options = cl.options.filter((t) => fits(requests, t.allocatable));
    if (pr.size) options = options.filter((t) => typeIncompatibility(t, reqs) === undefined);
    if (
      options.length === 0 ||
      (minValuesViolation(options, reqs) && this.input.options?.minValuesPolicy !== "BestEffort")
    )
      return false;
    cl.reqs = reqs;
    cl.options = options;
    cl.requests = requests;
    cl.pods.push(p);
    cl.refreshMax();
    cl.price = this.cheapestOf(options, reqs).price;
    this.updateReserved(cl);
    return true;
  }

  private readonly reqCache = new WeakMap<Pod, ResourceMap>();
  private requestsOf(p: Pod): ResourceMap {
    let r = this.reqCache.get(p);
    if (!r) {
      r = podRequests(p);
      this.reqCache.set(p, r);
    }
    return r;
  }
  private readonly maxAllocCache = new WeakMap<InstanceType[], ResourceMap>();
  private maxAllocOf(types: InstanceType[]): ResourceMap {
    let m = this.maxAllocCache.get(types);
    if (!m) {
      m = {};
      for (const t of types)
        for (const k in t.allocatable) if ((m[k] ?? -1) < t.allocatable[k]!) m[k] = t.allocatable[k]!;
      this.maxAllocCache.set(types, m);
    }
    return m;
  }

  /** Karpenter launches spot when allowed and offered (reserved is not modelled), else on-demand. */
  private chooseCapacityType(cl: ClaimTarget, options: InstanceType[]): string {
    const cts = valuesOf(options, L.LabelCapacityType, cl.reqs);
    return cts.has(L.CapacityTypeSpot) ? L.CapacityTypeSpot : L.CapacityTypeOnDemand;
  }

  private result(): SchedulingResult {
    const out: NewNodeClaim[] = [];
    let total = 0;
    for (const cl of this.claims) {
      if (cl.pods.length === 0) continue;
      const ct = this.chooseCapacityType(cl, cl.options);
      const priced = new Requirements(cl.reqs.values()).add(Requirement.in(L.LabelCapacityType, ct));
      const sorted = sortByPrice(
        cl.options.filter((t) => cheapestOffering(t, priced) !== undefined),
        priced,
      );
      const options = truncate(sorted, cl.reqs, this.maxTypes);
      const cheapest = options[0]!;
      const offering = cheapestOffering(cheapest, priced)!;
      const reqs = cl.reqs.clone().add(Requirement.in(L.LabelInstanceType, ...options.map((t) => t.name)));
      const zoneReq = cl.reqs.get(L.LabelTopologyZone);
      const zone = zoneReq && !zoneReq.complement && zoneReq.values.size === 1 ? [...zoneReq.values][0] : undefined;
      total += offering.price;
      out.push({
        name: cl.name,
        nodePool: cl.template.name,
        nodeClassRef: cl.template.nodePool.spec.template.spec.nodeClassRef,
        requirements: reqs.toNodeSelector(),
        labels: { ...cl.template.labels, ...cl.reqs.singleValueLabels() },
        taints: cl.template.taints,
        startupTaints: cl.template.startupTaints,
        instanceTypeOptions: options,
        instanceType: cheapest.name,
        capacityType: ct,
        zone,
        pricePerHour: offering.price,
        requests: cl.requests,
        daemonOverhead: cl.template.daemonOverhead,
        pods: [...cl.pods],
      });
    }
    const existing: ExistingAssignment[] = this.nodes
      .filter((n) => n.newPods.length > 0)
      .map((n) => ({ name: n.name, kind: n.kind, pods: n.newPods }));
    return {
      newNodeClaims: out,
      existingNodes: existing,
      unschedulable: this.unschedulable,
      totalPricePerHour: Math.round(total * 1e6) / 1e6,
    };
  }
}

/** What is left of each resource the NodePool actually limits (unlimited resources are not worth printing). */
function limitedRemaining(tpl: Template): ResourceMap {
  const out: ResourceMap = {};
  for (const k in tpl.limits ?? {}) out[k] = Math.max(0, tpl.remaining?.[k] ?? 0);
  return out;
}

function fmtRes(r: ResourceMap): string {
  return Object.entries(formatResources(r))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
