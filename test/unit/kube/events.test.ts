import { FakeClock, flushMicrotasks } from "../../../src/kube/clock";
import { EventRecorder } from "../../../src/kube/events";
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
