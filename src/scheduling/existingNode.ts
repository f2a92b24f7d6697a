// Nodes the solve places pods on before planning new capacity (Karpenter scheduling/existingnode.go): registered
// Nodes, then in-flight NodeClaims (launched or launching, type possibly unknown yet), each with the pods already
// bound or nominated to it.
import * as L from "../apis/labels";
import { addResources, fits, parseResources, type ResourceMap } from "../apis/quantity";
import { Requirements } from "../apis/requirements";
import type { InstanceType } from "../cloudprovider/types";
import { typeIncompatibility } from "./instancetypes";
import type { PodCtx } from "./podContext";
import { hostPortsConflict, podHostPorts, podRequests, untoleratedTaint, type HostPort } from "./pods";
import type { Placement, Topology } from "./topology";
import { csiNodeLimits, podVolumeUsage, VolumeUsage } from "./volumes";
import type { Pod, SchedulingInput, Taint } from "./types";

export class NodeTarget {
  readonly pods: Pod[] = [];
  /** Pods this solve placed here. */
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
    /** Attach limits per CSI driver (the Node's CSINode) and the claims counted against them. */
    readonly volumeUsage: VolumeUsage = new VolumeUsage(),
    private readonly volumesOf?: (p: Pod) => Map<string, Set<string>>,
  ) {}

  domain(key: string): string | undefined {
    return key === L.LabelHostname ? (this.labels[key] ?? this.name) : this.labels[key];
  }

  /** A spread node filter term holds for this node's labels. */
  satisfies(r: Requirements): boolean {
    return r.matchLabels(this.labels) === undefined;
  }

  placement(pod: Pod): Placement {
    return new PlacedOnNode(pod, this);
  }

  /**
   * Counts the pods already here (requests, ports, topology). Every batch binds every bound pod of the cluster
   * again, so this adds in place into one copy of `used` and allocates nothing per pod it can avoid.
   */
  bind(pods: Pod[], topology: Topology): void {
    const used = { ...this.used };
    for (const p of pods) {
      const r = podRequests(p);
      for (const k in r) used[k] = (used[k] ?? 0) + r[k]!;
      const ports = podHostPorts(p);
      if (ports.length) this.ports.push(...ports);
      this.pods.push(p);
      if (this.volumesOf) this.volumeUsage.add(this.volumesOf(p));
      topology.recordExisting(this.placement(p));
    }
    this.used = used;
  }

  /** Places the pod here if it fits; returns undefined on success or why not. */
  add(c: PodCtx, topology: Topology): string | undefined {
    if (!this.schedulable) return "node is not schedulable";
    const taint = untoleratedTaint(this.taints, c.pod.spec.tolerations);
    if (taint) return `taint ${taint.key}=${taint.value ?? ""}:${taint.effect} not tolerated`;
    const m = c.reqs.matchLabels(this.labels);
    if (m) return m;
    if (c.volumeAlts && !c.volumeAlts.some((alt) => alt.matchLabels(this.labels) === undefined))
      return `incompatible volume requirements, ${c.volumeAlts[0]!.matchLabels(this.labels)}`;
    if (c.volumes) {
      const over = this.volumeUsage.exceeds(c.volumes);
      if (over) return `checking volume usage, ${over}`;
    }
    const used = addResources(this.used, c.requests);
    if (!fits(used, this.allocatable)) return "insufficient resources";
    if (c.ports.some((p) => this.ports.some((q) => hostPortsConflict(p, q)))) return "host port conflict";
    for (const k of c.topoKeys) {
      const d = this.domain(k);
      if (d === undefined) {
        if (c.pt.owned.some((g) => g.key === k && g.type !== "antiAffinity")) return `node has no ${k} label`;
        continue;
      }
      const a = topology.allowed(c.pod, c.pt, k, [d], (v) => c.reqs.get(k)?.has(v) ?? true);
      if ("reason" in a || a.domains.length === 0) return "reason" in a ? a.reason : "topology";
    }
    this.used = used;
    if (c.volumes) this.volumeUsage.add(c.volumes);
    this.ports.push(...c.ports);
    this.pods.push(c.pod);
    this.newPods.push(c.pod);
    topology.record(this.placement(c.pod), c.pt);
    return undefined;
  }
}

/** A pod on a node: the node's labels are its domains (one object per bound pod, no closures). */
class PlacedOnNode implements Placement {
  constructor(
    readonly pod: Pod,
    private readonly node: NodeTarget,
  ) {}
  get taints(): Taint[] {
    return this.node.taints;
  }
  domain(key: string): string | undefined {
    return this.node.domain(key);
  }
  satisfies(r: Requirements): boolean {
    return this.node.satisfies(r);
  }
}

/** Capacity of an in-flight NodeClaim: its status, else its instance type's, else its requests. */
function claimCapacity(
  catalog: InstanceType[],
  labels: Record<string, string> | undefined,
  status: Record<string, string | number> | undefined,
  requests: Record<string, string | number> | undefined,
  field: string,
  which: "capacity" | "allocatable",
): ResourceMap {
  if (status) return parseResources(status, `${field} status.${which}`);
  const it = catalog.find((t) => t.name === labels?.[L.LabelInstanceType]);
  if (it) return { ...it[which] };
  return parseResources(requests, `${field} spec.resources.requests`);
}

/** Capacity (plus a `nodes` count) per NodePool of existing nodes and in-flight NodeClaims: what limits count. */
export function usageByNodePool(input: SchedulingInput): Map<string, ResourceMap> {
  const out = new Map<string, ResourceMap>();
  const add = (np: string | undefined, cap: ResourceMap): void => {
    if (!np) return;
    out.set(np, addResources(out.get(np) ?? {}, { ...cap, nodes: 1 }));
  };
  for (const n of input.existingNodes ?? []) {
    add(
      n.node.metadata.labels?.[L.LabelNodePool],
      parseResources(
        n.node.status?.capacity ?? n.node.status?.allocatable,
        `Node ${n.node.metadata.name} status.capacity`,
      ),
    );
  }
  for (const c of input.inFlightNodeClaims ?? []) {
    const nc = c.nodeClaim;
    add(
      nc.metadata.labels?.[L.LabelNodePool],
      claimCapacity(
        input.instanceTypes,
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

/**
 * Existing nodes (by name) then in-flight NodeClaims (by name), with their pods counted in the topology.
 * `addDomain` learns every label value they carry as a topology domain.
 */
export function buildNodeTargets(
  input: SchedulingInput,
  topology: Topology,
  addDomain: (k: string, v: string) => void,
): NodeTarget[] {
  const out: NodeTarget[] = [];
  const vols = input.volumes;
  const volumesOf = vols ? (p: Pod) => podVolumeUsage(p, vols) : undefined;
  const push = (t: NodeTarget, pods: Pod[]): void => {
    for (const [k, v] of Object.entries(t.labels)) if (k !== L.LabelHostname) addDomain(k, v);
    topology.registerNode(t);
    t.bind(pods, topology);
    out.push(t);
  };
  const existing = [...(input.existingNodes ?? [])].sort((a, b) =>
    (a.node.metadata.name ?? "") < (b.node.metadata.name ?? "") ? -1 : 1,
  );
  for (const n of existing) {
    const name = n.node.metadata.name ?? "";
    const labels = { [L.LabelHostname]: name, ...(n.node.metadata.labels ?? {}) };
    const alloc = parseResources(
      n.allocatable ?? n.node.status?.allocatable ?? n.node.status?.capacity,
      `Node ${name} status.allocatable`,
    );
    const schedulable = !n.markedForDeletion && !n.node.spec?.unschedulable;
    const usage = new VolumeUsage(csiNodeLimits(vols?.csiNodes?.get(name)));
    push(
      new NodeTarget(
        name,
        "Node",
        labels,
        n.taints ?? n.node.spec?.taints ?? [],
        alloc,
        {},
        schedulable,
        usage,
        volumesOf,
      ),
      n.pods,
    );
  }
  const inflight = [...(input.inFlightNodeClaims ?? [])].sort((a, b) =>
    (a.nodeClaim.metadata.name ?? "") < (b.nodeClaim.metadata.name ?? "") ? -1 : 1,
  );
  for (const c of inflight) {
    const nc = c.nodeClaim;
    const name = nc.status?.nodeName ?? nc.metadata.name ?? "";
    const reqs = Requirements.fromNodeSelector(nc.spec.requirements, `NodeClaim ${nc.metadata.name} spec.requirements`);
    const labels = { [L.LabelHostname]: name, ...reqs.singleValueLabels(), ...(nc.metadata.labels ?? {}) };
    let alloc = claimCapacity(
      input.instanceTypes,
      labels,
      nc.status?.allocatable,
      undefined,
      `NodeClaim ${nc.metadata.name}`,
      "allocatable",
    );
    if (Object.keys(alloc).length === 0) {
      // Not launched yet and type unknown: assume the smallest compatible type (never over-commit).
      const types = input.instanceTypes.filter(
        (t) =>
          typeIncompatibility(t, reqs) === undefined &&
          fits(parseResources(nc.spec.resources?.requests), t.allocatable),
      );
      alloc = types.length
        ? types.reduce((m, t) => (t.allocatable.cpu! < m.cpu! ? t.allocatable : m), types[0]!.allocatable)
        : parseResources(nc.spec.resources?.requests);
    }
    push(
      new NodeTarget(name, "NodeClaim", labels, nc.spec.taints ?? [], alloc, {}, !c.markedForDeletion),
      c.pods ?? [],
    );
  }
  return out;
}
