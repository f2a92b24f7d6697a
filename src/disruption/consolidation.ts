// The shared core of consolidation: simulate removing a set of candidates and decide delete / replace / no.
// Rules (Karpenter): every pod must reschedule; never replace with more than one NodeClaim; a replacement must be
// strictly cheaper than what it replaces; spot→spot needs the SpotToSpotConsolidation gate and, for one node,
// at least 15 cheaper spot instance types (then truncated to the 15 cheapest) to avoid churning onto the
// cheapest, most-interrupted pool; several nodes are not replaced by a type among them unless it is cheaper than
// that node; Balanced pools also require savings to justify disruption.
import { BALANCED_K, balancedScore, cheapest, money, poolTotals, sortOptions, sumPrice } from "./pricing";
import type {
  Candidate,
  ClusterSnapshot,
  Decision,
  DisruptionSettings,
  ReplacementOption,
  SimulatedNodeClaim,
  Simulator,
} from "./types";

export const MIN_INSTANCE_TYPES_FOR_SPOT_TO_SPOT = 15;

/** How one pool judged a scored move (karpenter_consolidation_moves_total / _score); score only for Balanced. */
export interface MoveScore {
  nodepool: string;
  policy: string;
  approved: boolean;
  score?: number;
}

export type ConsolidationOutcome =
  | { ok: true; decision: Decision; replacements: SimulatedNodeClaim[]; savingsPerHour: number; scores?: MoveScore[] }
  | { ok: false; reason: string; scores?: MoveScore[]; cancelled?: boolean };

export interface ConsolidationInput {
  snapshot: ClusterSnapshot;
  candidates: Candidate[];
  simulator: Simulator;
  settings: DisruptionSettings;
  /** "single" applies the 15-option spot-to-spot rule; "multi" only requires cheaper. */
  mode: "single" | "multi";
  /** Every disruption candidate of this pass: Balanced pool totals count candidates by their reschedule cost. */
  allCandidates?: readonly Candidate[];
  /** Stops the simulation part-way (multi-node consolidation's timeout); the outcome then says `cancelled`. */
  cancelled?: () => boolean;
}

export function computeConsolidation(input: ConsolidationInput): ConsolidationOutcome {
  const { snapshot, candidates, simulator, settings, mode } = input;
  const pods = candidates.flatMap((c) => c.reschedulablePods);
  const removed = new Set(candidates.map((c) => c.node.name));
  const result = simulator.simulate({
    snapshot,
    pods,
    removedNodes: removed,
    ...(input.cancelled ? { cancelled: input.cancelled } : {}),
  });
  if (result.cancelled) return { ok: false, reason: "the scheduling simulation was cancelled", cancelled: true };
  if (result.unschedulable.length > 0) {
    const u = result.unschedulable[0]!;
    return { ok: false, reason: `not all pods would schedule, ${u.pod.namespace}/${u.pod.name} => ${u.reason}` };
  }
  const candidatePrice = sumPrice(candidates);
  let outcome: ConsolidationOutcome;
  if (result.newNodeClaims.length === 0) {
    outcome = { ok: true, decision: "delete", replacements: [], savingsPerHour: candidatePrice };
  } else if (result.newNodeClaims.length > 1) {
    return { ok: false, reason: `can't remove without creating ${result.newNodeClaims.length} nodeclaims` };
  } else {
    outcome = replacement(result.newNodeClaims[0]!, candidates, candidatePrice, settings, mode);
  }
  if (!outcome.ok) return outcome;
  return applyBalanced(snapshot, candidates, input.allCandidates ?? candidates, outcome);
}

function replacement(
  nc: SimulatedNodeClaim,
  candidates: Candidate[],
  candidatePrice: number,
  settings: DisruptionSettings,
  mode: "single" | "multi",
): ConsolidationOutcome {
  if (candidates.some((c) => !(c.node.pricePerHour > 0))) {
    return { ok: false, reason: "can't replace a node whose current price is unknown" };
  }
  let options = sortOptions(nc.options.filter((o) => o.pricePerHour < candidatePrice));
  if (options.length === 0)
    return { ok: false, reason: `can't replace with a cheaper node (current ${money(candidatePrice)})` };
  const allSpot = candidates.every((c) => c.node.capacityType === "spot");
  if (allSpot && options.some((o) => o.capacityType === "spot")) {
    if (!settings.spotToSpotConsolidation) {
      return { ok: false, reason: "SpotToSpotConsolidation is disabled, can't replace a spot node with a spot node" };
    }
    options = options.filter((o) => o.capacityType === "spot");
    if (mode === "single") {
      const types = [...new Set(options.map((o) => o.instanceType))];
      if (types.length < MIN_INSTANCE_TYPES_FOR_SPOT_TO_SPOT) {
        return {
          ok: false,
          reason: `SpotToSpotConsolidation requires ${MIN_INSTANCE_TYPES_FOR_SPOT_TO_SPOT} cheaper instance type options than the current candidate to consolidate, got ${types.length}`,
        };
      }
      const keep = new Set(types.slice(0, MIN_INSTANCE_TYPES_FOR_SPOT_TO_SPOT));
      options = options.filter((o) => keep.has(o.instanceType));
    }
  }
  if (mode === "multi") {
    options = withoutSameInstanceType(options, candidates);
    if (options.length === 0)
      return { ok: false, reason: "can't replace with a node cheaper than the same instance type being removed" };
  }
  return {
    ok: true,
    decision: "replace",
    replacements: [{ ...nc, options }],
    savingsPerHour: candidatePrice - cheapest(options),
  };
}

/**
 * Karpenter's filterOutSameInstanceType: when several nodes would become one NodeClaim that may be of an instance
 * type among them, it must be cheaper than the cheapest of that type being removed; otherwise keeping that node and
 * deleting the others is the same result with fewer pods moved. E.g. [m5.2xlarge, m5.2xlarge, m5.large] -> one of
 * {t3.medium, m5.large, m5.2xlarge} leaves only t3.medium.
 */
export function withoutSameInstanceType(options: ReplacementOption[], candidates: Candidate[]): ReplacementOption[] {
  const removedPrice = new Map<string, number>();
  for (const c of candidates) {
    const p = removedPrice.get(c.node.instanceType);
    if (p === undefined || c.node.pricePerHour < p) removedPrice.set(c.node.instanceType, c.node.pricePerHour);
  }
  let max = Infinity;
  for (const o of options) max = Math.min(max, removedPrice.get(o.instanceType) ?? Infinity);
  return max === Infinity ? options : options.filter((o) => o.pricePerHour < max);
}

/**
 * Karpenter EvaluateBalancedMove: every Balanced pool among the candidates scores the move on its own and all must
 * approve (score >= 1/k). A pool's savings are the move's, split by its share of the source cost when the move spans
 * pools; its disruption is its candidates' reschedule disruption cost. Other policies pass through.
 */
function applyBalanced(
  snapshot: ClusterSnapshot,
  candidates: Candidate[],
  all: readonly Candidate[],
  outcome: ConsolidationOutcome & { ok: true },
): ConsolidationOutcome {
  const byPool = new Map<string, Candidate[]>();
  for (const c of candidates) byPool.set(c.node.nodePoolName, [...(byPool.get(c.node.nodePoolName) ?? []), c]);
  const sourceCost = sumPrice(candidates);
  const scores: MoveScore[] = [];
  let rejected: string | undefined;
  for (const [pool, own] of [...byPool].sort(([a], [b]) => a.localeCompare(b))) {
    const policy = own[0]!.nodePool.spec.disruption?.consolidationPolicy ?? "WhenEmptyOrUnderutilized";
    if (policy !== "Balanced") {
      scores.push({ nodepool: pool, policy, approved: true });
      continue;
    }
    const poolCost = sumPrice(own);
    const savings =
      sourceCost > 0 && byPool.size > 1 ? outcome.savingsPerHour * (poolCost / sourceCost) : outcome.savingsPerHour;
    const disruption = own.reduce((s, c) => s + c.rescheduleDisruptionCost, 0);
    const score = balancedScore(savings, disruption, poolTotals(snapshot, pool, all.length ? all : candidates));
    const approved = score >= 1 / BALANCED_K;
    scores.push({ nodepool: pool, policy, approved, score });
    if (!approved && rejected === undefined)
      rejected = `Balanced: savings ${money(savings)} do not justify the disruption of nodepool ${pool} (score ${score.toFixed(3)} < ${(1 / BALANCED_K).toFixed(3)})`;
  }
  return rejected === undefined ? { ...outcome, scores } : { ok: false, reason: rejected, scores };
}
