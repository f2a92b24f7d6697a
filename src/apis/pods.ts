// The one set of pod predicates (Karpenter's pkg/utils/pod) over Kubernetes-shaped pods: identity, finished,
// owned by a DaemonSet or a Node (static pods), mirror pods, and what must move when a node goes away.
// Ownership is any owner reference of that kind, as Karpenter's IsOwnedBy (not only the controller reference).

export interface PodLike {
  metadata: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    ownerReferences?: ReadonlyArray<{ kind?: string }>;
  };
  status?: { phase?: string };
}

export const DO_NOT_DISRUPT_ANNOTATION = "karpenter.sh/do-not-disrupt";
const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";

/** `namespace/name`, the key the cluster state, nominations and drain plans use (namespace defaults as kubectl). */
export function podKey(p: { metadata: { namespace?: string; name?: string } }): string {
  return `${p.metadata.namespace ?? "default"}/${p.metadata.name ?? ""}`;
}

/** Succeeded or Failed: needs no capacity, is never evicted. */
export function isTerminal(p: PodLike | undefined): boolean {
  return p?.status?.phase === "Succeeded" || p?.status?.phase === "Failed";
}

export function isOwnedByDaemonSet(p: PodLike): boolean {
  return ownedBy(p, "DaemonSet");
}

/** Static pods: their owner is the Node, and they live and die with it. */
export function isOwnedByNode(p: PodLike): boolean {
  return ownedBy(p, "Node");
}

// A plain loop: asked for every pod of the backlog and every bound pod in each batch (no array or closure per call).
function ownedBy(p: PodLike, kind: string): boolean {
  const refs = p.metadata.ownerReferences;
  if (refs) for (const o of refs) if (o.kind === kind) return true;
  return false;
}

export function isMirrorPod(p: PodLike): boolean {
  return p.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}

/** Would have to run elsewhere if its node went away: not finished, not a DaemonSet's, not a static/mirror pod. */
export function isReschedulable(p: PodLike): boolean {
  return !isTerminal(p) && !isOwnedByDaemonSet(p) && !isOwnedByNode(p) && !isMirrorPod(p);
}

/** Terminating: the apiserver has set deletionTimestamp (the pod is going, capacity is still held). */
export function isTerminating(p: { metadata: { deletionTimestamp?: string } }): boolean {
  return p.metadata.deletionTimestamp !== undefined;
}

/**
 * The engine's flattened pod (disruption's PodInfo: namespace, name, phase, the controller owner's kind) seen as a
 * pod, so the same predicates serve it. Its one owner is the controller reference.
 */
export interface FlatPod {
  namespace: string;
  name: string;
  phase?: string;
  deletionTimestamp?: string;
  ownerKind?: string;
  annotations?: Record<string, string>;
}
export function asPod(p: FlatPod): PodLike & { metadata: { deletionTimestamp?: string } } {
  return {
    metadata: {
      name: p.name,
      namespace: p.namespace,
      annotations: p.annotations,
      ownerReferences: p.ownerKind ? [{ kind: p.ownerKind }] : [],
      deletionTimestamp: p.deletionTimestamp,
    },
    status: { phase: p.phase },
  };
}
