// The NodeClaim's Consolidatable condition and lastPodEventTime, decided as Karpenter's nodeclaim disruption and
// podevents controllers do: cleared when consolidateAfter is Never or the NodeClaim is not Initialized, True once
// consolidateAfter has passed since the last pod event (or initialization), the persisted time only moved forward.
import type { KubeObject } from "../../../src/kube/client";
import { decideConsolidatable, lastPodEventOf, lastPodEventStamp } from "../../../src/lifecycle/consolidatableMarking";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function claim(o: { initializedAt?: number; lastPodEventTime?: string; consolidatable?: boolean } = {}): KubeObject {
  const conditions: Array<Record<string, string>> = [];
  if (o.initializedAt !== undefined)
    conditions.push({ type: "Initialized", status: "True", reason: "Initialized", message: "", lastTransitionTime: new Date(o.initializedAt).toISOString() });
  if (o.consolidatable) conditions.push({ type: "Consolidatable", status: "True", reason: "Consolidatable", message: "", lastTransitionTime: new Date(T0).toISOString() });
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: { name: "nc", creationTimestamp: new Date(T0).toISOString() },
    spec: {},
    status: { conditions, ...(o.lastPodEventTime ? { lastPodEventTime: o.lastPodEventTime } : {}) },
  } as KubeObject;
}

const pool = (consolidateAfter?: string): KubeObject =>
  ({ metadata: { name: "default" }, spec: { disruption: consolidateAfter === undefined ? {} : { consolidateAfter } } }) as KubeObject;

const consolidatableOf = (d: ReturnType<typeof decideConsolidatable>) => d.conditions?.find((c) => c.type === "Consolidatable");

describe("decideConsolidatable", () => {
  it("sets Consolidatable once consolidateAfter has passed since initialization when no pod event is known", () => {
    const nc = claim({ initializedAt: T0 });
    expect(decideConsolidatable(nc, pool("30s"), undefined, T0 + 29_999)).toEqual({});
    const d = decideConsolidatable(nc, pool("30s"), undefined, T0 + 30_000);
    expect(consolidatableOf(d)).toMatchObject({ status: "True", reason: "Consolidatable", message: "" });
    // The other conditions are kept.
    expect(d.conditions?.find((c) => c.type === "Initialized")?.status).toBe("True");
  });

  it("counts from the newer of the persisted and the seen pod event", () => {
    const nc = claim({ initializedAt: T0, lastPodEventTime: "2026-01-01T00:01:00Z" });
    expect(consolidatableOf(decideConsolidatable(nc, pool("30s"), undefined, T0 + 89_000))).toBeUndefined();
    expect(consolidatableOf(decideConsolidatable(nc, pool("30s"), undefined, T0 + 90_000))?.status).toBe("True");
    // A pod event seen since, newer than the stored one: not yet, and the stored time moves forward.
    const d = decideConsolidatable(nc, pool("30s"), T0 + 80_500, T0 + 90_000);
    expect(consolidatableOf(d)).toBeUndefined();
    expect(d.lastPodEventTime).toBe("2026-01-01T00:01:21Z"); // rounded up to the second
    // An older one seen (the stored time is newer) changes nothing.
    expect(decideConsolidatable(nc, pool("30s"), T0 + 10_000, T0 + 50_000)).toEqual({});
    expect(lastPodEventOf(nc, T0 + 10_000)).toBe(T0 + 60_000);
    expect(lastPodEventOf(nc, T0 + 70_000)).toBe(T0 + 70_000);
  });

  it("writes the seen time only when it is a later second than the stored one", () => {
    const nc = claim({ initializedAt: T0, lastPodEventTime: "2026-01-01T00:00:05Z" });
    expect(decideConsolidatable(nc, pool("1h"), T0 + 4_200, T0 + 6_000).lastPodEventTime).toBeUndefined();
    expect(decideConsolidatable(nc, pool("1h"), T0 + 5_000, T0 + 6_000).lastPodEventTime).toBeUndefined();
    expect(decideConsolidatable(nc, pool("1h"), T0 + 5_001, T0 + 6_000).lastPodEventTime).toBe("2026-01-01T00:00:06Z");
    expect(decideConsolidatable(claim({ initializedAt: T0 }), pool("1h"), T0, T0).lastPodEventTime).toBe("2026-01-01T00:00:00Z");
  });

  it("clears Consolidatable when consolidateAfter is Never, the NodeClaim is not initialized, or a pod event is recent", () => {
    const marked = claim({ initializedAt: T0, consolidatable: true });
    const never = decideConsolidatable(marked, pool("Never"), undefined, T0 + 3_600_000);
    expect(never.conditions).toBeDefined();
    expect(consolidatableOf(never)).toBeUndefined();
    const notInitialized = claim({ consolidatable: true });
    expect(consolidatableOf(decideConsolidatable(notInitialized, pool("0s"), undefined, T0 + 1))).toBeUndefined();
    expect(decideConsolidatable(notInitialized, pool("0s"), undefined, T0 + 1).conditions).toEqual([]);
    const recent = decideConsolidatable(marked, pool("5m"), T0 + 100_000, T0 + 110_000);
    expect(recent.conditions).toBeDefined();
    expect(consolidatableOf(recent)).toBeUndefined();
    // Already True and still due: nothing to write.
    expect(decideConsolidatable(marked, pool("0s"), undefined, T0 + 1)).toEqual({});
    // consolidateAfter defaults to 0s.
    expect(consolidatableOf(decideConsolidatable(claim({ initializedAt: T0 }), pool(), undefined, T0))?.status).toBe("True");
  });

  it("throws naming the field when consolidateAfter does not parse", () => {
    expect(() => decideConsolidatable(claim({ initializedAt: T0 }), pool("soon"), undefined, T0)).toThrow(
      /NodePool default spec\.disruption\.consolidateAfter/,
    );
  });

  it("stamps whole seconds, rounded up", () => {
    expect(lastPodEventStamp(T0)).toBe("2026-01-01T00:00:00Z");
    expect(lastPodEventStamp(T0 + 1)).toBe("2026-01-01T00:00:01Z");
    expect(lastPodEventStamp(T0 + 999)).toBe("2026-01-01T00:00:01Z");
  });
});
