// Drift: roll nodes whose NodeClaim carries Drifted=True. Empty drifted nodes are deleted together (within the
// Drifted budget); otherwise the first drifted node (cheapest to disrupt) whose pods all reschedule is replaced
// by as many NodeClaims as the simulation needs, launched before the old node is drained.
import { cheapest, sumPrice } from "../pricing";
import {
  byDisruptionCost,
  makeCommand,
  takeWithinBudget,
  type Method,
  type MethodContext,
  type MethodResult,
} from "../method";
import type { BlockedNode, Candidate } from "../types";

export const drift: Method = {
  name: "drift",
  reason: "Drifted",
  shouldDisrupt: (c: Candidate) => c.driftReason !== undefined,
  computeCommand(ctx: MethodContext, candidates: Candidate[]): MethodResult {
    const eligible = candidates.filter((c) => this.shouldDisrupt(c)).sort(byDisruptionCost);
    const { taken, overBudget } = takeWithinBudget(ctx, eligible, "Drifted");
    const rejections: BlockedNode[] = [...overBudget];
    const empty = taken.filter((c) => c.reschedulablePods.length === 0);
    if (empty.length > 0) {
      return {
        command: makeCommand({
          method: "drift",
          reason: "Drifted",
          decision: "delete",
          candidates: empty,
          replacements: [],
          savingsPerHour: sumPrice(empty),
        }),
        rejections,
      };
    }
    for (const c of taken) {
      const result = ctx.simulator.simulate({
        snapshot: ctx.snapshot,
        pods: c.reschedulablePods,
        removedNodes: new Set([c.node.name]),
      });
      if (result.unschedulable.length > 0) {
        const u = result.unschedulable[0]!;
        rejections.push({
          node: c.node.name,
          nodeClaim: c.node.nodeClaimName,
          reason: `drifted (${c.driftReason}) but not all pods would schedule, ${u.pod.namespace}/${u.pod.name} => ${u.reason}`,
        });
        continue;
      }
      const replacementCost = result.newNodeClaims.reduce(
        (s, nc) => s + (nc.options.length ? cheapest(nc.options) : 0),
        0,
      );
      return {
        command: makeCommand({
          method: "drift",
          reason: "Drifted",
          decision: result.newNodeClaims.length ? "replace" : "delete",
          candidates: [c],
          replacements: result.newNodeClaims,
          savingsPerHour: c.node.pricePerHour - replacementCost,
        }),
        rejections,
      };
    }
    return { rejections };
  },
};
