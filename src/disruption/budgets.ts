// NodePool disruption budgets: how many of a pool's nodes may be voluntarily disrupted right now, per reason.
// Karpenter semantics: a budget applies when it has no schedule or its schedule window is active; a budget
// without `reasons` applies to every reason; the minimum across applicable budgets wins; percentages are of
// the pool's total nodes rounded UP; a misconfigured budget fails closed (0); nodes already being disrupted
// count against the result.
import { isWindowActive, parseCron, type CronSchedule } from "../apis/cron";
import { requireDuration } from "../apis/duration";
import type { Budget, ClusterSnapshot, DisruptionReason, NodePoolLike } from "./types";

export const REASONS: readonly DisruptionReason[] = ["Empty", "Underutilized", "Drifted"];
export const DEFAULT_BUDGETS: readonly Budget[] = [{ nodes: "10%" }];

const cronCache = new Map<string, CronSchedule>();
function cachedCron(expr: string): CronSchedule {
  let s = cronCache.get(expr);
  if (!s) {
    const parsed = parseCron(expr);
    if (!parsed.schedule) throw new Error(`budget schedule "${expr}": ${parsed.error}`);
    s = parsed.schedule;
    cronCache.set(expr, s);
  }
  return s;
}

/** Budget `nodes` ("3" or "25%") against a pool of `totalNodes`; throws naming the field on bad input. */
export function budgetNodeCount(nodes: string, totalNodes: number, field = "budgets[].nodes"): number {
  const pct = /^(100|[0-9]{1,2})%$/.exec(nodes);
  if (pct) return Math.ceil((totalNodes * Number(pct[1])) / 100);
  if (/^[0-9]+$/.test(nodes)) return Number(nodes);
  throw new Error(`${field}: invalid value "${nodes}"; use a node count like "5" or a percentage like "10%"`);
}

/** Whether the budget is in force at `now` (no schedule = always). Throws naming the field when malformed. */
export function isBudgetActive(budget: Budget, now: Date, field = "budgets[]"): boolean {
  if (budget.schedule === undefined && budget.duration === undefined) return true;
  if (budget.schedule === undefined || budget.duration === undefined) {
    throw new Error(`${field}: 'schedule' must be set with 'duration'`);
  }
  const ms = requireDuration(budget.duration, `${field}.duration`);
  if (ms === null) throw new Error(`${field}.duration: "Never" is not allowed; use hours/minutes such as "8h"`);
  let schedule: CronSchedule;
  try {
    schedule = cachedCron(budget.schedule);
  } catch (err) {
    throw new Error(`${field}.schedule: ${(err as Error).message}`);
  }
  return isWindowActive(schedule, ms, now);
}

export interface AllowedDisruptions {
  /** What may still start now: the budgets minus the nodes already disrupting. */
  byReason: Record<DisruptionReason, number>;
  /** What the active budgets allow in total (karpenter_nodepools_allowed_disruptions reports this, as Karpenter). */
  budgeted: Record<DisruptionReason, number>;
  /** Configuration problems found (each already made its budget fail closed). */
  errors: string[];
}

/** No active budget limits a reason: Karpenter's math.MaxInt32, which its allowed_disruptions metric then shows. */
export const UNLIMITED = 2 ** 31 - 1;

/**
 * Allowed disruptions per reason for one NodePool at `now`.
 * @param totalNodes nodes currently owned by the pool (including ones being deleted)
 * @param disrupting nodes of the pool already being disrupted or deleted
 */
export function allowedDisruptions(
  nodePool: NodePoolLike,
  now: Date,
  totalNodes: number,
  disrupting: number,
): AllowedDisruptions {
  const budgets = nodePool.spec.disruption?.budgets ?? DEFAULT_BUDGETS;
  const byReason = { Empty: UNLIMITED, Underutilized: UNLIMITED, Drifted: UNLIMITED };
  const errors: string[] = [];
  budgets.forEach((budget, i) => {
    const field = `NodePool ${nodePool.metadata.name} spec.disruption.budgets[${i}]`;
    let limit: number;
    try {
      if (!isBudgetActive(budget, now, field)) return;
      limit = budgetNodeCount(budget.nodes, totalNodes, `${field}.nodes`);
    } catch (err) {
      errors.push((err as Error).message);
      limit = 0; // fail closed: a broken budget must never allow unlimited disruption
    }
    for (const reason of budget.reasons && budget.reasons.length > 0 ? budget.reasons : REASONS) {
      byReason[reason] = Math.min(byReason[reason], limit);
    }
  });
  const budgeted = { ...byReason };
  for (const reason of REASONS) byReason[reason] = Math.max(0, byReason[reason] - disrupting);
  return { byReason, budgeted, errors };
}

/** Allowed disruptions for every NodePool in the snapshot, counting its nodes and those already disrupting. */
export function allowedDisruptionsForCluster(snapshot: ClusterSnapshot, now: Date): Map<string, AllowedDisruptions> {
  const totals = new Map<string, { total: number; disrupting: number }>();
  for (const n of snapshot.nodes) {
    if (n.unmanaged) continue;
    const t = totals.get(n.nodePoolName) ?? { total: 0, disrupting: 0 };
    t.total++;
    if (n.markedForDeletion) t.disrupting++;
    totals.set(n.nodePoolName, t);
  }
  const out = new Map<string, AllowedDisruptions>();
  for (const np of snapshot.nodePools) {
    const t = totals.get(np.metadata.name) ?? { total: 0, disrupting: 0 };
    out.set(np.metadata.name, allowedDisruptions(np, now, t.total, t.disrupting));
  }
  return out;
}
