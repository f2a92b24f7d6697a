// One disruption pass: select candidates, compute budgets, walk the methods in Karpenter's order
// (emptiness → drift → multi-node → single-node consolidation; core disruption/controller.go) and return at most
// one command plus the messages the caller turns into Events and log lines. Pure: the caller supplies the
// snapshot, the clock and the scheduler simulation, then validates (validation.ts) after 15 s and executes.
import { allowedDisruptionsForCluster } from "./budgets";
import { selectCandidates } from "./candidates";
import type { MoveScore } from "./consolidation";
import type { ConsolidationMemory, Method, MethodContext, TimedConsolidation } from "./method";
import { drift } from "./methods/drift";
import { emptiness } from "./methods/emptiness";
import { multiNodeConsolidation } from "./methods/multiNodeConsolidation";
import { singleNodeConsolidation } from "./methods/singleNodeConsolidation";
import {
  DEFAULT_SETTINGS,
  type BlockedNode,
  type Candidate,
  type ClusterSnapshot,
  type Command,
  type DisruptionReason,
  type DisruptionSettings,
  type MethodName,
  type Simulator,
} from "./types";

export const METHODS: readonly Method[] = [emptiness, drift, multiNodeConsolidation, singleNodeConsolidation];
export const POLLING_PERIOD_MS = 10_000;
export const COMMAND_VALIDATION_DELAY_MS = 15_000;

export interface DisruptionPass {
  command?: Command;
  /** Nodes that cannot be disrupted at all, with why: one DisruptionBlocked event each. */
  blocked: BlockedNode[];
  /** Per-method rejections (budget exhausted, can't replace cheaper...): Unconsolidatable-style events. */
  rejections: Array<BlockedNode & { method: MethodName }>;
  /** What each NodePool's active budgets allow per reason at `now`, before subtracting the nodes already
   * disrupting (the allowed_disruptions metric, as Karpenter's BuildDisruptionBudgetMapping sets it). */
  allowed: Record<string, Record<DisruptionReason, number>>;
  /** Configuration errors (bad budgets/durations), each naming the field; broken budgets fail closed. */
  errors: string[];
  /** Human-readable decision lines (the command's message, or why nothing was done). */
  messages: string[];
  /** How long each method evaluated (karpenter_voluntary_disruption_decision_evaluation_duration_seconds). */
  evaluations: Array<{ method: MethodName; reason: DisruptionReason; seconds: number }>;
  /** Scored consolidation moves (karpenter_consolidation_moves_total / _score). */
  scores: MoveScore[];
  /** Consolidation methods that hit their timeout (karpenter_voluntary_disruption_consolidation_timeouts_total). */
  timeouts: TimedConsolidation[];
}

export interface ComputeOptions {
  simulator: Simulator;
  settings?: Partial<DisruptionSettings>;
  /** Methods to walk; defaults to Karpenter's order. */
  methods?: readonly Method[];
  /** Monotonic milliseconds for the consolidation timeouts; performance.now by default. */
  elapsedMs?: () => number;
  /** Consolidation's memory across passes (the runner keeps one). */
  memory?: ConsolidationMemory;
  /** The cluster state's change version (ClusterState.changeVersion): with `memory`, consolidation skips a state it
   * already found nothing in. */
  stateVersion?: number;
}

export function computeCommand(snapshot: ClusterSnapshot, now: Date, opts: ComputeOptions): DisruptionPass {
  const settings: DisruptionSettings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const selection = selectCandidates(snapshot, now, settings);
  const budgetInfo = allowedDisruptionsForCluster(snapshot, now);
  const budgets = new Map<string, Record<DisruptionReason, number>>();
  const allowed: Record<string, Record<DisruptionReason, number>> = {};
  const errors = [...selection.errors];
  for (const [pool, info] of [...budgetInfo].sort(([a], [b]) => a.localeCompare(b))) {
    budgets.set(pool, info.byReason);
    allowed[pool] = { ...info.budgeted };
    errors.push(...info.errors);
  }
  const ctx: MethodContext = {
    snapshot,
    now,
    settings,
    simulator: opts.simulator,
    budgets,
    candidates: selection.candidates,
    elapsedMs: opts.elapsedMs,
    memory: opts.memory,
    consolidationStamp: consolidationStamp(opts.stateVersion, selection.candidates),
  };
  const rejections: DisruptionPass["rejections"] = [];
  const evaluations: DisruptionPass["evaluations"] = [];
  const scores: MoveScore[] = [];
  const timeouts: TimedConsolidation[] = [];
  for (const method of opts.methods ?? METHODS) {
    const started = process.hrtime.bigint();
    const result = method.computeCommand(ctx, selection.candidates);
    evaluations.push({
      method: method.name,
      reason: method.reason,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    scores.push(...(result.scores ?? []));
    if (result.timedOut) timeouts.push(result.timedOut);
    rejections.push(...result.rejections.map((r) => ({ ...r, method: method.name })));
    if (result.command) {
      return {
        command: result.command,
        blocked: selection.blocked,
        rejections,
        allowed,
        errors,
        messages: [result.command.message],
        evaluations,
        scores,
        timeouts,
      };
    }
  }
  const messages = [
    `no disruption: ${selection.candidates.length} candidate(s), ${selection.blocked.length} blocked, ${rejections.length} rejected`,
  ];
  return { blocked: selection.blocked, rejections, allowed, errors, messages, evaluations, scores, timeouts };
}

/**
 * What consolidation's "nothing changed" compares: the state's change version plus each candidate and whether it
 * is consolidatable yet (consolidateAfter elapsing, a do-not-disrupt expiring or a nomination lapsing change the
 * candidates with time alone, where Karpenter's Consolidatable condition would change an object).
 */
function consolidationStamp(version: number | undefined, candidates: readonly Candidate[]): string | undefined {
  if (version === undefined) return undefined;
  return `${version}|${candidates.map((c) => `${c.node.name}${c.consolidatable ? "+" : "-"}`).join(",")}`;
}
