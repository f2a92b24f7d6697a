// Multi-node consolidation: binary-search the largest prefix of candidates (most savings per disruption first,
// capped at 100, within the Underutilized budget) that can be removed at once with at most one cheaper replacement.
// The search stops at its timeout (Karpenter: 1 min) with the best command found so far.
import { computeConsolidation, type MoveScore } from "../consolidation";
import {
  bySavingsRatio,
  deadline,
  isConsolidated,
  makeCommand,
  markConsolidated,
  takeWithinBudget,
  wantsUnderutilized,
  type Method,
  type MethodContext,
  type MethodResult,
} from "../method";
import type { Candidate, Command } from "../types";

export const multiNodeConsolidation: Method = {
  name: "multi-node-consolidation",
  reason: "Underutilized",
  shouldDisrupt: wantsUnderutilized,
  computeCommand(ctx: MethodContext, candidates: Candidate[]): MethodResult {
    if (isConsolidated(ctx, "multi")) return { rejections: [] };
    const eligible = candidates.filter((c) => this.shouldDisrupt(c)).sort(bySavingsRatio);
    const { taken, overBudget } = takeWithinBudget(ctx, eligible, "Underutilized");
    const pool = taken.slice(0, ctx.settings.multiNodeMaxCandidates);
    // As Karpenter: nothing found and no budget held a candidate back → nothing to do until the cluster changes.
    const nothing = (r: MethodResult): MethodResult => {
      if (!r.command && !overBudget.length) markConsolidated(ctx, "multi");
      return r;
    };
    // Fewer than two nodes is single-node consolidation's job.
    if (pool.length < 2) return nothing({ rejections: overBudget });
    const timeout = deadline(ctx, ctx.settings.multiNodeConsolidationTimeoutMs);
    let lastScores: MoveScore[] | undefined;
    let rejectedScores: MoveScore[] | undefined;
    // As Karpenter's timeout context: the deadline also stops a simulation in progress, whose answer is dropped.
    let cancelled = false;
    const attempt = (n: number): Command | undefined => {
      const prefix = pool.slice(0, n);
      const outcome = computeConsolidation({
        snapshot: ctx.snapshot,
        candidates: prefix,
        simulator: ctx.simulator,
        settings: ctx.settings,
        mode: "multi",
        allCandidates: ctx.candidates,
        cancelled: timeout.expired,
      });
      if (!outcome.ok && outcome.cancelled) {
        cancelled = true;
        return undefined;
      }
      if (outcome.scores) {
        if (outcome.ok) lastScores = outcome.scores;
        else rejectedScores = outcome.scores;
      }
      return outcome.ok
        ? makeCommand({
            method: "multi-node-consolidation",
            reason: "Underutilized",
            decision: outcome.decision,
            candidates: prefix,
            replacements: outcome.replacements,
            savingsPerHour: outcome.savingsPerHour,
          })
        : undefined;
    };
    // Scale-down commonly frees the whole prefix: probe it first (same answer as the search, one simulation).
    let best = attempt(pool.length);
    if (best) return { command: best, rejections: overBudget, scores: lastScores };
    let lo = 2;
    let hi = pool.length - 1;
    while (lo <= hi) {
      // As Karpenter: out of time, the best command so far (or none) stands.
      if (cancelled || timeout.expired())
        return nothing({
          command: best,
          rejections: overBudget,
          scores: best ? lastScores : rejectedScores,
          timedOut: "multi",
        });
      const mid = Math.floor((lo + hi) / 2);
      const cmd = attempt(mid);
      if (cmd) {
        best = cmd;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // As Karpenter: the moves metric counts the chosen move once, or the last rejected one when none passed.
    const scores = best ? lastScores : rejectedScores;
    return nothing({ command: best, rejections: overBudget, scores, ...(cancelled ? { timedOut: "multi" } : {}) });
  },
};
