// Which pods a node drain must remove, and in what order (Karpenter node/termination/terminator.go):
// non-critical non-daemon → non-critical daemon → critical non-daemon → critical daemon, where critical means
// priorityClassName system-cluster-critical / system-node-critical. Static (mirror) pods, terminal pods and pods
// that tolerate the karpenter.sh/disrupted:NoSchedule taint are left alone: they would only come straight back.
import type { PodInfo, Toleration } from "../../disruption/types";
import { isDaemonSetPod, isOwnedByNode, isTerminal, isTerminating, podKey } from "../../disruption/candidates";

export { isTerminating, podKey };

import { TaintDisrupted as DISRUPTED_TAINT } from "../constants";
const CRITICAL = new Set(["system-cluster-critical", "system-node-critical"]);

export const isCritical = (p: PodInfo): boolean =>
  p.priorityClassName !== undefined && CRITICAL.has(p.priorityClassName);

/** Standard toleration matching against karpenter.sh/disrupted:NoSchedule. */
export function toleratesDisruptedTaint(p: PodInfo): boolean {
  return (p.tolerations ?? []).some((t: Toleration) => {
    if (t.effect && t.effect !== DISRUPTED_TAINT.effect) return false;
    if (!t.key) return t.operator === "Exists"; // empty key + Exists tolerates everything
    if (t.key !== DISRUPTED_TAINT.key) return false;
    return t.operator === "Exists" || (t.value ?? "") === "";
  });
}

/** Pods the drain must see gone before the node is drained (terminating pods still count). */
export function isWaitingEviction(p: PodInfo): boolean {
  return !isTerminal(p) && !isOwnedByNode(p) && !toleratesDisruptedTaint(p);
}

/** Pods the drain should evict now (waiting, and not already terminating). */
export function isEvictable(p: PodInfo): boolean {
  return isWaitingEviction(p) && !isTerminating(p);
}

export const DRAIN_GROUPS = ["non-critical", "non-critical-daemon", "critical", "critical-daemon"] as const;
export type DrainGroup = (typeof DRAIN_GROUPS)[number];

export function drainGroup(p: PodInfo): DrainGroup {
  return isCritical(p)
    ? isDaemonSetPod(p)
      ? "critical-daemon"
      : "critical"
    : isDaemonSetPod(p)
      ? "non-critical-daemon"
      : "non-critical";
}

/** Waiting pods grouped in drain order; each group is sorted by name for deterministic eviction order. */
export function drainPlan(pods: PodInfo[]): Array<{ group: DrainGroup; pods: PodInfo[] }> {
  const waiting = pods.filter(isWaitingEviction);
  return DRAIN_GROUPS.map((group) => ({
    group,
    pods: waiting.filter((p) => drainGroup(p) === group).sort((a, b) => podKey(a).localeCompare(podKey(b))),
  }));
}
