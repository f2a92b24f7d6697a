// Karpenter's metrics.node and metrics.pod controllers over the cluster state: per-node allocatable, pod and
// DaemonSet requests/limits, system overhead and age; cluster utilization; karpenter_pods_state. Run periodically
// (Karpenter: every 5 s); every pass replaces the previous series so deleted nodes and pods disappear.
import { addResources, parseResources, type ResourceMap } from "./apis/quantity";
import type { ClusterState } from "./kube/clusterState";
import { Metrics, NODE_LABEL_KEYS } from "./metrics";

const resourceLabel = (name: string) => name.toLowerCase().replace(/-/g, "_");
/** Metric value of an internal integer: cpu is held in millicores, reported in cores (as Karpenter). */
const value = (name: string, v: number) => (name === "cpu" ? v / 1000 : v);

export interface StateMetricsOptions {
  now: number;
  /** One karpenter_pods_state series per pod (Karpenter's default); off: counts per label set. */
  podsStatePerPod?: boolean;
}

export function collectStateMetrics(metrics: Metrics, state: ClusterState, o: StateMetricsOptions): void {
  const perNode = [
    metrics.nodesAllocatable,
    metrics.nodesTotalPodRequests,
    metrics.nodesTotalPodLimits,
    metrics.nodesTotalDaemonRequests,
    metrics.nodesTotalDaemonLimits,
    metrics.nodesSystemOverhead,
  ];
  for (const g of perNode) g.reset();
  metrics.nodesCurrentLifetime.reset();
  metrics.clusterUtilization.reset();

  let clusterAlloc: ResourceMap = {};
  let clusterUsed: ResourceMap = {};
  for (const sn of state.stateNodes()) {
    const node = sn.node;
    if (!node) continue; // a NodeClaim in flight has no node series yet
    const labels = (node.metadata.labels ?? {}) as Record<string, string>;
    const base: Record<string, string> = {
      node_name: node.metadata.name,
      phase: String(node.status?.phase ?? ""),
      managed: String(Boolean(labels["karpenter.sh/nodepool"])),
    };
    for (const [key, name] of NODE_LABEL_KEYS) base[name] = labels[key] ?? "";
    const alloc = parseResources(sn.allocatable(), `node ${node.metadata.name}`);
    const cap = parseResources(sn.capacity(), `node ${node.metadata.name}`);
    const overhead: ResourceMap = {};
    for (const [k, v] of Object.entries(cap)) overhead[k] = v - (alloc[k] ?? 0);
    const req = sn.podRequests();
    const lim = sn.podLimits();
    const dreq = sn.daemonSetRequests();
    const dlim = sn.daemonSetLimits();
    const series: Array<[(typeof perNode)[number], ResourceMap]> = [
      [metrics.nodesAllocatable, alloc],
      [metrics.nodesTotalPodRequests, req],
      [metrics.nodesTotalPodLimits, lim],
      [metrics.nodesTotalDaemonRequests, dreq],
      [metrics.nodesTotalDaemonLimits, dlim],
      [metrics.nodesSystemOverhead, overhead],
    ];
    for (const [gauge, res] of series)
      for (const [k, v] of Object.entries(res)) gauge.set({ ...base, resource_type: resourceLabel(k) }, value(k, v));
    const created = Date.parse(node.metadata.creationTimestamp ?? "");
    if (Number.isFinite(created)) metrics.nodesCurrentLifetime.set(base, Math.max(0, (o.now - created) / 1000));
    clusterAlloc = addResources(clusterAlloc, alloc);
    clusterUsed = addResources(clusterUsed, req);
  }
  for (const [k, v] of Object.entries(clusterAlloc))
    if (v > 0) metrics.clusterUtilization.set({ resource_type: resourceLabel(k) }, (100 * (clusterUsed[k] ?? 0)) / v);

  collectPodsState(metrics, state, o.podsStatePerPod ?? false);
}

function collectPodsState(metrics: Metrics, state: ClusterState, perPod: boolean): void {
  metrics.podsState.reset();
  const counts = new Map<string, { labels: Record<string, string>; n: number }>();
  for (const p of state.pods.values()) {
    const nodeName = (p.spec?.nodeName as string | undefined) ?? "";
    const node = nodeName ? state.nodes.get(nodeName) : undefined;
    const nl = (node?.metadata.labels ?? {}) as Record<string, string>;
    const owner = (
      (p.metadata.ownerReferences ?? []) as Array<{ apiVersion?: string; kind?: string; name?: string }>
    )[0];
    const ready = ((p.status?.conditions ?? []) as Array<{ type: string; status: string }>).some(
      (c) => c.type === "Ready" && c.status === "True",
    );
    const labels: Record<string, string> = {
      name: perPod ? p.metadata.name : "",
      namespace: p.metadata.namespace ?? "",
      owner: perPod && owner ? ownerLink(p.metadata.namespace ?? "", owner) : "",
      node: nodeName,
      scheduled: String(nodeName !== ""),
      nodepool: nl["karpenter.sh/nodepool"] ?? "",
      zone: nl["topology.kubernetes.io/zone"] ?? "",
      arch: nl["kubernetes.io/arch"] ?? "",
      capacity_type: nl["karpenter.sh/capacity-type"] ?? "",
      instance_type: nl["node.kubernetes.io/instance-type"] ?? "",
      phase: String(p.status?.phase ?? ""),
      ready: String(ready),
      managed: String(Boolean(nl["karpenter.sh/nodepool"])),
    };
    const key = JSON.stringify(labels);
    const c = counts.get(key) ?? { labels, n: 0 };
    c.n++;
    counts.set(key, c);
  }
  for (const { labels, n } of counts.values()) metrics.podsState.set(labels, n);
}

/** Karpenter's owner label: a self link built from the first owner reference. */
function ownerLink(ns: string, o: { apiVersion?: string; kind?: string; name?: string }): string {
  return `/apis/${o.apiVersion ?? ""}/namespaces/${ns}/${(o.kind ?? "").toLowerCase()}s/${o.name ?? ""}`;
}
