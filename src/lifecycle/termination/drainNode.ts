// One idempotent drain pass over a node being terminated. The termination controller calls it repeatedly
// (requeueing after `requeueAfterMs`) until `drained`; then it waits for volumes, deletes the instance and removes
// the finalizer. Evictions go through the Eviction API (deps.evict), so PDBs are respected: a blocked eviction
// (HTTP 429) is retried with backoff. Past the terminationGracePeriod deadline pods are deleted outright.
import type { PodInfo } from "../../disruption/types";
import { drainPlan, isEvictable, isTerminating, podKey, type DrainGroup } from "./drainPlan";
import { evictionBackoffMs, podDeleteTime, terminationDeadline } from "./timing";

/** Karpenter's IsStuckTerminating: terminating for over a minute past its deletionTimestamp. */
export const STUCK_TERMINATING_MS = 60_000;
export function isStuckTerminating(p: PodInfo, now: Date): boolean {
  const at = p.deletionTimestamp ? Date.parse(p.deletionTimestamp) : NaN;
  return Number.isFinite(at) && now.getTime() - at > STUCK_TERMINATING_MS;
}

export type EvictionOutcome = "evicted" | "blocked" | "gone";

export interface DrainDeps {
  listPods(nodeName: string): Promise<PodInfo[]>;
  /** POST pods/eviction: "blocked" when a PDB refuses (429), "gone" when the pod no longer exists (404). */
  evict(pod: PodInfo): Promise<EvictionOutcome>;
  /** DELETE the pod with the given grace period (seconds); used once the TGP deadline forces it. */
  deletePod(pod: PodInfo, gracePeriodSeconds: number): Promise<void>;
}

export interface DrainNodeInput {
  name: string;
  /** When termination started (the Node/NodeClaim deletionTimestamp). */
  terminationStartedAt: Date;
  /** NodeClaim spec.terminationGracePeriod; unset = wait for PDBs forever. */
  terminationGracePeriod?: string;
  /** The recorded deadline (karpenter.sh/nodeclaim-termination-timestamp); wins over the one computed from the TGP. */
  deadline?: Date;
}

/** Per-pod retry bookkeeping carried between passes (in memory in the controller; losing it only resets backoff). */
export interface DrainState {
  attempts: Record<string, { count: number; nextAttemptAt: number }>;
}

export interface DrainProgress {
  drained: boolean;
  /** The group being drained this pass (undefined when drained). */
  group?: DrainGroup;
  evicted: string[];
  blocked: string[];
  /** Pods deleted because the terminationGracePeriod deadline forced it. */
  forceDeleted: string[];
  /** Pods still on the node that must go (including terminating ones). */
  remaining: number;
  deadline?: Date;
  state: DrainState;
  /** When to call again. */
  requeueAfterMs: number;
}

const DEFAULT_REQUEUE_MS = 1000;

export async function drainNode(
  deps: DrainDeps,
  node: DrainNodeInput,
  now: Date,
  state: DrainState = { attempts: {} },
): Promise<DrainProgress> {
  const attempts = { ...state.attempts };
  const pods = await deps.listPods(node.name);
  const deadline = node.deadline ?? terminationDeadline(node.terminationStartedAt, node.terminationGracePeriod);
  // A pod still Terminating a minute past its deletionTimestamp (which already includes its grace period) has
  // a kubelet that will never confirm it (node gone, partitioned): waiting for it would hang the drain forever.
  const plan = drainPlan(pods.filter((p) => !isStuckTerminating(p, now)));
  const waiting = plan.flatMap((g) => g.pods);
  const progress: DrainProgress = {
    drained: false,
    evicted: [],
    blocked: [],
    forceDeleted: [],
    remaining: waiting.length,
    deadline,
    state: { attempts },
    requeueAfterMs: DEFAULT_REQUEUE_MS,
  };

  // Grace period enforcement: each pod is deleted at deadline - its own grace period, ignoring PDBs.
  const forced = new Set<string>();
  if (deadline) {
    for (const p of waiting) {
      if (isTerminating(p)) continue;
      if (now.getTime() >= podDeleteTime(deadline, p.terminationGracePeriodSeconds).getTime()) {
        const grace = Math.max(0, Math.floor((deadline.getTime() - now.getTime()) / 1000));
        await deps.deletePod(p, grace);
        forced.add(podKey(p));
        progress.forceDeleted.push(podKey(p));
      }
    }
  }

  // The terminationGracePeriod is a hard bound: at the deadline whatever is left (also pods still terminating)
  // is force-deleted and the node counts as drained, so the instance is terminated on time.
  if (deadline && now.getTime() >= deadline.getTime()) {
    for (const p of waiting) {
      if (forced.has(podKey(p))) continue;
      await deps.deletePod(p, 0);
      progress.forceDeleted.push(podKey(p));
    }
    progress.drained = true;
    progress.requeueAfterMs = 0;
    return progress;
  }

  if (waiting.length === 0) {
    progress.drained = true;
    progress.requeueAfterMs = 0;
    return progress;
  }

  // Groups drain strictly in order: the next group starts only once every pod of earlier groups is gone.
  const current = plan.find((g) => g.pods.length > 0)!;
  progress.group = current.group;
  let soonest = Number.POSITIVE_INFINITY;
  for (const p of current.pods) {
    const key = podKey(p);
    if (forced.has(key) || !isEvictable(p)) continue;
    const a = attempts[key];
    if (a && a.nextAttemptAt > now.getTime()) {
      soonest = Math.min(soonest, a.nextAttemptAt);
      continue;
    }
    const outcome = await deps.evict(p);
    if (outcome === "blocked") {
      const count = (a?.count ?? 0) + 1;
      attempts[key] = { count, nextAttemptAt: now.getTime() + evictionBackoffMs(count) };
      soonest = Math.min(soonest, attempts[key]!.nextAttemptAt);
      progress.blocked.push(key);
    } else {
      delete attempts[key];
      progress.evicted.push(key);
    }
  }
  if (Number.isFinite(soonest))
    progress.requeueAfterMs = Math.max(1, Math.min(DEFAULT_REQUEUE_MS, soonest - now.getTime()));
  // Wake up for the grace-period deadline too, so forced deletion is on time.
  if (deadline && deadline.getTime() > now.getTime())
    progress.requeueAfterMs = Math.max(1, Math.min(progress.requeueAfterMs, deadline.getTime() - now.getTime()));
  return progress;
}
