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

type Taint = { key: string; value?: string; effect: string };
/** Karpenter's KnownEphemeralTaints: put on a node while it starts, removed once it is ready. */
export const KNOWN_EPHEMERAL_TAINTS: readonly Taint[] = [
  { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" },
  { key: "node.kubernetes.io/not-ready", effect: "NoExecute" },
  { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
  { key: "node.cloudprovider.kubernetes.io/uninitialized", effect: "NoSchedule", value: "true" },
  TaintUnregistered,
];
/** Taint families whose key carries a controller-managed suffix (the Node Readiness Controller's). */
const EPHEMERAL_TAINT_PREFIXES = ["readiness.k8s.io/"];
/** corev1 MatchTaint: the same key and effect. */
export const matchTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;
/** Karpenter's formatTaint (initialization.go): `key:effect`, or `key=value:effect` when it has a value. */
export const formatTaint = (t: Taint): string => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`;
/** Karpenter's IsKnownEphemeralTaint: one of the known taints (same key and effect) or of a known family. */
export const isKnownEphemeralTaint = (t: Taint): boolean =>
  KNOWN_EPHEMERAL_TAINTS.some((e) => matchTaint(e, t)) || EPHEMERAL_TAINT_PREFIXES.some((p) => t.key.startsWith(p));
export const TerminationTimestampAnnotation = "karpenter.sh/nodeclaim-termination-timestamp";

export function nodeClaimRef(nc: NodeClaim): { NodeClaim: { name: string } } {
  return { NodeClaim: { name: nc.metadata.name! } };
}

export function nodePoolOf(nc: NodeClaim): string {
  return nc.metadata.labels?.["karpenter.sh/nodepool"] ?? "";
}

/** Event target for a Node. */
export function involvedNode(node: { metadata: { name?: string; uid?: string } }) {
  return { apiVersion: "v1", kind: "Node", name: node.metadata.name!, uid: node.metadata.uid };
}

/** Event target for a pod (the disruption snapshot's flattened pod, or any with these fields). */
export function involvedPod(p: { name: string; namespace: string; uid?: string }) {
  return { apiVersion: "v1", kind: "Pod", name: p.name, namespace: p.namespace, uid: p.uid };
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
