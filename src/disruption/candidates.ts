// Which nodes may be voluntarily disrupted, why others may not (DisruptionBlocked events), and how costly each
// disruption is. Mirrors Karpenter's candidate filtering (state node + pod checks) and disruption cost:
//   cost = sum(clamp(1 + priority/2^25 + deletionCost/2^27, -10, 10)) * lifetimeRemaining
import { requireDuration } from "../apis/duration";
import { podDoNotDisruptActive } from "./doNotDisrupt";
export { podDoNotDisruptActive } from "./doNotDisrupt";
import { TaintDisrupted } from "../lifecycle/constants";
import { tolerates } from "../scheduling/pods";
import * as pods from "../apis/pods";
import { asPod, DO_NOT_DISRUPT_ANNOTATION } from "../apis/pods";
import type {
  BlockedNode,
  Candidate,
  ClusterSnapshot,
  DisruptionSettings,
  NodeInfo,
  NodePoolLike,
  PodInfo,
} from "./types";

export { DO_NOT_DISRUPT_ANNOTATION };
export const POD_DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost";

// src/apis/pods.ts's predicates over the flattened PodInfo.
export const isTerminal = (p: PodInfo): boolean => pods.isTerminal(asPod(p));
export const isTerminating = (p: PodInfo): boolean => pods.isTerminating(asPod(p));
export const isDaemonSetPod = (p: PodInfo): boolean => pods.isOwnedByDaemonSet(asPod(p));
/** Static/mirror pods are owned by the Node and cannot be evicted or rescheduled. */
export const isOwnedByNode = (p: PodInfo): boolean => pods.isOwnedByNode(asPod(p)) || pods.isMirrorPod(asPod(p));
/** `namespace/name`. */
export const podKey = (p: PodInfo): string => pods.podKey(asPod(p));

/**
 * Pods that must land somewhere else if the node goes away (Karpenter IsReschedulable): active ones, and a
 * terminating StatefulSet pod (its replacement cannot start before it is gone, so it needs room elsewhere).
 */
export function isReschedulable(p: PodInfo): boolean {
  const active = !isTerminal(p) && !isTerminating(p);
  return (active || (p.ownerKind === "StatefulSet" && isTerminating(p))) && !isDaemonSetPod(p) && !isOwnedByNode(p);
}

/** Karpenter's per-pod eviction cost: base 1, adjusted by priority and pod-deletion-cost, clamped to [-10, 10]. */
export function evictionCost(p: PodInfo): number {
  let cost = 1;
  const deletionCost = Number(p.annotations?.[POD_DELETION_COST_ANNOTATION]);
  if (Number.isFinite(deletionCost)) cost += deletionCost / 2 ** 27;
  if (p.priority !== undefined) cost += p.priority / 2 ** 25;
  return Math.min(10, Math.max(-10, cost));
}

/** Fraction of expireAfter still ahead of the node, in [0, 1]; 1 when it never expires. */
export function lifetimeRemaining(node: NodeInfo, now: Date): number {
  if (!node.expireAfter) return 1;
  const ms = requireDuration(node.expireAfter, `NodeClaim ${node.nodeClaimName} spec.expireAfter`);
  if (ms === null || ms === 0) return 1;
  const remaining = 1 - (now.getTime() - node.createdAt.getTime()) / ms;
  return Math.min(1, Math.max(0, remaining));
}

export function disruptionCost(node: NodeInfo, pods: PodInfo[], now: Date): number {
  return pods.reduce((sum, p) => sum + evictionCost(p), 0) * lifetimeRemaining(node, now);
}

/** Tolerates karpenter.sh/disrupted:NoSchedule: never evicted, so its PDBs do not matter (Karpenter IsEvictable). */
function toleratesDisruptedTaint(p: PodInfo): boolean {
  return (p.tolerations ?? []).some((t) => tolerates(t, TaintDisrupted));
}

/**
 * Why this pod prevents a voluntary disruption of its node, or undefined (Karpenter ValidatePodsDisruptable).
 * Any active pod can block with an active do-not-disrupt annotation, DaemonSet and static pods included; a PDB
 * counts only for a pod that would be evicted. A pod without a controller owner does not block: like Karpenter,
 * it is simulated and evicted like any other pod (nothing recreates it).
 */
export function podBlockReason(p: PodInfo, now: Date): string | undefined {
  if (isTerminal(p) || isTerminating(p)) return undefined;
  const id = `${p.namespace}/${p.name}`;
  if (podDoNotDisruptActive(p, now)) return `pod ${id} has "${DO_NOT_DISRUPT_ANNOTATION}" annotation`;
  if (isOwnedByNode(p) || toleratesDisruptedTaint(p)) return undefined;
  const pdbs = p.pdbs ?? [];
  if (pdbs.length > 1)
    return `pod ${id} is selected by multiple PDBs (${pdbs.map((b) => `${b.namespace}/${b.name}`).join(", ")}), eviction would fail`;
  const blocking = pdbs.find((b) => b.disruptionsAllowed <= 0);
  if (blocking) return `pdb ${blocking.namespace}/${blocking.name} prevents pod evictions`;
  return undefined;
}

/** Balanced scoring's disruption of a node: 1 plus the positive eviction costs of `pods` (PerNodeBaseDisruptionCost). */
export function rescheduleDisruptionCost(pods: PodInfo[]): number {
  return pods.reduce((s, p) => s + Math.max(0, evictionCost(p)), 1);
}

/** As Karpenter's IsEmpty: no pod that would move carries a positive eviction cost. */
export const isEmptyCandidate = (c: Candidate): boolean => c.rescheduleDisruptionCost <= 1;

export function isInitialized(node: NodeInfo): boolean {
  return node.conditions.some((c) => c.type === "Initialized" && c.status === "True");
}

function initializedAt(node: NodeInfo): Date {
  const c = node.conditions.find((x) => x.type === "Initialized" && x.status === "True");
  return c?.lastTransitionTime ? new Date(c.lastTransitionTime) : node.createdAt;
}

/** The NodePool's consolidateAfter in ms (null: "Never"); throws naming the field when it does not parse. */
export function consolidateAfterMs(nodePool: {
  metadata?: { name?: string };
  spec?: { disruption?: { consolidateAfter?: string } };
}): number | null {
  return requireDuration(
    nodePool.spec?.disruption?.consolidateAfter ?? "0s",
    `NodePool ${nodePool.metadata?.name} spec.disruption.consolidateAfter`,
  );
}

/**
 * As Karpenter's NodeClaim `Consolidatable` condition: consolidateAfter has elapsed since the last pod event, or
 * since initialization when no pod event is known. `after` null ("Never") never elapses.
 */
export function consolidateAfterElapsed(
  after: number | null,
  lastPodEventMs: number | undefined,
  initializedAtMs: number,
  nowMs: number,
): boolean {
  return after !== null && nowMs - (lastPodEventMs ?? initializedAtMs) >= after;
}

/** consolidateAfter elapsed since the last pod event; false when "Never", static pools, or no policy applies. */
export function isConsolidatable(node: NodeInfo, nodePool: NodePoolLike, now: Date): boolean {
  if (nodePool.spec.replicas !== undefined) return false; // static pools keep their count
  return consolidateAfterElapsed(
    consolidateAfterMs(nodePool),
    node.lastPodEventTime?.getTime(),
    initializedAt(node).getTime(),
    now.getTime(),
  );
}

export interface CandidateSelection {
  candidates: Candidate[];
  blocked: BlockedNode[];
  /** Configuration errors found while selecting (bad durations), each naming the field. */
  errors: string[];
}

/**
 * All nodes that could be disrupted at `now`, with their cost, consolidatability and drift state, plus the
 * reasons the rest cannot. Nodes not yet initialized or already being deleted are skipped silently (not
 * "blocked": they are simply in transit). Output order is deterministic (by node name).
 */
export function selectCandidates(
  snapshot: ClusterSnapshot,
  now: Date,
  settings: DisruptionSettings,
): CandidateSelection {
  const pools = new Map(snapshot.nodePools.map((np) => [np.metadata.name, np]));
  const candidates: Candidate[] = [];
  const blocked: BlockedNode[] = [];
  const errors: string[] = [];
  const nodes = [...snapshot.nodes].sort((a, b) => a.name.localeCompare(b.name));
  for (const node of nodes) {
    const block = (reason: string): void => {
      blocked.push({ node: node.name, nodeClaim: node.nodeClaimName, reason });
    };
    if (node.unmanaged || node.markedForDeletion || !isInitialized(node)) continue;
    // As Karpenter: capacity the provisioner just planned pods onto (e.g. the replacement for a node whose drain a
    // PDB blocks) is not empty or underutilized, it is waiting for them; deleting it would only relaunch it.
    if (node.nominated) {
      block("state node is nominated for a pending pod");
      continue;
    }
    const nodePool = pools.get(node.nodePoolName);
    if (!nodePool) {
      block(`nodepool "${node.nodePoolName}" not found`);
      continue;
    }
    if (
      node.nodeAnnotations?.[DO_NOT_DISRUPT_ANNOTATION] === "true" ||
      node.nodeClaimAnnotations?.[DO_NOT_DISRUPT_ANNOTATION] === "true"
    ) {
      block(`disruption is blocked through the "${DO_NOT_DISRUPT_ANNOTATION}" annotation`);
      continue;
    }
    const drift = node.conditions.find((c) => c.type === "Drifted" && c.status === "True");
    // Eventual methods (drift) may proceed past blocking pods when a terminationGracePeriod bounds the drain.
    const podBlocksIgnored = drift !== undefined && node.terminationGracePeriod !== undefined;
    const podBlock = podBlocksIgnored
      ? undefined
      : node.pods.map((p) => podBlockReason(p, now)).find((r) => r !== undefined);
    if (podBlock) {
      block(podBlock);
      continue;
    }
    try {
      const reschedulablePods = node.pods.filter(isReschedulable);
      candidates.push({
        node,
        nodePool,
        reschedulablePods,
        // Karpenter prices a disruption by every pod on the node, not only the ones that move.
        disruptionCost: disruptionCost(node, node.pods, now),
        rescheduleDisruptionCost: rescheduleDisruptionCost(reschedulablePods),
        consolidatable: isConsolidatable(node, nodePool, now),
        driftReason: drift ? (drift.reason ?? "Drifted") : undefined,
      });
    } catch (err) {
      errors.push((err as Error).message);
      block((err as Error).message);
    }
  }
  return { candidates, blocked, errors };
}
