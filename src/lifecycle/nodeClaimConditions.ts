// The one way the controllers write a NodeClaim's conditions: the writer's changes (from the copy it read to the
// list it wants) are merged onto the latest copy in the cluster state right before the patch, with no await in
// between, so concurrent writers in this process never undo each other (see rebaseConditions).
import type { ClusterState } from "../kube/clusterState";
import { Kinds, type KubeClient, type KubeObject } from "../kube/client";
import { type Condition, rebaseConditions, sameConditions } from "./conditions";

export interface ConditionWriterDeps {
  client: KubeClient;
  state: ClusterState;
}

/**
 * Patches `desired` (what the writer computed from `read`) onto the NodeClaim, with `extra` status fields.
 * Returns the stored object, or the latest copy when there was nothing to write.
 */
export async function writeNodeClaimConditions(
  deps: ConditionWriterDeps,
  read: KubeObject,
  desired: Condition[],
  now: number,
  extra: Record<string, unknown> = {},
): Promise<KubeObject> {
  const name = read.metadata.name!;
  const cached = deps.state.nodeClaims.get(name) as KubeObject | undefined;
  // The newer of the cached copy and the one read (a writer may hold a copy fresher than the cache).
  const latest =
    cached && Number(cached.metadata.resourceVersion) > Number(read.metadata.resourceVersion) ? cached : read;
  const latestConds = latest.status?.conditions as Condition[] | undefined;
  const conditions = rebaseConditions(read.status?.conditions as Condition[] | undefined, desired, latestConds, now);
  if (sameConditions(latestConds, conditions) && Object.keys(extra).length === 0) return latest;
  const out = await deps.client.patchStatus<KubeObject>(Kinds.NodeClaim, name, { ...extra, conditions });
  deps.state.apply("NodeClaim", out, "MODIFIED");
  return out;
}
