// Exponential backoff with full jitter (as client-go's rate limiters): the delay doubles per failure up to a cap.
export class Backoff {
  private failures = 0;
  constructor(private readonly o: { initialMs: number; maxMs: number; random?: () => number }) {}

  /** Delay before the next attempt; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.o.maxMs, this.o.initialMs * 2 ** this.failures);
    this.failures++;
    const r = (this.o.random ?? Math.random)();
    return Math.round(ceiling / 2 + (ceiling / 2) * r);
  }

  reset(): void {
    this.failures = 0;
  }
}
