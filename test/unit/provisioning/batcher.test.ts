import { FakeClock } from "../../../src/kube/clock";
import { Batcher } from "../../../src/provisioning/batcher";

describe("Batcher", () => {
  it("closes the window after the idle duration without new triggers", async () => {
    const clock = new FakeClock();
    let batches = 0;
    const b = new Batcher(() => batches++, { idleMs: 1000, maxMs: 10_000, clock });
    b.trigger();
    await clock.advance(999);
    expect(batches).toBe(0);
    await clock.advance(1);
    expect(batches).toBe(1);
    expect(b.isOpen).toBe(false);
  });

  it("extends the window while triggers keep arriving within the idle duration", async () => {
    const clock = new FakeClock();
    let batches = 0;
    const b = new Batcher(() => batches++, { idleMs: 1000, maxMs: 10_000, clock });
    for (let i = 0; i < 5; i++) { b.trigger(); await clock.advance(900); }
    expect(batches).toBe(0);
    await clock.advance(100);
    expect(batches).toBe(1);
  });

  it("closes at the max duration even when triggers never stop", async () => {
    const clock = new FakeClock();
    const closedAt: number[] = [];
    const t0 = clock.now();
    const b = new Batcher(() => closedAt.push(clock.now() - t0), { idleMs: 1000, maxMs: 10_000, clock });
    for (let i = 0; i < 30; i++) { b.trigger(); await clock.advance(500); }
    expect(closedAt[0]).toBe(10_000);
    expect(closedAt.length).toBeGreaterThanOrEqual(1);
  });

  it("opens a fresh window for triggers after a close", async () => {
    const clock = new FakeClock();
    let batches = 0;
    const b = new Batcher(() => batches++, { idleMs: 1000, maxMs: 10_000, clock });
    b.trigger();
    await clock.advance(1000);
    b.trigger();
    await clock.advance(1000);
    expect(batches).toBe(2);
    b.stop();
    b.trigger();
    await clock.advance(5000);
    expect(batches).toBe(2);
  });
});
