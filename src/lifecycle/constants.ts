// Karpenter's well-known finalizer, labels and taints for NodeClaims and their Nodes (core pkg/apis/v1), and
// small helpers for log fields and event targets shared by the lifecycle steps.
import type { NodeClaim } from "../apis/generated/nodeclaims";

export const TerminationFinalizer = "karpenter.sh/termination";
export const LabelRegistered = "karpenter.sh/registered";
export const LabelInitialized = "karpenter.sh/initialized";
export const LabelDoNotSyncTaints = "karpenter.sh/do-not-sync-taints";
export const LabelNodeClaimTag = "karpenter.sh/nodeclaim";
export const TaintUnregistered = { key: "karpenter.sh/unregistered", effect: "NoExecute" } as const;
export const TaintDisrupted = { key: "karpenter.sh/disrupted", effect: "NoSchedule" } as const;
export const TerminationTimestampAnnotation = "karpenter.sh/nodeclaim-termination-timestamp";

export function nodeClaimRef(nc: NodeClaim): { NodeClaim: { name: string } } {
  return { NodeClaim: { name: nc.metadata.name! } };
}

export function nodePoolOf(nc: NodeClaim): string {
  return nc.metadata.labels?.["karpenter.sh/nodepool"] ?? "";
}

/** Event target for a (cluster-scoped) NodeClaim; such events live in "default", as client-go records them. */
export function involvedNodeClaim(nc: NodeClaim) {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    name: nc.metadata.name!,
    uid: nc.metadata.uid,
    namespace: "default",
  };
}
