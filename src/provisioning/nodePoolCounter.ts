// NodePool status counter (Karpenter's nodepool/counter): status.resources = summed capacity of the pool's
// NodeClaims, status.nodes = their count (the NODES column and the scale subresource). Also the usage/limit
// gauges. Only patches when the numbers change, so it can run on every NodeClaim event.
import { formatResources, parseResources, ResourceMap } from "../apis/quantity";
import { ClusterState } from "../kube/clusterState";
import { KubeClient, KubeObject, Kinds, isNotFound } from "../kube/client";
import type { Metrics } from "../metrics";

export function nodePoolUsage(state: ClusterState, nodePool: string): { resources: Record<string, string>; nodes: number; raw: ResourceMap } {
  const sum: ResourceMap = {};
  let nodes = 0;
  for (const nc of state.nodeClaimsOfPool(nodePool)) {
    nodes++;
    const cap = parseResources(nc.status?.capacity as Record<string, string> | undefined, `NodeClaim ${nc.metadata.name} status.capacity`);
    for (const [k, v] of Object.entries(cap)) sum[k] = (sum[k] ?? 0) + v;
  }
  return { resources: formatResources(sum), nodes, raw: sum };
}

export async function updateNodePoolStatus(deps: { client: KubeClient; state: ClusterState; metrics: Metrics }, name: string): Promise<boolean> {
  const np = deps.state.nodePools.get(name);
  if (!np) return false;
  const { resources, nodes, raw } = nodePoolUsage(deps.state, name);
  for (const [k, v] of Object.entries(raw)) deps.metrics.nodePoolsUsage.set({ nodepool: name, resource_type: k }, k === "cpu" ? v / 1000 : v);
  for (const [k, v] of Object.entries(parseResources(np.spec.limits as Record<string, string> | undefined, `NodePool ${name} spec.limits`))) {
    deps.metrics.nodePoolsLimit.set({ nodepool: name, resource_type: k }, k === "cpu" ? v / 1000 : v);
  }
  const cur = np.status ?? {};
  const same = (cur.nodes ?? 0) === nodes && JSON.stringify(formatResources(parseResources(cur.resources as Record<string, string> | undefined))) === JSON.stringify(resources);
  if (same && cur.resources !== undefined) return false;
  // Merge patch semantics: resources that dropped to zero must be removed explicitly.
  const resPatch: Record<string, string | null> = { ...resources };
  for (const k of Object.keys(cur.resources ?? {})) if (!(k in resources)) resPatch[k] = null;
  try {
    const out = await deps.client.patchStatus<KubeObject>(Kinds.NodePool, name, { resources: resPatch, nodes });
    deps.state.apply("NodePool", out, "MODIFIED");
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  return true;
}
