import { createHash } from "node:crypto";
import { FakeClock, flushMicrotasks } from "../../../src/kube/clock";
import { EventRecorder, type EventSpec } from "../../../src/kube/events";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";

const ev = (msg: string) => ({ involved: { kind: "Pod", name: "p", namespace: "default" }, type: "Normal" as const, reason: "Nominated", message: msg });

describe("EventRecorder", () => {
  it("drops an identical event inside the dedupe window and sends it again after", async () => {
    const clock = new FakeClock();
    const client = new MemoryKubeClient(clock);
    const r = new EventRecorder(client, { clock, dedupeMs: 60_000 });
    expect(r.publish(ev("Pod should schedule on: nodeclaim/default-abcde"))).toBe(true);
    expect(r.publish(ev("Pod should schedule on: nodeclaim/default-abcde"))).toBe(false);
    expect(r.publish(ev("Pod should schedule on: nodeclaim/default-fghij"))).toBe(true);
    await clock.advance(60_000);
    expect(r.publish(ev("Pod should schedule on: nodeclaim/default-abcde"))).toBe(true);
    await flushMicrotasks();
    expect(client.events).toHaveLength(3);
    expect(client.events[0]).toMatchObject({ reason: "Nominated", type: "Normal", involvedObject: { kind: "Pod", name: "p" }, metadata: { namespace: "default" } });
  });

  it("dedupes by reason and DedupeValues, whatever the message, when the event carries them (as Karpenter)", async () => {
    const clock = new FakeClock();
    const r = new EventRecorder(new MemoryKubeClient(clock), { clock, dedupeMs: 60_000 });
    const waiting = (names: string, uid: string) => ({
      involved: { kind: "EC2NodeClass", name: "default", uid }, type: "Normal" as const,
      reason: "WaitingOnNodeClaimTermination", message: `Waiting on NodeClaim termination for ${names}`, dedupeValues: [uid],
    });
    expect(r.publish(waiting("a, b", "uid-1"))).toBe(true);
    expect(r.publish(waiting("b", "uid-1"))).toBe(false); // fewer claims left: still the same event
    expect(r.publish(waiting("b", "uid-2"))).toBe(true); // another object
    await clock.advance(60_000);
    expect(r.publish(waiting("b", "uid-1"))).toBe(true);
  });

  it("long messages (a FailedScheduling listing every NodePool) dedupe by their whole text, built per pod or shared", async () => {
    const clock = new FakeClock();
    const client = new MemoryKubeClient(clock);
    const r = new EventRecorder(client, { clock, dedupeMs: 60_000 });
    const reason = (tail: string) => `Failed to schedule pod, ${'NodePool "default": all available instance types exceed limits; '.repeat(8)}${tail}`;
    const fail = (name: string, message: string) => ({ involved: { kind: "Pod", name, namespace: "default" }, type: "Warning" as const, reason: "FailedScheduling", message });
    expect(r.publish(fail("p", reason("x")))).toBe(true);
    expect(r.publish(fail("p", reason("x")))).toBe(false); // an equal text built again
    expect(r.publish(fail("p", reason("y")))).toBe(true); // differs only in its last character
    expect(r.publish(fail("q", reason("x")))).toBe(true); // another pod
    await clock.advance(60_000);
    expect(r.publish(fail("p", reason("x")))).toBe(true);
    await flushMicrotasks();
    expect(client.events.map((e) => e.message)).toEqual([reason("x"), reason("y"), reason("x"), reason("x")]);
  });

  it("forgets the oldest events beyond maxKeys (they are sent again), keeps the newer ones deduplicated", () => {
    const clock = new FakeClock();
    const r = new EventRecorder(new MemoryKubeClient(clock), { clock, dedupeMs: 60_000, maxKeys: 3, burst: 100 });
    const on = (name: string, msg = "Failed to schedule pod, no") => ({ involved: { kind: "Pod", name, namespace: "ns" }, type: "Warning" as const, reason: "FailedScheduling", message: msg });
    for (const n of ["a", "b", "c", "d"]) expect(r.publish(on(n))).toBe(true);
    expect(r.publish(on("a"))).toBe(true); // evicted by d: sent again (and now evicts b)
    expect(r.publish(on("b"))).toBe(true);
    expect(r.publish(on("d"))).toBe(false);
    expect(r.publish(on("a"))).toBe(false);
    // the same object and reason with another message, and the same message for another kind, are other events
    expect(r.publish(on("a", "Failed to schedule pod, other"))).toBe(true);
    expect(r.publish({ ...on("a"), involved: { kind: "NodeClaim", name: "a" } })).toBe(true);
  });

  it("rate-limits bursts beyond the token bucket and refills over time", async () => {
    const clock = new FakeClock();
    const r = new EventRecorder(new MemoryKubeClient(clock), { clock, burst: 5, ratePerSecond: 1 });
    const sent = Array.from({ length: 10 }, (_, i) => r.publish(ev(`m${i}`))).filter(Boolean).length;
    expect(sent).toBe(5);
    expect(r.dropped).toBe(5);
    await clock.advance(2000);
    expect(r.publish(ev("late1"))).toBe(true);
    expect(r.publish(ev("late2"))).toBe(true);
    expect(r.publish(ev("late3"))).toBe(false);
  });
});

// The recorder's publish as it was before the key string of an object event became lazy (built only when the event
// is sent): every key looked up in `seen`. The lazy path must answer exactly as this does, collisions included.
class ReferenceRecorder {
  private readonly seen = new Map<string, { until: number; parts?: string }>();
  private readonly byParts = new Map<string, { until: number; parts?: string }>();
  private readonly seenOwn = new Map<string, { until: number }>();
  private tokens: number;
  private lastRefill: number;
  dropped = 0;
  sent = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly opts: { dedupeMs: number; ratePerSecond: number; burst: number; maxKeys: number },
  ) {
    this.tokens = opts.burst;
    this.lastRefill = clock.now();
  }
  private msgId(m: string): string {
    return m.length <= 64 ? m : `#${createHash("sha256").update(m).digest("base64")}`;
  }
  private forget(key: string): void {
    const e = this.seen.get(key);
    if (!e) return;
    this.seen.delete(key);
    if (e.parts !== undefined) this.byParts.delete(e.parts);
  }
  publish(ev: EventSpec, o?: { dedupeMs?: number }): boolean {
    const now = this.clock.now();
    const own = o?.dedupeMs !== undefined && o.dedupeMs !== this.opts.dedupeMs;
    const { kind, namespace = "", name } = ev.involved;
    const msg = ev.dedupeValues ? "" : this.msgId(ev.message);
    const parts = [name, namespace, kind, ev.reason, msg].join("\u0000");
    if (!own && !ev.dedupeValues) {
      const hit = this.byParts.get(parts);
      if (hit !== undefined && now < hit.until) return false;
    }
    const key = ev.dedupeValues
      ? `${ev.reason.toLowerCase()}-${ev.dedupeValues.join("-")}`
      : `${kind}/${namespace}/${name}/${ev.reason}/${msg}`;
    const last = own ? this.seenOwn.get(key) : this.seen.get(key);
    if (last !== undefined && now < last.until) return false;
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.opts.ratePerSecond);
    this.lastRefill = now;
    if (this.tokens < 1) {
      this.dropped++;
      return false;
    }
    this.tokens -= 1;
    if (own) {
      for (const [k, v] of this.seenOwn) if (v.until <= now) this.seenOwn.delete(k);
      this.seenOwn.set(key, { until: now + o!.dedupeMs! });
    } else {
      this.forget(key);
      const entry: { until: number; parts?: string } = { until: now + this.opts.dedupeMs };
      if (!ev.dedupeValues) {
        entry.parts = parts;
        this.byParts.set(parts, entry);
      }
      this.seen.set(key, entry);
      for (const [k, t] of this.seen) {
        if (this.seen.size <= this.opts.maxKeys && t.until > now) break;
        this.forget(k);
      }
    }
    this.sent++;
    return true;
  }
}

describe("EventRecorder against the reference (every key looked up)", () => {
  it("answers, drops and sends exactly as the reference on random streams, colliding keys included", async () => {
    let seed = 17;
    const rnd = (): number => {
      // mulberry32
      let t = (seed = (seed + 0x6d2b79f5) | 0);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const long = `Failed to schedule pod, ${"NodePool \"default\": exceeds limits; ".repeat(4)}`;
    // "pod"/"ns"/"a"/"x"/"m-v" is also the key of the dedupeValues event (reason "pod/ns/a/x/m", values ["v"]), and
    // slashes in namespace, name or reason make two object events share a key.
    const kinds = ["Pod", "NodeClaim", "pod", "Po/d", ""];
    const namespaces = ["ns", "ns/a", "", undefined];
    const names = ["a", "b", "a/x", "x"];
    const reasons = ["FailedScheduling", "Nominated", "x", "a/x", "pod/ns/a/x/m"];
    const messages = ["m", "m-v", "x/m", "b/x/m", long, `${long}!`];
    for (let round = 0; round < 40; round++) {
      const clock = new FakeClock();
      const opts = { dedupeMs: 10_000, ratePerSecond: pick([1, 5, 50]), burst: pick([3, 20, 100]), maxKeys: pick([4, 16, 1000]) };
      const client = new MemoryKubeClient(clock);
      const r = new EventRecorder(client, { clock, ...opts });
      const ref = new ReferenceRecorder(clock, opts);
      for (let i = 0; i < 400; i++) {
        const ev: EventSpec = {
          involved: { kind: pick(kinds), name: pick(names), ...(rnd() < 0.8 ? { namespace: pick(namespaces) } : {}) },
          type: "Warning",
          reason: pick(reasons),
          message: pick(messages),
          ...(rnd() < 0.15 ? { dedupeValues: [pick(["v", "w", "v-w"])] } : {}),
        };
        const o = rnd() < 0.1 ? { dedupeMs: pick([10_000, 30_000]) } : undefined;
        expect([i, r.publish(ev, o)]).toEqual([i, ref.publish(ev, o)]);
        expect(r.dropped).toBe(ref.dropped);
        if (rnd() < 0.3) await clock.advance(pick([100, 1000, 4000]));
      }
      await flushMicrotasks();
      expect(client.events).toHaveLength(ref.sent);
    }
  });
});
