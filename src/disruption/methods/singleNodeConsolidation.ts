// Single-node consolidation: the first candidate (most savings per disruption) that can be deleted, or replaced by one
// strictly cheaper NodeClaim, within the Underutilized budget.
import { isEmptyCandidate } from "../candidates";
import { computeConsolidation, type MoveScore } from "../consolidation";
import { canPassBalanced } from "../pricing";
import {
  bySavingsRatio,
  consolidationPolicy,
  makeCommand,
  takeWithinBudget,
  type Method,
  type MethodContext,
  type MethodResult,
} from "../method";
import type { BlockedNode, Candidate } from "../types";

export const singleNodeConsolidation: Method = {
  name: "single-node-consolidation",
  reason: "Underutilized",
  // Empty nodes are emptiness's (its budget reason), as Karpenter.
  shouldDisrupt: (c: Candidate) => c.consolidatable && consolidationPolicy(c) !== "WhenEmpty" && !isEmptyCandidate(c),
  computeCommand(ctx: MethodContext, candidates: Candidate[]): MethodResult {
    const eligible = candidates.filter((c) => this.shouldDisrupt(c)).sort(bySavingsRatio);
    const { taken, overBudget } = takeWithinBudget(ctx, eligible, "Underutilized");
    const rejections: BlockedNode[] = [...overBudget];
    const scores: MoveScore[] = [];
    for (const c of taken) {
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
    return { rejections, scores };
  },
};
