// Modelled on Karpenter's pkg/controllers/metrics/pod suite: the per-pod unbound/unstarted gauges and their
// provisioning_* twins exist only while a pod waits and are deleted when it binds, starts, finishes or is deleted;
// the bound/startup histograms observe once; the undecided gauge runs from the provisioner's ack to its decision.
import { PodSchedulingTimes } from "../../../src/kube/podSchedulingTimes";
import type { KubeObject } from "../../../src/kube/client";
import { Kinds } from "../../../src/kube/client";
import { Metrics } from "../../../src/metrics";
import { PodMetrics } from "../../../src/podMetrics";
import { miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const iso = (t: number) => new Date(t).toISOString();
const KEY = "default/p";

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };
async function series(m: Metrics, name: string): Promise<Sample[]> {
  return ((await m.registry.getSingleMetric(name)!.get()).values as Sample[]).filter((s) => !s.metricName || s.metricName === name);
}
async function gauge(m: Metrics, name: string, pod = "p"): Promise<number | undefined> {
  return (await series(m, name)).find((s) => s.labels.name === pod && s.labels.namespace === "default")?.value;
}
async function count(m: Metrics, name: string): Promise<number> {
  const all = (await m.registry.getSingleMetric(name)!.get()).values as Sample[];
  return all.filter((s) => s.metricName === `${name}_count`).reduce((n, s) => n + s.value, 0);
}
async function sum(m: Metrics, name: string): Promise<number> {
  const all = (await m.registry.getSingleMetric(name)!.get()).values as Sample[];
  return all.filter((s) => s.metricName === `${name}_sum`).reduce((n, s) => n + s.value, 0);
}

const pod = (phase: string, conditions: Array<Record<string, string>> = [], nodeName?: string): KubeObject => ({
  metadata: { name: "p", namespace: "default", creationTimestamp: iso(T0) },
  spec: { containers: [], ...(nodeName ? { nodeName } : {}) },
  status: { phase, conditions },
});

function setup() {
  const m = new Metrics();
  const times = new PodSchedulingTimes();
  return { m, times, pods: new PodMetrics(m, times) };
}

describe("Pod metrics (per-pod waiting gauges)", () => {
  it("updates the bound and unbound time metrics", async () => {
    const { m, times, pods } = setup();
    times.markDecisions(T0 + HOUR, [], [KEY]);
    pods.observe(KEY, pod("Pending"), T0 + 2 * HOUR);
    expect(await gauge(m, "karpenter_pods_unbound_time_seconds")).toBe(7200);
    expect(await gauge(m, "karpenter_pods_provisioning_unbound_time_seconds")).toBe(3600);

    pods.observe(KEY, pod("Pending", [{ type: "PodScheduled", status: "Unknown" }]), T0 + 3 * HOUR);
    expect(await gauge(m, "karpenter_pods_unbound_time_seconds")).toBe(10800);

    // Bound but still Pending: the unbound gauges keep their value, nothing is observed yet.
    const bound = { type: "PodScheduled", status: "True", lastTransitionTime: iso(T0 + 4 * HOUR) };
    pods.observe(KEY, pod("Pending", [bound], "n1"), T0 + 4 * HOUR);
    expect(await gauge(m, "karpenter_pods_unbound_time_seconds")).toBe(10800);
    expect(await gauge(m, "karpenter_pods_provisioning_unbound_time_seconds")).toBe(7200);
    expect(await count(m, "karpenter_pods_bound_duration_seconds")).toBe(0);

    // Running and bound: the gauges go, the histograms observe creation → bound and first placement → bound.
    pods.observe(KEY, pod("Running", [bound], "n1"), T0 + 5 * HOUR);
    expect(await gauge(m, "karpenter_pods_unbound_time_seconds")).toBeUndefined();
    expect(await gauge(m, "karpenter_pods_provisioning_unbound_time_seconds")).toBeUndefined();
    expect(await count(m, "karpenter_pods_bound_duration_seconds")).toBe(1);
    expect(await sum(m, "karpenter_pods_bound_duration_seconds")).toBe(4 * 3600);
    expect(await sum(m, "karpenter_pods_provisioning_bound_duration_seconds")).toBe(3 * 3600);
    // Once only.
    pods.observe(KEY, pod("Running", [bound], "n1"), T0 + 6 * HOUR);
    expect(await count(m, "karpenter_pods_bound_duration_seconds")).toBe(1);
  });

  it("updates the startup and unstarted time metrics", async () => {
    const { m, times, pods } = setup();
    times.markDecisions(T0 + HOUR, [], [KEY]);
    pods.observe(KEY, pod("Pending"), T0 + 2 * HOUR);
    expect(await gauge(m, "karpenter_pods_unstarted_time_seconds")).toBe(7200);
    expect(await gauge(m, "karpenter_pods_provisioning_unstarted_time_seconds")).toBe(3600);
    pods.observe(KEY, pod("Running", [], "n1"), T0 + 3 * HOUR); // running, readiness not set
    expect(await gauge(m, "karpenter_pods_unstarted_time_seconds")).toBe(10800);
    pods.observe(KEY, pod("Running", [{ type: "Ready", status: "Unknown" }], "n1"), T0 + 3 * HOUR);
    expect(await gauge(m, "karpenter_pods_provisioning_unstarted_time_seconds")).toBe(7200);
    const ready = { type: "Ready", status: "True", lastTransitionTime: iso(T0 + 4 * HOUR) };
    pods.observe(KEY, pod("Running", [ready], "n1"), T0 + 5 * HOUR);
    expect(await gauge(m, "karpenter_pods_unstarted_time_seconds")).toBeUndefined();
    expect(await gauge(m, "karpenter_pods_provisioning_unstarted_time_seconds")).toBeUndefined();
    expect(await sum(m, "karpenter_pods_startup_duration_seconds")).toBe(4 * 3600);
    expect(await sum(m, "karpenter_pods_provisioning_startup_duration_seconds")).toBe(3 * 3600);
    expect(times.size).toBe(0); // started: the provisioner's marks are dropped
  });

  it.each(["Succeeded", "Failed"])("drops the unstarted gauges without a startup observation when the pod has %s", async (phase) => {
    const { m, times, pods } = setup();
    times.markDecisions(T0 + HOUR, [], [KEY]);
    pods.observe(KEY, pod("Pending"), T0 + 2 * HOUR);
    const conds = [
      { type: "Ready", status: "False" },
      { type: "PodScheduled", status: "True" },
    ];
    pods.observe(KEY, pod(phase, conds, "n1"), T0 + 3 * HOUR);
    expect(await gauge(m, "karpenter_pods_unstarted_time_seconds")).toBeUndefined();
    expect(await gauge(m, "karpenter_pods_provisioning_unstarted_time_seconds")).toBeUndefined();
    expect(await count(m, "karpenter_pods_startup_duration_seconds")).toBe(0);
    expect(await count(m, "karpenter_pods_provisioning_startup_duration_seconds")).toBe(0);
  });

  it("sets the undecided gauge from the ack until a decision, and only for acked pods", async () => {
    const { m, times, pods } = setup();
    pods.observe(KEY, pod("Pending"), T0 + HOUR);
    expect(await gauge(m, "karpenter_pods_provisioning_scheduling_undecided_time_seconds")).toBeUndefined();
    times.ack(KEY, T0 + HOUR);
    pods.observe(KEY, pod("Pending"), T0 + 2 * HOUR);
    expect(await gauge(m, "karpenter_pods_provisioning_scheduling_undecided_time_seconds")).toBe(3600);
    expect(times.markDecisions(T0 + 3 * HOUR, [], [KEY])).toEqual([7200]); // first decision: ack → now
    expect(times.markDecisions(T0 + 4 * HOUR, [KEY], [])).toEqual([]); // later ones are not observed again
    pods.observe(KEY, pod("Pending"), T0 + 4 * HOUR);
    expect(await gauge(m, "karpenter_pods_provisioning_scheduling_undecided_time_seconds")).toBeUndefined();
  });

  it.each([
    ["bound (PodScheduled True)", pod("Pending", [{ type: "PodScheduled", status: "True" }])],
    ["given a node without PodScheduled True", pod("Pending", [{ type: "PodScheduled", status: "False" }], "n1")],
    ["terminal", pod("Failed", [{ type: "PodScheduled", status: "False" }])],
  ])("deletes the undecided gauge when the pod is %s", async (_, p) => {
    const { m, times, pods } = setup();
    times.ack(KEY, T0);
    pods.observe(KEY, pod("Pending"), T0 + HOUR);
    expect(await gauge(m, "karpenter_pods_provisioning_scheduling_undecided_time_seconds")).toBe(3600);
    pods.observe(KEY, p, T0 + 2 * HOUR);
    expect(await gauge(m, "karpenter_pods_provisioning_scheduling_undecided_time_seconds")).toBeUndefined();
  });

  it("drops the provisioning_* gauges when a later simulation could not place the pod", async () => {
    const { m, times, pods } = setup();
    times.markDecisions(T0, [], [KEY]);
    pods.observe(KEY, pod("Pending"), T0 + HOUR);
    expect(await gauge(m, "karpenter_pods_provisioning_unbound_time_seconds")).toBe(3600);
    times.markDecisions(T0 + HOUR, [KEY], []);
    pods.observe(KEY, pod("Pending"), T0 + 2 * HOUR);
    expect(await gauge(m, "karpenter_pods_provisioning_unbound_time_seconds")).toBeUndefined();
    expect(await gauge(m, "karpenter_pods_provisioning_unstarted_time_seconds")).toBeUndefined();
    expect(await gauge(m, "karpenter_pods_unbound_time_seconds")).toBe(7200);
  });

  it("deletes every per-pod series and mark on pod delete", async () => {
    const { m, times, pods } = setup();
    times.ack(KEY, T0);
    times.markDecisions(T0, [], [KEY]);
    pods.observe(KEY, pod("Pending"), T0 + HOUR);
    pods.forget(KEY, "p", "default");
    for (const name of ["unbound_time_seconds", "unstarted_time_seconds", "provisioning_unbound_time_seconds", "provisioning_unstarted_time_seconds", "provisioning_scheduling_undecided_time_seconds"])
      expect(await series(m, `karpenter_pods_${name}`)).toEqual([]);
    expect(times.size).toBe(0);
    expect(pods.waiting()).toEqual([]);
  });

  it("follows no pod it never saw Pending (running pods at start cost nothing)", async () => {
    const { m, pods } = setup();
    for (let i = 0; i < 100; i++) pods.observe(`default/r${i}`, { ...pod("Running", [{ type: "Ready", status: "True" }], "n1"), metadata: { name: `r${i}`, namespace: "default" } }, T0);
    expect(pods.waiting()).toEqual([]);
    expect(await series(m, "karpenter_pods_unbound_time_seconds")).toEqual([]);
  });
});

describe("Pod metrics driven by the running controllers", () => {
  it("acks a pending pod, observes the provisioner's first decision, and drops the pod's series and marks once it runs and is deleted", async () => {
    const mc = await miniCluster({
      seed: async (c) => {
        await c.create(Kinds.EC2NodeClass, nodeClass());
        await c.create(Kinds.NodePool, nodePool());
      },
    });
    const m = mc.controllers.metrics;
    const p = await mc.client.create(Kinds.Pod, pendingPod("web"));
    await mc.tick(10);
    expect(await gauge(m, "karpenter_pods_unbound_time_seconds", "web")).toBeDefined();
    await mc.tick(1_500); // the batch closes: one provisioning pass places the pod on a new NodeClaim
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(1);
    expect(await count(m, "karpenter_pods_scheduling_decision_duration_seconds")).toBe(1);
    expect(await sum(m, "karpenter_pods_scheduling_decision_duration_seconds")).toBeGreaterThan(0);
    await mc.tick(5_000); // the metrics pass refreshes the waiting pods
    expect(await gauge(m, "karpenter_pods_provisioning_scheduling_undecided_time_seconds", "web")).toBeUndefined();
    expect(await gauge(m, "karpenter_pods_provisioning_unbound_time_seconds", "web")).toBeGreaterThan(0);
    expect(mc.controllers.state.podSchedulingTimes.size).toBe(1);

    const now = new Date(mc.clock.now()).toISOString();
    await mc.client.replace(Kinds.Pod, {
      ...p,
      spec: { ...p.spec, nodeName: "n1" },
      status: { phase: "Running", conditions: [{ type: "PodScheduled", status: "True", lastTransitionTime: now }, { type: "Ready", status: "True", lastTransitionTime: now }] },
    });
    await mc.tick(10);
    expect(await gauge(m, "karpenter_pods_unbound_time_seconds", "web")).toBeUndefined();
    expect(await gauge(m, "karpenter_pods_provisioning_unbound_time_seconds", "web")).toBeUndefined();
    expect(await count(m, "karpenter_pods_bound_duration_seconds")).toBe(1);
    expect(await count(m, "karpenter_pods_provisioning_bound_duration_seconds")).toBe(1);
    expect(await count(m, "karpenter_pods_startup_duration_seconds")).toBe(1);
    expect(mc.controllers.state.podSchedulingTimes.size).toBe(0);

    // A pod no pass can place, deleted while it waits: its series and marks go with it.
    await mc.client.create(Kinds.Pod, pendingPod("huge", "1000"));
    await mc.tick(1_500);
    await mc.tick(5_000);
    expect(await gauge(m, "karpenter_pods_unbound_time_seconds", "huge")).toBeGreaterThan(0);
    expect(await gauge(m, "karpenter_pods_provisioning_unbound_time_seconds", "huge")).toBeUndefined(); // never placed
    expect(mc.controllers.state.podSchedulingTimes.decisionTime("default/huge")).toBeDefined();
    await mc.client.delete(Kinds.Pod, "huge", "default", { gracePeriodSeconds: 0 });
    await mc.tick(10);
    expect(await gauge(m, "karpenter_pods_unbound_time_seconds", "huge")).toBeUndefined();
    expect(await gauge(m, "karpenter_pods_unstarted_time_seconds", "huge")).toBeUndefined();
    expect(mc.controllers.state.podSchedulingTimes.size).toBe(0);
    await mc.controllers.stop();
  });
});
