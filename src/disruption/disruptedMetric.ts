// The one place karpenter_nodeclaims_disrupted_total is counted: every path that deletes a NodeClaim to disrupt it
// (voluntary disruption, expiry, liveness, launch timeout, node repair, interruption, static scale-down) calls this.
import { LabelCapacityType, LabelNodePool } from "../apis/labels";
import type { Metrics } from "../metrics";

/**
 * karpenter_nodeclaims_disrupted_total for one disrupted NodeClaim (reason in snake case, as Karpenter), labelled
 * with the nodepool and capacity type of `labelled` (the NodeClaim, or its Node where Karpenter reads the Node).
 */
export function countNodeClaimDisrupted(
  metrics: Metrics,
  reason: string,
  labelled: { metadata?: { labels?: Record<string, string> } },
): void {
  const labels = labelled.metadata?.labels ?? {};
  metrics.nodeClaimsDisrupted.inc({
    nodepool: labels[LabelNodePool] ?? "",
    reason,
    capacity_type: labels[LabelCapacityType] ?? "",
  });
}
