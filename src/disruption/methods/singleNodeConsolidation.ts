// Single-node consolidation: the first candidate (cheapest to disrupt) that can be deleted, or replaced by one
// strictly cheaper NodeClaim, within the Underutilized budget.
import { computeConsolidation } from "../consolidation";
import {
  byDisruptionCost,
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
  shouldDisrupt: (c: Candidate) => c.consolidatable && consolidationPolicy(c) !== "WhenEmpty",
  computeCommand(ctx: MethodContext, candidates: Candidate[]): MethodResult {
    const eligible = candidates.filter((c) => this.shouldDisrupt(c)).sort(byDisruptionCost);
    const { taken, overBudget } = takeWithinBudget(ctx, eligible, "Underutilized");
    const rejections: BlockedNode[] = [...overBudget];
    for (const c of taken) {
      const outcome = computeConsolidation({
        snapshot: ctx.snapshot,
        candidates: [c],
        simulator: ctx.simulator,
        settings: ctx.settings,
        mode: "single",
      });
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
      };
    }
    return { rejections };
  },
};
