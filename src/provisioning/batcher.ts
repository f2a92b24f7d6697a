// Karpenter's provisioning batch window: the first trigger opens a window that closes after `idleMs` with no
// further trigger, or `maxMs` after it opened, whichever comes first. Batching lets one scheduling pass see a
// whole Deployment's worth of pending pods, so it packs them onto few nodes instead of one node per pod.
import { Clock, realClock, TimerHandle } from "../kube/clock";

export class Batcher {
  private openedAt?: number;
  private idleTimer?: TimerHandle;
  private maxTimer?: TimerHandle;
  private stopped = false;

  constructor(
    private readonly onBatch: () => void,
    private readonly opts: { idleMs: number; maxMs: number; clock?: Clock },
  ) {}

  private get clock(): Clock {
    return this.opts.clock ?? realClock;
  }

  get isOpen(): boolean {
    return this.openedAt !== undefined;
  }

  /** A pending pod arrived (or changed): open the window or extend its idle timer. */
  trigger(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    if (this.openedAt === undefined) {
      this.openedAt = now;
      this.maxTimer = this.clock.setTimeout(() => this.close(), this.opts.maxMs);
    }
    this.clock.clearTimeout(this.idleTimer);
    const remainingMax = this.openedAt + this.opts.maxMs - now;
    this.idleTimer = this.clock.setTimeout(() => this.close(), Math.min(this.opts.idleMs, remainingMax));
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.idleTimer);
    this.clock.clearTimeout(this.maxTimer);
    this.openedAt = undefined;
  }

  private close(): void {
    if (this.openedAt === undefined) return;
    this.clock.clearTimeout(this.idleTimer);
    this.clock.clearTimeout(this.maxTimer);
    this.idleTimer = this.maxTimer = undefined;
    this.openedAt = undefined;
    this.onBatch();
  }
}
