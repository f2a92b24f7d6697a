// Scheduler behaviours for topology: spread constraints, pod (anti-)affinity, and topology groups counted up front.
import { CT, HOST, node, nodePool, pod, pods, run, ZONE, zoneOf } from "./helpers";

const spread = (key: string, labels: Record<string, string>, maxSkew = 1, when = "DoNotSchedule", minDomains?: number) =>
  [{ maxSkew, topologyKey: key, whenUnsatisfiable: when, labelSelector: { matchLabels: labels }, minDomains }];
const anti = (key: string, labels: Record<string, string>) => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: key, labelSelector: { matchLabels: labels } }] } });
const aff = (key: string, labels: Record<string, string>) => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: key, labelSelector: { matchLabels: labels } }] } });
const nodeAff = (key: string, operator: string, values?: string[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, values }] }] } } });

describe("topology spread", () => {
  const app = { app: "web" };
  it("zone spread with maxSkew 1 spreads 3 pods across 3 zones", () => {
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a", "us-east-1b", "us-east-1c"] }] });
    const r = run({ pods: pods(3, i => pod({ name: `w${i}`, labels: app, topologySpreadConstraints: spread(ZONE, app) })), nodePools: [np] });
    expect(new Set(["w0", "w1", "w2"].map(n => zoneOf(r, n)))).toEqual(new Set(["us-east-1a", "us-east-1b", "us-east-1c"]));
  });
  it("zone spread keeps skew within maxSkew for many pods", () => {
    const r = run({ pods: pods(20, i => pod({ name: `s${i}`, labels: app, topologySpreadConstraints: spread(ZONE, app) })) });
    const counts = new Map<string, number>();
    for (const c of r.newNodeClaims) counts.set(c.zone!, (counts.get(c.zone!) ?? 0) + c.pods.length);
    const v = [...counts.values()];
    expect(Math.max(...v) - Math.min(...v)).toBeLessThanOrEqual(1);
  });
  it("hostname spread with maxSkew 1 puts one pod per node", () => {
    const r = run({ pods: pods(4, () => pod({ labels: app, topologySpreadConstraints: spread(HOST, app) })) });
    expect(r.newNodeClaims).toHaveLength(4);
  });
  it("hostname spread with maxSkew 2 allows two pods per node", () => {
    const r = run({ pods: pods(4, () => pod({ labels: app, topologySpreadConstraints: spread(HOST, app, 2) })) });
    expect(r.newNodeClaims).toHaveLength(2);
  });
  it("capacity-type spread splits pods across spot and on-demand", () => {
    const np = nodePool("default", { requirements: [{ key: CT, operator: "In", values: ["spot", "on-demand"] }] });
    const r = run({ pods: pods(2, () => pod({ labels: app, topologySpreadConstraints: spread(CT, app) })), nodePools: [np] });
    expect(new Set(r.newNodeClaims.map(c => c.capacityType))).toEqual(new Set(["spot", "on-demand"]));
  });
  it("spread counts pods already running on existing nodes", () => {
    const n = node("n1", { [ZONE]: "us-east-1a" }, { cpu: "1", memory: "1Gi", pods: "5" }, [pod({ labels: app, cpu: "900m" })]);
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a", "us-east-1b"] }] });
    const r = run({ pods: [pod({ name: "next", labels: app, topologySpreadConstraints: spread(ZONE, app) })], nodePools: [np], existingNodes: [n] });
    expect(zoneOf(r, "next")).toBe("us-east-1b");
  });
  it("spread only counts pods matching the label selector", () => {
    const n = node("n1", { [ZONE]: "us-east-1a" }, { cpu: "1", memory: "1Gi", pods: "5" }, [pod({ labels: { app: "other" }, cpu: "900m" })]);
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a"] }] });
    const r = run({ pods: [pod({ labels: app, topologySpreadConstraints: spread(ZONE, app) })], nodePools: [np], existingNodes: [n] });
    expect(r.unschedulable).toHaveLength(0);
  });
  it("ScheduleAnyway spread is relaxed when it cannot be met", () => {
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a"] }] });
    const n = node("n1", { [ZONE]: "us-east-1b" }, { cpu: "1", memory: "1Gi", pods: "5" }, [pod({ labels: app, cpu: "900m" }), pod({ labels: app, cpu: "50m" })]);
    const ps = pods(3, () => pod({ labels: app, topologySpreadConstraints: spread(ZONE, app, 1, "ScheduleAnyway") }));
    const r = run({ pods: ps, nodePools: [np], existingNodes: [n] });
    expect(r.unschedulable).toHaveLength(0);
  });
  it("DoNotSchedule spread leaves pods pending when skew would be exceeded", () => {
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a"] }] });
    const n = node("n1", { [ZONE]: "us-east-1b" }, { cpu: "50m", memory: "1Gi", pods: "5" }, []);
    const ps = pods(3, () => pod({ labels: app, topologySpreadConstraints: spread(ZONE, app) }));
    const r = run({ pods: ps, nodePools: [np], existingNodes: [n] });
    expect(r.unschedulable.length).toBeGreaterThan(0);
    expect(r.unschedulable[0]!.reason).toMatch(/topology spread/);
  });
  it("minDomains forces spreading beyond available domains to count min as zero", () => {
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a", "us-east-1b"] }] });
    const r = run({ pods: pods(4, i => pod({ name: `md${i}`, labels: app, topologySpreadConstraints: spread(ZONE, app, 1, "DoNotSchedule", 3) })), nodePools: [np] });
    // With only 2 eligible domains < minDomains 3, global min is 0: each zone holds at most maxSkew=1 pod.
    expect(r.unschedulable).toHaveLength(2);
  });
  it("spread honours the pod's node affinity when computing eligible zones", () => {
    const r = run({ pods: pods(2, i => pod({ name: `na${i}`, labels: app, topologySpreadConstraints: spread(ZONE, app), affinity: nodeAff(ZONE, "In", ["us-east-1a", "us-east-1b"]) })) });
    expect(new Set([zoneOf(r, "na0"), zoneOf(r, "na1")])).toEqual(new Set(["us-east-1a", "us-east-1b"]));
  });
});

describe("pod affinity and anti-affinity", () => {
  const db = { app: "db" };
  it("pod with zone anti-affinity spreads across 3 zones", () => {
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a", "us-east-1b", "us-east-1c"] }] });
    const r = run({ pods: pods(3, i => pod({ name: `a${i}`, labels: db, affinity: anti(ZONE, db) })), nodePools: [np] });
    expect(new Set(["a0", "a1", "a2"].map(n => zoneOf(r, n)))).toEqual(new Set(["us-east-1a", "us-east-1b", "us-east-1c"]));
  });
  it("zone anti-affinity leaves the 4th pod pending when only 3 zones exist", () => {
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a", "us-east-1b", "us-east-1c"] }] });
    const r = run({ pods: pods(4, () => pod({ labels: db, affinity: anti(ZONE, db) })), nodePools: [np] });
    expect(r.unschedulable).toHaveLength(1);
    expect(r.unschedulable[0]!.reason).toMatch(/anti-affinity/);
  });
  it("hostname anti-affinity gives each pod its own node", () => {
    const r = run({ pods: pods(5, () => pod({ labels: db, affinity: anti(HOST, db) })) });
    expect(r.newNodeClaims).toHaveLength(5);
  });
  it("anti-affinity only repels matching pods", () => {
    const r = run({ pods: [pod({ labels: db, affinity: anti(HOST, db) }), pod({ labels: { app: "web" } })] });
    expect(r.newNodeClaims).toHaveLength(1);
  });
  it("an existing pod's anti-affinity repels new matching pods from its node", () => {
    const n = node("n1", { [ZONE]: "us-east-1a" }, { cpu: "4", memory: "8Gi", pods: "20" }, [pod({ labels: { app: "x" }, affinity: anti(HOST, db) })]);
    const r = run({ pods: [pod({ labels: db })], existingNodes: [n] });
    expect(r.existingNodes).toHaveLength(0);
    expect(r.newNodeClaims).toHaveLength(1);
  });
  it("pod affinity on hostname co-locates with the target pod on an existing node", () => {
    const n = node("n1", { [ZONE]: "us-east-1a" }, { cpu: "4", memory: "8Gi", pods: "20" }, [pod({ labels: db })]);
    const n2 = node("n0", { [ZONE]: "us-east-1b" }, { cpu: "4", memory: "8Gi", pods: "20" });
    const r = run({ pods: [pod({ name: "follower", affinity: aff(HOST, db) })], existingNodes: [n, n2] });
    expect(r.existingNodes.map(e => e.name)).toEqual(["n1"]);
  });
  it("pod affinity on zone follows the target pod's zone", () => {
    const n = node("n1", { [ZONE]: "us-east-1c" }, { cpu: "1", memory: "1Gi", pods: "20" }, [pod({ labels: db, cpu: "1" })]);
    const r = run({ pods: [pod({ name: "f", affinity: aff(ZONE, db) })], existingNodes: [n] });
    expect(zoneOf(r, "f")).toBe("us-east-1c");
  });
  it("self-affine pods are placed together when none exist yet", () => {
    const r = run({ pods: pods(3, i => pod({ name: `sa${i}`, labels: db, affinity: aff(ZONE, db) })) });
    expect(new Set(["sa0", "sa1", "sa2"].map(n => zoneOf(r, n))).size).toBe(1);
  });
  it("pod affinity to a pod that does not exist is unschedulable", () => {
    const r = run({ pods: [pod({ affinity: aff(ZONE, { app: "ghost" }) })] });
    expect(r.unschedulable[0]!.reason).toMatch(/no pod matches/);
  });
  it("preferred pod anti-affinity is honoured when possible", () => {
    const p = (n: string) => pod({ name: n, labels: db, affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: HOST, labelSelector: { matchLabels: db } } }] } } });
    expect(run({ pods: [p("x"), p("y")] }).newNodeClaims).toHaveLength(2);
  });
  it("preferred pod affinity is relaxed when the target does not exist", () => {
    const r = run({ pods: [pod({ affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: HOST, labelSelector: { matchLabels: { app: "ghost" } } } }] } } })] });
    expect(r.unschedulable).toHaveLength(0);
  });
  it("anti-affinity in another namespace does not apply", () => {
    const n = node("n1", { [ZONE]: "us-east-1a" }, { cpu: "4", memory: "8Gi", pods: "20" }, [pod({ ns: "other", labels: db })]);
    const r = run({ pods: [pod({ labels: db, affinity: anti(HOST, db) })], existingNodes: [n] });
    expect(r.existingNodes).toHaveLength(1);
  });
});

describe("topology groups are known up front", () => {
  it("pods scheduled before the spread pods that select them are counted in the spread", () => {
    const web = { app: "web" };
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1a", "us-east-1b", "us-east-1c"] }] });
    // Big unconstrained pods carry the label and are placed first (cpu-descending order).
    const big = pods(3, i => pod({ name: `big${i}`, labels: web, cpu: "3" }));
    const small = pods(3, i => pod({ name: `small${i}`, labels: web, cpu: "100m", topologySpreadConstraints: spread(ZONE, web) }));
    const r = run({ pods: [...big, ...small], nodePools: [np] });
    for (const c of r.newNodeClaims) expect(c.zone).toBeDefined(); // every pod counted by a zone group has a pinned zone
    const bigZones = new Set(big.map(p => zoneOf(r, p.metadata.name!)));
    // The big pods count towards the spread, so the spread pods avoid their (already most loaded) zone.
    for (const p of small) expect(bigZones.has(zoneOf(r, p.metadata.name!))).toBe(false);
  });
});

