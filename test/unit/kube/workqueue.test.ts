import { FakeClock, flushMicrotasks } from "../../../src/kube/clock";
import { WorkQueue } from "../../../src/kube/workqueue";

function deferred() {
  let resolve!: () => void, reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe("WorkQueue", () => {
  it("coalesces repeated adds of a queued key into one run", async () => {
    const runs: string[] = [];
    const gate = deferred();
    const q = new WorkQueue(async k => { runs.push(k); if (k === "block") await gate.promise; }, { name: "t", concurrency: 1, clock: new FakeClock() });
    q.add("block");
    q.add("a"); q.add("a"); q.add("a");
    expect(q.depth).toBe(1);
    gate.resolve();
    await q.whenIdle();
    expect(runs).toEqual(["block", "a"]);
  });

  it("never processes the same key concurrently and re-runs once when re-added during processing", async () => {
    let active = 0, maxActive = 0, runs = 0;
    const gates = [deferred(), deferred()];
    const q = new WorkQueue(async () => {
      active++; maxActive = Math.max(maxActive, active);
      await gates[runs++]!.promise;
      active--;
    }, { name: "t", concurrency: 5, clock: new FakeClock() });
    q.add("k");
    await flushMicrotasks();
    q.add("k"); q.add("k"); q.add("k");
    expect(q.active).toBe(1);
    gates[0]!.resolve();
    await flushMicrotasks();
    expect(runs).toBe(2);
    gates[1]!.resolve();
    await q.whenIdle();
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
  });

  it("runs at most `concurrency` different keys at once", async () => {
    let active = 0, maxActive = 0;
    const gate = deferred();
    const q = new WorkQueue(async () => { active++; maxActive = Math.max(maxActive, active); await gate.promise; active--; },
      { name: "t", concurrency: 3, clock: new FakeClock() });
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    await flushMicrotasks();
    expect(q.active).toBe(3);
    gate.resolve();
    await q.whenIdle();
    expect(maxActive).toBe(3);
  });

  it("retries a failing key with exponential backoff and resets after success", async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    let fails = 3;
    const q = new WorkQueue(async () => { times.push(clock.now()); if (fails-- > 0) throw new Error("boom"); },
      { name: "t", clock, baseDelayMs: 100, maxDelayMs: 10_000, jitter: 0 });
    const t0 = clock.now();
    q.add("k");
    await clock.advance(1000);
    expect(times.map(t => t - t0)).toEqual([0, 100, 300, 700]);
    expect(q.retries("k")).toBe(0);
  });

  it("caps the backoff at maxDelayMs and keeps jitter within bounds", () => {
    const q = new WorkQueue(async () => undefined, { name: "t", baseDelayMs: 1000, maxDelayMs: 5000, jitter: 0.2, random: () => 1 });
    expect(q.backoffMs(1)).toBe(1200);
    expect(q.backoffMs(20)).toBe(5000);
    const low = new WorkQueue(async () => undefined, { name: "t", baseDelayMs: 1000, jitter: 0.2, random: () => 0 });
    expect(low.backoffMs(1)).toBe(800);
  });

  it("honours requeueAfterMs returned by the handler", async () => {
    const clock = new FakeClock();
    let runs = 0;
    const q = new WorkQueue(async () => { runs++; return runs < 3 ? { requeueAfterMs: 5000 } : undefined; }, { name: "t", clock });
    q.add("k");
    await clock.advance(4999);
    expect(runs).toBe(1);
    await clock.advance(1);
    expect(runs).toBe(2);
    await clock.advance(60_000);
    expect(runs).toBe(3);
  });

  it("requeue (no error) retries with the failure backoff, growing per consecutive requeue, and resets when done", async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    let pending = 3;
    const errors: unknown[] = [];
    const q = new WorkQueue(async () => { times.push(clock.now()); return pending-- > 0 ? { requeue: true } : undefined; },
      { name: "t", clock, baseDelayMs: 100, maxDelayMs: 10_000, jitter: 0, onError: (_k, e) => errors.push(e) });
    const t0 = clock.now();
    q.add("k");
    await clock.advance(1000);
    expect(times.map(t => t - t0)).toEqual([0, 100, 300, 700]);
    expect(q.retries("k")).toBe(0);
    expect(errors).toEqual([]);
    // requeueAfterMs wins over requeue.
    const after: number[] = [];
    let once = true;
    const q2 = new WorkQueue(async () => { after.push(clock.now()); if (once) { once = false; return { requeue: true, requeueAfterMs: 5000 }; } return undefined; },
      { name: "t2", clock, baseDelayMs: 100, jitter: 0 });
    const t1 = clock.now();
    q2.add("k");
    await clock.advance(6000);
    expect(after.map(t => t - t1)).toEqual([0, 5000]);
  });

  it("keeps the earliest of several delayed adds for one key", async () => {
    const clock = new FakeClock();
    let runs = 0;
    const q = new WorkQueue(async () => { runs++; }, { name: "t", clock });
    q.addAfter("k", 10_000);
    q.addAfter("k", 1_000);
    q.addAfter("k", 5_000);
    await clock.advance(1_000);
    expect(runs).toBe(1);
    await clock.advance(20_000);
    expect(runs).toBe(1);
  });

  it("shutdown cancels delayed work and waits for in-flight keys", async () => {
    const clock = new FakeClock();
    const gate = deferred();
    let finished = false;
    const q = new WorkQueue(async k => { if (k === "slow") { await gate.promise; finished = true; } }, { name: "t", clock });
    q.add("slow");
    q.addAfter("later", 1000);
    await flushMicrotasks();
    const done = q.shutdown();
    gate.resolve();
    await done;
    expect(finished).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    q.add("x");
    expect(q.depth).toBe(0);
  });
});
