// Price helpers shared by the methods and the Balanced score.
import { isDaemonSetPod, isTerminal, rescheduleDisruptionCost } from "./candidates";
import type { Candidate, ClusterSnapshot, ReplacementOption } from "./types";

export const sumPrice = (cs: Candidate[]): number => cs.reduce((s, c) => s + c.node.pricePerHour, 0);
export const cheapest = (options: ReplacementOption[]): number =>
  options.reduce((m, o) => Math.min(m, o.pricePerHour), Infinity);

/** Options sorted by price, then type/capacity/zone, so outputs are deterministic. */
export function sortOptions(options: ReplacementOption[]): ReplacementOption[] {
  return [...options].sort(
    (a, b) =>
      a.pricePerHour - b.pricePerHour ||
      a.instanceType.localeCompare(b.instanceType) ||
      a.capacityType.localeCompare(b.capacityType) ||
      (a.zone ?? "").localeCompare(b.zone ?? ""),
  );
}

export const money = (v: number): string => `$${v.toFixed(4)}/h`;

/** Karpenter BalancedK: a Balanced move passes when its score reaches 1/k. Fixed in v1.14 (no API field). */
export const BALANCED_K = 2;

/** A pool's denominators (Karpenter NodePoolTotals): its nodes' cost and their summed disruption cost. */
export interface PoolTotals {
  totalCost: number;
  totalDisruptionCost: number;
}

/**
 * Totals of one pool over every node in it (Karpenter computeNodePoolTotals): a candidate counts its
 * rescheduleDisruptionCost, any other node 1 plus the positive eviction costs of its non-DaemonSet pods.
 * The cost is the pool's node prices, or (when those sum to 0) its candidates' prices.
 */
export function poolTotals(snapshot: ClusterSnapshot, pool: string, candidates: readonly Candidate[]): PoolTotals {
  const byName = new Map(candidates.filter((c) => c.node.nodePoolName === pool).map((c) => [c.node.name, c]));
  let totalCost = 0;
  let totalDisruptionCost = 0;
  for (const n of snapshot.nodes) {
    if (n.nodePoolName !== pool) continue;
    totalCost += n.pricePerHour > 0 ? n.pricePerHour : 0;
    const c = byName.get(n.name);
    totalDisruptionCost += c
      ? c.rescheduleDisruptionCost
      : rescheduleDisruptionCost(n.pods.filter((p) => !isDaemonSetPod(p) && !isTerminal(p)));
  }
  if (totalCost <= 0) totalCost = [...byName.values()].reduce((s, c) => s + c.node.pricePerHour, 0);
  return { totalCost, totalDisruptionCost };
}

/** Karpenter ScoreResult.Score: savings share / disruption share; 0 without savings, +Inf for no disruption. */
export function balancedScore(savings: number, disruption: number, totals: PoolTotals): number {
  if (totals.totalCost <= 0 || totals.totalDisruptionCost <= 0) return 0;
  const savingsFraction = savings / totals.totalCost;
  const disruptionFraction = disruption / totals.totalDisruptionCost;
  if (savingsFraction <= 0) return 0;
  if (disruptionFraction === 0) return Infinity;
  return savingsFraction / disruptionFraction;
}

/**
 * Karpenter CanPassThreshold: a candidate's best case (a delete saving its whole price) already fails the
 * threshold, so no replacement can pass. Non-Balanced pools and pools without a cost always pass.
 */
export function canPassBalanced(snapshot: ClusterSnapshot, c: Candidate, all: readonly Candidate[]): boolean {
  if (c.nodePool.spec.disruption?.consolidationPolicy !== "Balanced") return true;
  const totals = poolTotals(snapshot, c.node.nodePoolName, all);
  if (totals.totalCost <= 0) return true;
  return balancedScore(c.node.pricePerHour, c.rescheduleDisruptionCost, totals) >= 1 / BALANCED_K;
}
