// Modelled on Karpenter's pkg/controllers/metrics/node and metrics/pod suites: node allocatable, pod and DaemonSet
// requests/limits, overhead, utilization; karpenter_pods_state's labels (aggregated by default in capsicum).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ClusterState } from "../../../src/kube/clusterState";
import type { KubeObject } from "../../../src/kube/client";
import { Metrics } from "../../../src/metrics";
import { collectStateMetrics } from "../../../src/stateMetrics";

const NOW = Date.parse("2026-01-01T01:00:00Z");
const node: KubeObject = {
  apiVersion: "v1",
  kind: "Node",
  metadata: {
    name: "n1",
    creationTimestamp: "2026-01-01T00:00:00Z",
    labels: {
      "karpenter.sh/nodepool": "default",
      "node.kubernetes.io/instance-type": "m5.large",
      "topology.kubernetes.io/zone": "us-east-1a",
      "karpenter.sh/capacity-type": "spot",
      "kubernetes.io/arch": "amd64",
      "karpenter.k8s.aws/instance-cpu": "2",
    },
  },
  status: { capacity: { cpu: "2", memory: "8Gi", pods: "29" }, allocatable: { cpu: "1930m", memory: "7Gi", pods: "29" } },
};
const pod = (name: string, cpu: string, o: { limit?: string; daemon?: boolean; node?: string; phase?: string } = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: "default",
    ownerReferences: [{ apiVersion: o.daemon ? "apps/v1" : "apps/v1", kind: o.daemon ? "DaemonSet" : "ReplicaSet", name: "owner", uid: "u" }],
  },
  spec: {
    nodeName: o.node,
    containers: [{ name: "c", resources: { requests: { cpu }, ...(o.limit ? { limits: { cpu: o.limit } } : {}) } }],
  },
  status: { phase: o.phase ?? (o.node ? "Running" : "Pending"), conditions: o.node ? [{ type: "Ready", status: "True" }] : [] },
});

async function value(m: Metrics, name: string, match: Record<string, string>): Promise<number | undefined> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (metric?.values ?? []).find((x) => Object.entries(match).every(([k, val]) => String(x.labels[k]) === val));
  return v?.value as number | undefined;
}

function stateWith(objs: Array<["Node" | "Pod", KubeObject]>): ClusterState {
  const s = new ClusterState();
  for (const [k, o] of objs) s.apply(k, o, "ADDED");
  s.markSynced();
  return s;
}

describe("node metrics", () => {
  const state = () =>
    stateWith([
      ["Node", node],
      ["Pod", pod("a", "500m", { limit: "1", node: "n1" })],
      ["Pod", pod("d", "100m", { daemon: true, node: "n1" })],
      ["Pod", pod("done", "4", { node: "n1", phase: "Succeeded" })],
      ["Pod", pod("pending", "1")],
    ]);
  it("reports allocatable, pod/daemon requests and limits, overhead and lifetime with Karpenter's labels", async () => {
    const m = new Metrics();
    collectStateMetrics(m, state(), { now: NOW });
    const cpu = { node_name: "n1", resource_type: "cpu", nodepool: "default", instance_type: "m5.large", capacity_type: "spot", zone: "us-east-1a", instance_cpu: "2", managed: "true" };
    expect(await value(m, "karpenter_nodes_allocatable", cpu)).toBeCloseTo(1.93);
    expect(await value(m, "karpenter_nodes_total_pod_requests", cpu)).toBeCloseTo(0.6); // terminal pods excluded
    expect(await value(m, "karpenter_nodes_total_pod_limits", cpu)).toBeCloseTo(1);
    expect(await value(m, "karpenter_nodes_total_daemon_requests", cpu)).toBeCloseTo(0.1);
    expect(await value(m, "karpenter_nodes_system_overhead", cpu)).toBeCloseTo(0.07);
    expect(await value(m, "karpenter_nodes_system_overhead", { resource_type: "memory" })).toBe(2 ** 30);
    expect(await value(m, "karpenter_nodes_current_lifetime_seconds", { node_name: "n1" })).toBe(3600);
    expect(await value(m, "karpenter_cluster_utilization_percent", { resource_type: "cpu" })).toBeCloseTo((100 * 0.6) / 1.93);
  });
  it("drops a deleted node's series on the next pass", async () => {
    const m = new Metrics();
    const s = state();
    collectStateMetrics(m, s, { now: NOW });
    s.apply("Node", node, "DELETED");
    collectStateMetrics(m, s, { now: NOW });
    expect(await value(m, "karpenter_nodes_allocatable", { node_name: "n1" })).toBeUndefined();
  });
});

describe("karpenter_pods_state", () => {
  const s = () =>
    stateWith([
      ["Node", node],
      ["Pod", pod("a", "1", { node: "n1" })],
      ["Pod", pod("b", "1", { node: "n1" })],
      ["Pod", pod("p", "1")],
    ]);
  it("by default has no per-pod series: pods with the same labels are counted", async () => {
    const m = new Metrics();
    collectStateMetrics(m, s(), { now: NOW });
    const running = { node: "n1", phase: "Running", ready: "true", nodepool: "default", scheduled: "true", name: "", owner: "" };
    expect(await value(m, "karpenter_pods_state", running)).toBe(2);
    expect(await value(m, "karpenter_pods_state", { phase: "Pending", scheduled: "false" })).toBe(1);
    const series = (await m.registry.getMetricsAsJSON()).find((x) => x.name === "karpenter_pods_state")!.values;
    expect(series).toHaveLength(2);
  });
  it("with podsStatePerPod, one series per pod labelled with name and owner self link, as Karpenter", async () => {
    const m = new Metrics();
    collectStateMetrics(m, s(), { now: NOW, podsStatePerPod: true });
    expect(await value(m, "karpenter_pods_state", { name: "a", owner: "/apis/apps/v1/namespaces/default/replicasets/owner" })).toBe(1);
  });
});

describe("metric declarations", () => {
  // Every metric declared in src/metrics.ts is set somewhere in the engine (no metric that is always absent).
  it("declares no metric that the code never sets", () => {
    // The metric fields of a Metrics instance (src/metrics.ts's table), each registered under its own name.
    const m = new Metrics();
    const fields = Object.keys(m).filter((k) => k !== "registry");
    expect(fields.length).toBeGreaterThan(30);
    expect(m.registry.getMetricsAsArray().length).toBe(fields.length);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith(".ts") && !p.endsWith("src/metrics.ts")) files.push(readFileSync(p, "utf8"));
      }
    };
    walk(join(__dirname, "../../../src"));
    const code = files.join("\n");
    // Set directly (.inc/.set/.observe/.startTimer) or handed to a collector list ("metrics.x," / "metrics.x]").
    const unset = fields.filter((f) => !new RegExp(`\\.${f}(\\.(inc|set|observe|startTimer)\\(|\\s*[,\\]])`).test(code));
    expect(unset).toEqual([]);
  });
});
