// Termination clocks: eviction retry backoff and the terminationGracePeriod deadline (after which pods are
// deleted regardless of PDBs or do-not-disrupt).
import { requireDuration } from "../../apis/duration";

export const EVICTION_BACKOFF_BASE_MS = 100;
export const EVICTION_BACKOFF_MAX_MS = 10_000;

/** Delay before retry number `attempt` (1-based) of a blocked eviction: 100ms doubling, capped at 10s. */
export function evictionBackoffMs(attempt: number): number {
  return Math.min(EVICTION_BACKOFF_MAX_MS, EVICTION_BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
}

/** When draining must be forced: termination start + terminationGracePeriod; undefined = wait forever. */
export function terminationDeadline(startedAt: Date, terminationGracePeriod: string | undefined): Date | undefined {
  if (!terminationGracePeriod) return undefined;
  const ms = requireDuration(terminationGracePeriod, "spec.terminationGracePeriod");
  return ms === null ? undefined : new Date(startedAt.getTime() + ms);
}

/**
 * When a pod must be deleted so it finishes exactly by the deadline: deadline - its own grace period
 * (Karpenter deletes each pod at deadline - pod.terminationGracePeriodSeconds). Default grace period 30 s.
 */
export function podDeleteTime(deadline: Date, terminationGracePeriodSeconds = 30): Date {
  return new Date(deadline.getTime() - terminationGracePeriodSeconds * 1000);
}
