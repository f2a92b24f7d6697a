// A keyed work queue like client-go's: Pepr's Reconcile has no retry, requeue, dedup or resync, so the engine
// owns them. Guarantees: a key is queued at most once (adds coalesce); a key is never processed by two
// workers at once; an add while the key is processing makes it run exactly once more afterwards; failures
// retry with capped exponential backoff plus jitter; at most `concurrency` keys run at a time.
import { Clock, realClock, TimerHandle } from "./clock";

export interface ReconcileResult {
  requeueAfterMs?: number;
  /**
   * Not done yet, no error (controller-runtime's Requeue): retried with the same capped exponential backoff as a
   * failure, growing over consecutive requeues; `requeueAfterMs` wins when both are set.
   */
  requeue?: boolean;
}
export type Handler = (key: string) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions {
  name: string;
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** 0..1: the retry delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter?: number;
  clock?: Clock;
  random?: () => number;
  onError?: (key: string, err: unknown, attempt: number, retryInMs: number) => void;
  onDepth?: (depth: number) => void;
  onRetry?: () => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; handle: TimerHandle }>();
  private readonly idleWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly clock: Clock;
  private readonly concurrency: number;

  constructor(
    private readonly handler: Handler,
    private readonly opts: WorkQueueOptions,
  ) {
    this.clock = opts.clock ?? realClock;
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
  }

  /** Queue a key now. Coalesces with an already queued copy; a processing key runs once more afterwards. */
  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.report();
    this.pump();
  }

  /** Queue a key after a delay; an earlier pending delayed add wins (the later one is redundant). */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Clears the failure count so the next error starts from the base delay again. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  get depth(): number {
    return this.queue.length;
  }
  get active(): number {
    return this.processing.size;
  }
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
  hasDelayed(key: string): boolean {
    return this.delayed.has(key);
  }

  /** Resolves when nothing is queued or processing (delayed adds do not count). */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.processing.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops taking work, cancels delayed adds and waits for in-flight keys to finish. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const d of this.delayed.values()) this.clock.clearTimeout(d.handle);
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
    await this.whenIdle();
  }

  /** Backoff for the nth consecutive failure (1-based): base * 2^(n-1), capped, with jitter. */
  backoffMs(attempt: number): number {
    const base = this.opts.baseDelayMs ?? 1000,
      max = this.opts.maxDelayMs ?? 300_000;
    const raw = Math.min(max, base * 2 ** Math.min(30, attempt - 1));
    const jitter = this.opts.jitter ?? 0.1;
    const f = 1 - jitter + 2 * jitter * (this.opts.random ?? Math.random)();
    return Math.max(1, Math.round(Math.min(max, raw * f)));
  }

  private pump(): void {
    while (!this.stopped && this.processing.size < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.report();
      void this.run(key);
    }
    this.maybeIdle();
  }

  private async run(key: string): Promise<void> {
    let retryIn: number | undefined;
    try {
      const res = await this.handler(key);
      if (res?.requeue && res.requeueAfterMs === undefined) {
        const attempt = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, attempt);
        retryIn = this.backoffMs(attempt);
      } else {
        this.failures.delete(key);
        if (res && res.requeueAfterMs !== undefined) retryIn = res.requeueAfterMs;
      }
    } catch (err) {
      const attempt = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempt);
      retryIn = this.backoffMs(attempt);
      this.opts.onRetry?.();
      this.opts.onError?.(key, err, attempt, retryIn);
    } finally {
      this.processing.delete(key);
    }
    if (this.dirty.delete(key)) this.add(key);
    else if (retryIn !== undefined) this.addAfter(key, retryIn);
    this.report();
    this.pump();
  }

  private report(): void {
    this.opts.onDepth?.(this.queue.length);
  }

  private maybeIdle(): void {
    if (this.queue.length === 0 && this.processing.size === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
