// The Controller interface the composition root registers in one flat list (Karpenter's NewControllers returns
// a []Controller), and the pieces every controller shares: the engine's deps and a logged, backed-off work queue.
import type { Clock } from "../kube/clock";
import type { StateChange } from "../kube/clusterState";
import { WorkQueue, type Handler } from "../kube/workqueue";
import type { EngineDeps } from "../kube/deps";

export interface Controller {
  readonly name: string;
  /** A watch event the cluster state applied (a changed object; stale and duplicate events never get here). */
  onChange?(change: StateChange): void;
  /** The first pass once the state is rebuilt: after a restart every object is looked at once. */
  start?(): Promise<void> | void;
  /** Periodic work (Pepr has no resync): run every `ms` after the previous run finished. */
  readonly every?: { ms: number; run(): Promise<void> | void };
  /** Resolves when the work queued so far is done. */
  whenIdle?(): Promise<unknown>;
  /** Work still queued or running; settle() waits until every controller's is 0. */
  pending?(): number;
  stop?(): Promise<unknown> | unknown;
}

export interface QueueOptions {
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs: number;
  /** Depth/retry metrics (workqueue_depth, workqueue_retries) for this queue. */
  withMetrics?: boolean;
}

/** A per-key work queue (one reconcile of a key at a time) whose errors are logged and retried with backoff. */
export function reconcileQueue(
  name: string,
  deps: Pick<EngineDeps, "clock" | "log" | "metrics">,
  handler: Handler,
  o: QueueOptions,
): WorkQueue {
  return new WorkQueue(handler, {
    name,
    concurrency: o.concurrency ?? 2,
    clock: deps.clock as Clock,
    baseDelayMs: o.baseDelayMs ?? 1000,
    maxDelayMs: o.maxDelayMs,
    onError: (key, err, attempt, retryInMs) =>
      deps.log.error(
        { controller: name, key, attempt, "retry-in-ms": retryInMs, error: String((err as Error)?.message ?? err) },
        "reconciler error",
      ),
    ...(o.withMetrics
      ? {
          onRetry: () => deps.metrics.workqueueRetries.inc({ name }),
          onDepth: (d: number) => deps.metrics.workqueueDepth.set({ name }, d),
        }
      : {}),
  });
}
