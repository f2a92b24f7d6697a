// The Method interface (Karpenter pkg/controllers/disruption/types.go) and helpers shared by the four methods.
import { isEmptyCandidate } from "./candidates";
import type { MoveScore } from "./consolidation";
import { money } from "./pricing";
import type {
  BlockedNode,
  Candidate,
  ClusterSnapshot,
  Command,
  DisruptionReason,
  DisruptionSettings,
  MethodName,
  Simulator,
} from "./types";

export interface MethodContext {
  snapshot: ClusterSnapshot;
  now: Date;
  settings: DisruptionSettings;
  simulator: Simulator;
  /** Remaining allowed disruptions per NodePool per reason (already net of nodes being disrupted). */
  budgets: ReadonlyMap<string, Readonly<Record<DisruptionReason, number>>>;
  /** Every candidate of the pass (Balanced pool totals). */
  candidates?: readonly Candidate[];
  /** Monotonic milliseconds, for the consolidation timeouts (performance.now by default). */
  elapsedMs?: () => number;
  /** What consolidation remembers between passes (the runner keeps one). */
  memory?: ConsolidationMemory;
  /** Identifies the cluster's state for consolidation (its change version and the candidates); see isConsolidated. */
  consolidationStamp?: string;
}

/**
 * Kept across passes, as Karpenter's SingleNodeConsolidation keeps PreviouslyUnseenNodePools: the NodePools a
 * timed-out pass never reached go first next time, so one large pool cannot starve the others.
 */
export interface ConsolidationMemory {
  unseenNodePools: Set<string>;
  /** Per method: the state in which it last found nothing to do, and when (Karpenter's lastConsolidationState). */
  consolidated: Map<TimedConsolidation, { stamp: string; atMs: number }>;
}

export const newConsolidationMemory = (): ConsolidationMemory => ({
  unseenNodePools: new Set(),
  consolidated: new Map(),
});

/** As Karpenter's ConsolidationState: an unchanged cluster is looked at again at least every 5 minutes anyway
 * (prices, ICE expiry and instance-type availability change without any object changing). */
export const CONSOLIDATION_RECHECK_MS = 5 * 60_000;

/** True when this method already found nothing to do in exactly this cluster state, less than 5 minutes ago. */
export function isConsolidated(ctx: MethodContext, type: TimedConsolidation): boolean {
  const seen = ctx.memory?.consolidated.get(type);
  return (
    !!seen &&
    ctx.consolidationStamp !== undefined &&
    seen.stamp === ctx.consolidationStamp &&
    ctx.now.getTime() - seen.atMs < CONSOLIDATION_RECHECK_MS
  );
}

/** Records that this method found nothing to do in this state (not when budgets held candidates back: a budget
 * window opening changes nothing else, as Karpenter's constrainedByBudgets). */
export function markConsolidated(ctx: MethodContext, type: TimedConsolidation): void {
  if (ctx.memory && ctx.consolidationStamp !== undefined)
    ctx.memory.consolidated.set(type, { stamp: ctx.consolidationStamp, atMs: ctx.now.getTime() });
}

/** Karpenter's consolidation types that can time out. */
export type TimedConsolidation = "single" | "multi";

export interface MethodResult {
  command?: Command;
  /** Scored consolidation moves (Balanced metrics): single-node every move tried, multi-node the final one. */
  scores?: MoveScore[];
  /** Candidates looked at and rejected, with why (Unconsolidatable / DisruptionBlocked-style messages). */
  rejections: BlockedNode[];
  /** The method hit its timeout (karpenter_voluntary_disruption_consolidation_timeouts_total). */
  timedOut?: TimedConsolidation;
}

export interface Method {
  readonly name: MethodName;
  readonly reason: DisruptionReason;
  /** Whether this method is interested in the candidate at all (policy, consolidateAfter, drift). */
  shouldDisrupt(c: Candidate): boolean;
  computeCommand(ctx: MethodContext, candidates: Candidate[]): MethodResult;
}

/** Ascending disruption cost, then most expensive first, then name: cheapest-to-disrupt, most-saving first. */
export function byDisruptionCost(a: Candidate, b: Candidate): number {
  return (
    a.disruptionCost - b.disruptionCost ||
    b.node.pricePerHour - a.node.pricePerHour ||
    a.node.name.localeCompare(b.node.name)
  );
}

/**
 * Consolidation order (Karpenter sortCandidates, v1.14): highest savings per unit of disruption first, i.e. price
 * over reschedule disruption cost; then name, so equal ratios keep a stable order.
 */
export function bySavingsRatio(a: Candidate, b: Candidate): number {
  const ra = a.node.pricePerHour / a.rescheduleDisruptionCost;
  const rb = b.node.pricePerHour / b.rescheduleDisruptionCost;
  return rb - ra || a.node.name.localeCompare(b.node.name);
}

/** Keeps candidates (in order) while their NodePool's budget for `reason` has room; reports the rest. */
export function takeWithinBudget(
  ctx: MethodContext,
  candidates: Candidate[],
  reason: DisruptionReason,
): { taken: Candidate[]; overBudget: BlockedNode[] } {
  const left = new Map<string, number>();
  const taken: Candidate[] = [];
  const overBudget: BlockedNode[] = [];
  for (const c of candidates) {
    const pool = c.node.nodePoolName;
    const remaining = left.get(pool) ?? ctx.budgets.get(pool)?.[reason] ?? 0;
    if (remaining <= 0) {
      overBudget.push({
        node: c.node.name,
        nodeClaim: c.node.nodeClaimName,
        reason: `disruption budget for nodepool "${pool}" (reason ${reason}) is exhausted`,
      });
      left.set(pool, 0);
      continue;
    }
    left.set(pool, remaining - 1);
    taken.push(c);
  }
  return { taken, overBudget };
}

export const consolidationPolicy = (c: Candidate): string =>
  c.nodePool.spec.disruption?.consolidationPolicy ?? "WhenEmptyOrUnderutilized";

/** Both consolidation methods' interest: consolidatable, not WhenEmpty, and not empty (emptiness's, as Karpenter). */
export const wantsUnderutilized = (c: Candidate): boolean =>
  c.consolidatable && consolidationPolicy(c) !== "WhenEmpty" && !isEmptyCandidate(c);

/** A deadline `ms` from now on the context's monotonic clock: `expired()` once it has passed. */
export function deadline(ctx: MethodContext, ms: number): { expired(): boolean } {
  const now = ctx.elapsedMs ?? (() => performance.now());
  const end = now() + ms;
  return { expired: () => now() > end };
}

/** One line for the Event and log: method, reason, nodes, replacement, $/h saved. */
export function describeCommand(cmd: Omit<Command, "message">): string {
  const nodes = cmd.candidates
    .map(
      (c) =>
        `${c.node.name} (${c.node.instanceType}/${c.node.capacityType}/${c.node.zone}, ${money(c.node.pricePerHour)})`,
    )
    .join(", ");
  const repl =
    cmd.replacements.length === 0
      ? "no replacement"
      : cmd.replacements
          .map((r) => {
            const first = r.options[0];
            return first
              ? `1 nodeclaim in nodepool ${r.nodePoolName} from ${r.options.length} option(s), cheapest ${first.instanceType}/${first.capacityType} ${money(first.pricePerHour)}`
              : `1 nodeclaim in nodepool ${r.nodePoolName}`;
          })
          .join("; ");
  const verb = cmd.decision === "delete" ? "delete" : "replace";
  return `disrupting via ${cmd.method} (${cmd.reason}): ${verb} ${cmd.candidates.length} node(s) [${nodes}], ${repl}, saving ${money(cmd.savingsPerHour)}`;
}

export function makeCommand(cmd: Omit<Command, "message">): Command {
  return { ...cmd, message: describeCommand(cmd) };
}
