// Single-node consolidation: the first candidate (most savings per disruption, NodePools interleaved) that can be
// deleted, or replaced by one strictly cheaper NodeClaim, within the Underutilized budget. Past its timeout
// (Karpenter: 3 min) the pass gives up, and the NodePools it never reached go first next time.
import { computeConsolidation, type MoveScore } from "../consolidation";
import { canPassBalanced } from "../pricing";
import {
  bySavingsRatio,
  deadline,
  isConsolidated,
  makeCommand,
  markConsolidated,
  newConsolidationMemory,
  takeWithinBudget,
  wantsUnderutilized,
  type ConsolidationMemory,
  type Method,
  type MethodContext,
  type MethodResult,
} from "../method";
import type { BlockedNode, Candidate } from "../types";

/**
 * Karpenter's SortCandidates: by savings ratio, then interleaved round-robin across NodePools, the pools a timed-out
 * pass left unseen first (then by their best candidate), so every pool's best node comes before any pool's second.
 */
export function interleaveByNodePool(sorted: Candidate[], unseen: ReadonlySet<string>): Candidate[] {
  const byPool = new Map<string, Candidate[]>();
  for (const c of sorted) {
    const list = byPool.get(c.node.nodePoolName);
    if (list) list.push(c);
    else byPool.set(c.node.nodePoolName, [c]);
  }
  const pools = [...byPool.keys()];
  const order = [...pools.filter((p) => unseen.has(p)), ...pools.filter((p) => !unseen.has(p))];
  const out: Candidate[] = [];
  const longest = Math.max(0, ...[...byPool.values()].map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const p of order) if (i < byPool.get(p)!.length) out.push(byPool.get(p)![i]!);
  return out;
}

export const singleNodeConsolidation: Method = {
  name: "single-node-consolidation",
  reason: "Underutilized",
  shouldDisrupt: wantsUnderutilized,
  computeCommand(ctx: MethodContext, candidates: Candidate[]): MethodResult {
    if (isConsolidated(ctx, "single")) return { rejections: [] };
    const memory: ConsolidationMemory = ctx.memory ?? newConsolidationMemory();
    const eligible = interleaveByNodePool(
      candidates.filter((c) => this.shouldDisrupt(c)).sort(bySavingsRatio),
      memory.unseenNodePools,
    );
    const { taken, overBudget } = takeWithinBudget(ctx, eligible, "Underutilized");
    const rejections: BlockedNode[] = [...overBudget];
    const scores: MoveScore[] = [];
    const timeout = deadline(ctx, ctx.settings.singleNodeConsolidationTimeoutMs);
    const unseen = new Set(taken.map((c) => c.node.nodePoolName));
    for (const c of taken) {
      if (timeout.expired()) {
        memory.unseenNodePools = unseen;
        return { rejections, scores, timedOut: "single" };
      }
      unseen.delete(c.node.nodePoolName);
      // Even deleting it outright would not pass Balanced's threshold: no replacement can (Karpenter skips it).
      if (!canPassBalanced(ctx.snapshot, c, ctx.candidates ?? candidates)) {
        rejections.push({
          node: c.node.name,
          nodeClaim: c.node.nodeClaimName,
          reason: `Balanced: even deleting the node would not save enough for its disruption`,
        });
        continue;
      }
      const outcome = computeConsolidation({
        snapshot: ctx.snapshot,
        candidates: [c],
        simulator: ctx.simulator,
        settings: ctx.settings,
        mode: "single",
        allCandidates: ctx.candidates,
      });
      scores.push(...(outcome.scores ?? []));
      if (!outcome.ok) {
        rejections.push({ node: c.node.name, nodeClaim: c.node.nodeClaimName, reason: outcome.reason });
        continue;
      }
      return {
        command: makeCommand({
          method: "single-node-consolidation",
          reason: "Underutilized",
          decision: outcome.decision,
          candidates: [c],
          replacements: outcome.replacements,
          savingsPerHour: outcome.savingsPerHour,
        }),
        rejections,
        scores,
      };
    }
    memory.unseenNodePools = new Set(); // every pool was seen
    if (!overBudget.length) markConsolidated(ctx, "single");
    return { rejections, scores };
  },
};
