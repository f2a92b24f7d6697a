// Adds/removes the karpenter.sh/disrupted:NoSchedule taint on a Node (disruption commands, interruption).
// Read-modify-write with a resourceVersion guard, re-reading on conflict, so a concurrent kubelet/status
// update never loses our taint nor drops someone else's.
import { ClusterState } from "../kube/clusterState";
import { KubeClient, KubeObject, Kinds, isConflict, isNotFound, rvGuard } from "../kube/client";
import { TaintDisrupted } from "../lifecycle/constants";
import type { Logger } from "../log";

type Taint = { key: string; value?: string; effect: string };
const isDisrupted = (t: Taint) => t.key === TaintDisrupted.key && t.effect === TaintDisrupted.effect;

/** Whether the node carries karpenter.sh/disrupted:NoSchedule (key and effect, as Karpenter's MatchTaint). */
export function hasDisruptedTaint(node: { spec?: { taints?: Taint[] } }): boolean {
  return (node.spec?.taints ?? []).some(isDisrupted);
}

async function updateTaints(
  client: KubeClient,
  state: ClusterState,
  name: string,
  edit: (taints: Taint[]) => Taint[] | undefined,
): Promise<boolean> {
  let node: KubeObject | undefined = state.nodes.get(name);
  for (let attempt = 0; attempt < 4; attempt++) {
    if (!node) return false;
    const taints = (node.spec?.taints ?? []) as Taint[];
    const next = edit(taints);
    if (!next) return false;
    try {
      const out = await client.patch<KubeObject>(Kinds.Node, name, [
        rvGuard(node.metadata.resourceVersion),
        { op: "add", path: "/spec/taints", value: next },
      ]);
      state.apply("Node", out, "MODIFIED");
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      if (!isConflict(e)) throw e;
      node = await client.get<KubeObject>(Kinds.Node, name);
    }
  }
  throw new Error(`node ${name}: could not update taints after repeated conflicts`);
}

export async function addDisruptedTaint(
  client: KubeClient,
  state: ClusterState,
  name: string,
  log?: Logger,
  logFields: Record<string, unknown> = {},
): Promise<void> {
  const changed = await updateTaints(client, state, name, (ts) =>
    ts.some(isDisrupted) ? undefined : [...ts, { ...TaintDisrupted }],
  );
  if (changed) log?.info({ Node: { name }, ...logFields, taint: TaintDisrupted.key }, "tainted node");
}

export async function removeDisruptedTaint(client: KubeClient, state: ClusterState, name: string): Promise<void> {
  await updateTaints(client, state, name, (ts) =>
    ts.some(isDisrupted) ? ts.filter((t) => !isDisrupted(t)) : undefined,
  );
}
