// The NodeClaim side of NodePool NodeRegistrationHealthy (Karpenter's liveness and registration controllers): each
// launch's outcome goes into the cluster state's tracker (kube/nodePoolHealth.ts); the NodePool counter writes the
// condition from it (provisioning/nodePoolCounter.ts).
import type { NodeClaim } from "../apis/generated/nodeclaims";
import type { EngineDeps } from "../kube/deps";
import type { RegistrationFailure } from "../kube/nodePoolHealth";

/**
 * One launch outcome for the pool's NodeRegistrationHealthy (Karpenter's liveness and registration): registered, or
 * deleted for a launch/registration timeout. Only for a NodeClaim owned by the pool as it is now (same UID).
 */
export function recordRegistration(
  deps: Pick<EngineDeps, "state">,
  nc: NodeClaim,
  failure?: RegistrationFailure,
): void {
  const np = deps.state.nodePools.get(nc.metadata.labels?.["karpenter.sh/nodepool"] ?? "");
  const uid = np?.metadata.uid;
  if (!uid || !nc.metadata.ownerReferences?.some((o) => o.kind === "NodePool" && o.uid === uid)) return;
  deps.state.nodePoolHealth.record(uid, failure);
}
