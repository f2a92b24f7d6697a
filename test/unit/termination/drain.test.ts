import { drainNode, type DrainDeps, type EvictionOutcome } from "../../../src/lifecycle/termination/drainNode";
import { drainPlan, toleratesDisruptedTaint } from "../../../src/lifecycle/termination/drainPlan";
import { evictionBackoffMs, podDeleteTime, terminationDeadline } from "../../../src/lifecycle/termination/timing";
import type { PodInfo } from "../../../src/disruption/types";

const T0 = new Date("2026-03-02T10:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const p = (name: string, over: Partial<PodInfo> = {}): PodInfo => ({ namespace: "default", name, ownerKind: "ReplicaSet", ...over });

/** An in-memory node: evicted/deleted pods start terminating and disappear on the next listing. */
function fakeNode(pods: PodInfo[], blocked: Set<string> = new Set()) {
  const live = new Map(pods.map(x => [x.name, { ...x }]));
  const calls: string[] = [];
  const deps: DrainDeps = {
    async listPods() {
      for (const x of [...live.values()]) if (x.deletionTimestamp) live.delete(x.name); // terminated since last pass
      return [...live.values()];
    },
    async evict(pod): Promise<EvictionOutcome> {
      calls.push(`evict ${pod.name}`);
      const cur = live.get(pod.name);
      if (!cur) return "gone";
      if (blocked.has(pod.name)) return "blocked";
      cur.deletionTimestamp = T0.toISOString();
      return "evicted";
    },
    async deletePod(pod, grace) {
      calls.push(`delete ${pod.name} grace=${grace}`);
      const cur = live.get(pod.name);
      if (cur) cur.deletionTimestamp = T0.toISOString();
    },
  };
  return { deps, calls, live, blocked };
}

describe("drain plan", () => {
  it("orders non-critical, non-critical daemon, critical, critical daemon; skips mirror, terminal and taint-tolerating pods", () => {
    const pods = [
      p("ds-crit", { ownerKind: "DaemonSet", priorityClassName: "system-node-critical" }),
      p("ds", { ownerKind: "DaemonSet" }),
      p("coredns", { priorityClassName: "system-cluster-critical" }),
      p("web"),
      p("static", { ownerKind: "Node" }),
      p("done", { phase: "Succeeded" }),
      p("tolerant", { ownerKind: "DaemonSet", tolerations: [{ operator: "Exists" }] }),
    ];
    expect(drainPlan(pods).map(g => [g.group, g.pods.map(x => x.name)])).toEqual([
      ["non-critical", ["web"]], ["non-critical-daemon", ["ds"]], ["critical", ["coredns"]], ["critical-daemon", ["ds-crit"]],
    ]);
  });
  it("matches tolerations of the karpenter.sh/disrupted:NoSchedule taint", () => {
    expect(toleratesDisruptedTaint(p("a", { tolerations: [{ key: "karpenter.sh/disrupted", operator: "Exists" }] }))).toBe(true);
    expect(toleratesDisruptedTaint(p("b", { tolerations: [{ key: "karpenter.sh/disrupted", operator: "Exists", effect: "NoExecute" }] }))).toBe(false);
    expect(toleratesDisruptedTaint(p("c", { tolerations: [{ key: "other", operator: "Exists" }] }))).toBe(false);
  });
});

describe("drainNode", () => {
  it("evicts one group per pass and finishes when every pod is gone", async () => {
    const node = fakeNode([p("web"), p("ds", { ownerKind: "DaemonSet" }), p("coredns", { priorityClassName: "system-cluster-critical" })]);
    const input = { name: "n1", terminationStartedAt: T0 };
    const groups: Array<string | undefined> = [];
    let progress = await drainNode(node.deps, input, T0);
    for (let i = 0; i < 10 && !progress.drained; i++) {
      groups.push(progress.group);
      progress = await drainNode(node.deps, input, at(1000 * (i + 1)), progress.state);
    }
    expect(progress.drained).toBe(true);
    expect(node.calls).toEqual(["evict web", "evict ds", "evict coredns"]);
    expect(groups.filter((g, i) => g !== groups[i - 1])).toEqual(["non-critical", "non-critical-daemon", "critical"]);
  });
  it("retries evictions a PDB blocks with growing backoff, without deleting the pod", async () => {
    const node = fakeNode([p("web")], new Set(["web"]));
    const input = { name: "n1", terminationStartedAt: T0 };
    let progress = await drainNode(node.deps, input, T0);
    expect(progress.blocked).toEqual(["default/web"]);
    expect(progress.state.attempts["default/web"]).toEqual({ count: 1, nextAttemptAt: T0.getTime() + 100 });
    progress = await drainNode(node.deps, input, at(50), progress.state); // still backing off
    expect(node.calls).toEqual(["evict web"]);
    progress = await drainNode(node.deps, input, at(100), progress.state);
    expect(progress.state.attempts["default/web"]!.count).toBe(2);
    expect(progress.requeueAfterMs).toBe(200);
    node.blocked.clear();
    progress = await drainNode(node.deps, input, at(400), progress.state);
    expect(progress.evicted).toEqual(["default/web"]);
    expect((await drainNode(node.deps, input, at(1400), progress.state)).drained).toBe(true);
    expect(node.calls.filter(c => c.startsWith("delete"))).toEqual([]);
  });
  it("force-deletes pods ignoring PDBs so they finish by the terminationGracePeriod deadline", async () => {
    const node = fakeNode([p("web", { terminationGracePeriodSeconds: 60 }), p("quick", { terminationGracePeriodSeconds: 0 })], new Set(["web", "quick"]));
    const input = { name: "n1", terminationStartedAt: T0, terminationGracePeriod: "5m" };
    let progress = await drainNode(node.deps, input, at(3 * 60_000));
    expect(progress.forceDeleted).toEqual([]);
    expect(progress.deadline).toEqual(at(5 * 60_000));
    progress = await drainNode(node.deps, input, at(4 * 60_000), progress.state); // deadline - 60s: web must go now
    expect(progress.forceDeleted).toEqual(["default/web"]);
    expect(node.calls).toContain("delete web grace=60");
    progress = await drainNode(node.deps, input, at(5 * 60_000), progress.state);
    expect(progress.forceDeleted).toEqual(["default/quick"]);
    expect((await drainNode(node.deps, input, at(5 * 60_000 + 1000), progress.state)).drained).toBe(true);
  });
  it("waits for terminating pods of an earlier group before evicting the next group", async () => {
    const deps: DrainDeps = {
      listPods: async () => [p("web", { deletionTimestamp: T0.toISOString() }), p("ds", { ownerKind: "DaemonSet" })],
      evict: jest.fn(async () => "evicted" as const),
      deletePod: jest.fn(async () => undefined),
    };
    const progress = await drainNode(deps, { name: "n1", terminationStartedAt: T0 }, T0);
    expect(progress).toMatchObject({ drained: false, group: "non-critical", remaining: 2, evicted: [] });
    expect(deps.evict).not.toHaveBeenCalled();
  });
  it("is idempotent when a pod vanished between listing and eviction", async () => {
    const node = fakeNode([p("web")]);
    node.deps.evict = async () => "gone";
    const progress = await drainNode(node.deps, { name: "n1", terminationStartedAt: T0 }, T0);
    expect(progress.evicted).toEqual(["default/web"]);
    expect(progress.blocked).toEqual([]);
  });
});

describe("termination timing", () => {
  it("backs off evictions from 100ms doubling up to 10s", () => {
    expect([1, 2, 3, 4, 8, 20].map(evictionBackoffMs)).toEqual([100, 200, 400, 800, 10_000, 10_000]);
  });
  it("computes the grace-period deadline and per-pod delete time", () => {
    expect(terminationDeadline(T0, "1h30m")).toEqual(at(90 * 60_000));
    expect(terminationDeadline(T0, undefined)).toBeUndefined();
    expect(podDeleteTime(at(60_000), 45)).toEqual(at(15_000));
    expect(podDeleteTime(at(60_000))).toEqual(at(30_000));
  });
});
