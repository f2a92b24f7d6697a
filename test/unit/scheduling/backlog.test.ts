// A batch's backlog of identical pods: once one of them fails, its replicas get the same verdict only while nothing
// was placed in between; a placement re-opens the question for the next replica.
import { ZONE, nodePool, pod, pods, run } from "./helpers";

const web = { app: "web" };
const needsWeb = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: { matchLabels: web } }] } };

describe("backlog of identical pods", () => {
  it("replicas held back by NodePool limits all report the limits, and other pods still schedule", () => {
    const big = Array.from({ length: 30 }, (_, i) => pod({ name: `big-${String(i).padStart(2, "0")}`, cpu: "7", memory: "8Gi", labels: { app: "big" } }));
    const small = pod({ name: "small", cpu: "100m", memory: "128Mi" });
    const r = run({ pods: [...big, small], nodePools: [nodePool("default", { limits: { cpu: "40" } })] });
    const blocked = r.unschedulable.filter((u) => u.pod.metadata.name!.startsWith("big-"));
    expect(blocked.length).toBeGreaterThan(20);
    for (const u of blocked) expect(u.reason).toMatch(/NodePool limits exceeded/);
    expect(new Set(blocked.map((u) => u.reason)).size).toBe(1);
    expect(r.newNodeClaims.some((c) => c.pods.some((p) => p.metadata.name === "small"))).toBe(true);
  });

  it("a replica is tried again after another pod was placed since its twin failed", () => {
    // Same requests, so the queue orders by name: a-1 (needs a web pod), b (the web pod), c-1 (a-1's twin).
    const a1 = pod({ name: "a-1", cpu: "1", affinity: needsWeb });
    const b = pod({ name: "b", cpu: "1", labels: web });
    const c1 = pod({ name: "c-1", cpu: "1", affinity: needsWeb });
    // c-1 is tried in the same pass (b placed since a-1 failed); a-1 when the failed pods are tried again, as
    // Karpenter's queue does while the batch makes progress.
    const r = run({ pods: [c1, b, a1] });
    expect(r.unschedulable).toEqual([]);
    for (const name of ["a-1", "c-1"]) expect(r.newNodeClaims.some((c) => c.pods.some((p) => p.metadata.name === name))).toBe(true);
  });

  it("a pod whose affinity target is placed later in the batch schedules with it (Karpenter's requeue)", () => {
    const webPod = pod({ name: "a-web", cpu: "2", labels: { app: "front" }, affinity: needsWeb });
    const target = pod({ name: "z-target", cpu: "100m", labels: web });
    const r = run({ pods: [webPod, target] });
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodeClaims.map((c) => c.pods.map((p) => p.metadata.name).sort())).toEqual([["a-web", "z-target"]]);
  });

  it("pods whose affinity target never appears stay unschedulable with that reason, the others place", () => {
    const lonely = pods(50, (i) => pod({ name: `lonely-${i}`, cpu: "1", affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "nobody" } } }] } } }));
    const r = run({ pods: [...lonely, pod({ name: "other", cpu: "1" })] });
    expect(r.unschedulable).toHaveLength(50);
    for (const u of r.unschedulable) expect(u.reason).toMatch(/pod affinity/);
    expect(r.newNodeClaims.flatMap((c) => c.pods.map((p) => p.metadata.name))).toEqual(["other"]);
  });

  it("twins whose spec cannot be parsed each get their own error, naming the pod", () => {
    const bogus = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "disk", operator: "Bogus", values: ["ssd"] }] }] } } };
    const r = run({ pods: [pod({ name: "bad-1", affinity: bogus }), pod({ name: "bad-2", affinity: bogus })] });
    expect(r.unschedulable.map((u) => u.pod.metadata.name)).toEqual(["bad-1", "bad-2"]);
    for (const u of r.unschedulable) expect(u.reason).toContain(`pod default/${u.pod.metadata.name}`);
  });
});
