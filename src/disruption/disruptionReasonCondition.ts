// The NodeClaim's DisruptionReason condition, as Karpenter v1.14's disruption queue writes it: True, with the
// command's reason (Empty, Underutilized, Drifted) as reason and message, once its node is tainted; removed again
// when the command is rolled back or found stale. The drain reads it as karpenter_pods_drained_total's reason.
import type { ClusterState } from "../kube/clusterState";
import { isNotFound, type KubeClient, type KubeObject } from "../kube/client";
import { type Condition, setCondition } from "../lifecycle/conditions";
import { writeNodeClaimConditions } from "../lifecycle/nodeClaimConditions";

export const DisruptionReasonCondition = "DisruptionReason";

type Deps = { client: KubeClient; state: ClusterState };

async function writeConditions(
  deps: Deps,
  name: string,
  now: number,
  edit: (c: Condition[]) => Condition[] | undefined,
) {
  const nc = deps.state.nodeClaims.get(name);
  if (!nc) return;
  const next = edit((nc.status?.conditions ?? []) as Condition[]);
  if (!next) return;
  try {
    await writeNodeClaimConditions(deps, nc as KubeObject, next, now);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export async function markDisruptionReason(deps: Deps, nodeClaimName: string, reason: string, now: number) {
  await writeConditions(deps, nodeClaimName, now, (conds) => {
    const cur = conds.find((c) => c.type === DisruptionReasonCondition);
    if (cur?.status === "True" && cur.reason === reason) return undefined;
    return setCondition(conds, DisruptionReasonCondition, "True", reason, reason, now);
  });
}

export async function clearDisruptionReason(deps: Deps, nodeClaimName: string) {
  // Removing DisruptionReason never flips Ready, so no transition time is taken from this clock.
  await writeConditions(deps, nodeClaimName, Date.now(), (conds) =>
    conds.some((c) => c.type === DisruptionReasonCondition)
      ? conds.filter((c) => c.type !== DisruptionReasonCondition)
      : undefined,
  );
}
