// Emptiness: delete every consolidatable node with no reschedulable pods (daemonset/mirror/terminal pods do not
// count), as many as the Empty budget allows, in one command. Applies under every consolidation policy.
import {
  bySavingsRatio,
  makeCommand,
  takeWithinBudget,
  type Method,
  type MethodContext,
  type MethodResult,
} from "../method";
import { isEmptyCandidate } from "../candidates";
import type { Candidate } from "../types";

export const emptiness: Method = {
  name: "emptiness",
  reason: "Empty",
  shouldDisrupt: (c: Candidate) => c.consolidatable && isEmptyCandidate(c),
  computeCommand(ctx: MethodContext, candidates: Candidate[]): MethodResult {
    const eligible = candidates.filter((c) => this.shouldDisrupt(c)).sort(bySavingsRatio);
    const { taken, overBudget } = takeWithinBudget(ctx, eligible, "Empty");
    if (taken.length === 0) return { rejections: overBudget };
    const savings = taken.reduce((s, c) => s + c.node.pricePerHour, 0);
    return {
      command: makeCommand({
        method: "emptiness",
        reason: "Empty",
        decision: "delete",
        candidates: taken,
        replacements: [],
        savingsPerHour: savings,
      }),
      rejections: overBudget,
    };
  },
};
