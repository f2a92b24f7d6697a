// A batch's backlog of identical pods: once one of them fails, its replicas get the same verdict only while nothing
// was placed in between; a placement re-opens the question for the next replica.
import { ZONE, nodePool, pod, run } from "./helpers";

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
    const r = run({ pods: [c1, b, a1] });
    expect(r.unschedulable.map((u) => u.pod.metadata.name)).toEqual(["a-1"]);
    expect(r.unschedulable[0]!.reason).toMatch(/pod affinity/);
    expect(r.newNodeClaims.some((c) => c.pods.some((p) => p.metadata.name === "c-1"))).toBe(true);
  });

  it("twins whose spec cannot be parsed each get their own error, naming the pod", () => {
    const bogus = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "disk", operator: "Bogus", values: ["ssd"] }] }] } } };
    const r = run({ pods: [pod({ name: "bad-1", affinity: bogus }), pod({ name: "bad-2", affinity: bogus })] });
    expect(r.unschedulable.map((u) => u.pod.metadata.name)).toEqual(["bad-1", "bad-2"]);
    for (const u of r.unschedulable) expect(u.reason).toContain(`pod default/${u.pod.metadata.name}`);
  });
});
