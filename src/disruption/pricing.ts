// Price helpers shared by the methods and the Balanced score.
import { evictionCost } from "./candidates";
import type { Candidate, ClusterSnapshot, NodeInfo, ReplacementOption } from "./types";

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

/** Balanced-policy disruption of one node: per-node baseline 1 plus non-negative eviction costs of its pods. */
export function balancedNodeDisruption(node: NodeInfo, pods = node.pods): number {
  return 1 + pods.reduce((s, p) => s + Math.max(0, evictionCost(p)), 0);
}

export const money = (v: number): string => `$${v.toFixed(4)}/h`;

/**
 * Balanced consolidation score (core designs/balanced-consolidation.md): the move's share of the source pools'
 * cost it saves, divided by its share of their disruption. Approved when score >= 1/k (k defaults to 2).
 */
export function balancedScore(snapshot: ClusterSnapshot, candidates: Candidate[], savings: number): number {
  if (savings <= 0) return 0;
  const pools = new Set(candidates.map((c) => c.node.nodePoolName));
  let poolCost = 0;
  let poolDisruption = 0;
  for (const n of snapshot.nodes) {
    if (!pools.has(n.nodePoolName)) continue;
    poolCost += n.pricePerHour;
    poolDisruption += balancedNodeDisruption(n);
  }
  const moveDisruption = candidates.reduce((s, c) => s + balancedNodeDisruption(c.node, c.reschedulablePods), 0);
  if (poolCost <= 0 || poolDisruption <= 0) return 0;
  return savings / poolCost / (moveDisruption / poolDisruption);
}
