// Topology spread node inclusion policies and pod-affinity namespace / label-key rules, modelled on Karpenter
// v1.14's scheduling/topology_test.go (contexts NodeTaintsPolicy, NodeAffinityPolicy, MatchLabelKeys and the empty
// namespaceSelector case). Every result also goes through the independent checker.
import type { Pod, PodAffinityTerm, TopologySpreadConstraint } from "../../../src/scheduling/types";
import { checkPlan } from "./checker";
import { HOST, ZONE, catalog, node, nodePool, pod, pods, run, zoneOf } from "./helpers";

const LABEL = "fake-label";
const app = { app: "web" };
const spreadOn = (key: string, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint[] => [
  { maxSkew: 1, topologyKey: key, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: app }, ...extra },
];
const tainted = { taints: [{ key: "taintname", value: "taintvalue", effect: "NoSchedule" }] };
const scheduledCount = (r: ReturnType<typeof run>) => r.newNodeClaims.reduce((n, c) => n + c.pods.length, 0);
const checked = (input: Parameters<typeof run>[0]) => {
  const r = run(input);
  expect(checkPlan({ nodePools: [nodePool()], instanceTypes: catalog, ...input }, r, catalog)).toEqual([]);
  return r;
};

describe("NodeTaintsPolicy", () => {
  // Two tainted nodes carry domains foo and bar (too small for the pods); the NodePool makes nodes in baz.
  const existing = [node("n1", { [LABEL]: "foo" }, { cpu: "100m" }, [], tainted), node("n2", { [LABEL]: "bar" }, { cpu: "100m" }, [], tainted)];
  const pool = nodePool("default", { labels: { [LABEL]: "baz" } });
  const five = (policy: string) => pods(5, () => pod({ labels: app, cpu: "1", topologySpreadConstraints: spreadOn(LABEL, { nodeTaintsPolicy: policy }) }));

  it("Ignore (default): the tainted nodes' domains count, so only one pod fits the skew", () => {
    const r = checked({ pods: five("Ignore"), nodePools: [pool], existingNodes: existing });
    expect(scheduledCount(r)).toBe(1);
    expect(r.unschedulable).toHaveLength(4);
  });
  it("Honor: domains of nodes with taints the pod does not tolerate are left out, so all five schedule", () => {
    const r = checked({ pods: five("Honor"), nodePools: [pool], existingNodes: existing });
    expect(scheduledCount(r)).toBe(5);
  });
  it("Honor: a tolerated taint keeps the node's domain", () => {
    const tolerant = pods(5, () => pod({ labels: app, cpu: "1", tolerations: [{ key: "taintname", operator: "Exists" }], topologySpreadConstraints: spreadOn(LABEL, { nodeTaintsPolicy: "Honor" }) }));
    expect(scheduledCount(checked({ pods: tolerant, nodePools: [pool], existingNodes: existing }))).toBe(1);
  });

  describe("domains discovered from NodePools", () => {
    const foo = nodePool("default", { requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, { key: LABEL, operator: "In", values: ["foo"] }] });
    const bar = nodePool("tainted", { taints: [{ key: "taint-key", value: "taint-value", effect: "NoSchedule" }], requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, { key: LABEL, operator: "In", values: ["bar"] }] });
    const two = (policy: string) => pods(2, () => pod({ labels: app, topologySpreadConstraints: spreadOn(LABEL, { nodeTaintsPolicy: policy }) }));
    it("Ignore: the tainted pool's domain bar counts, the second pod cannot go to foo", () => {
      const r = run({ pods: two("Ignore"), nodePools: [foo, bar] });
      expect(scheduledCount(r)).toBe(1);
    });
    it("Honor: bar is ignored since the pods do not tolerate its pool, both go to foo", () => {
      const r = run({ pods: two("Honor"), nodePools: [foo, bar] });
      expect(scheduledCount(r)).toBe(2);
      expect(r.newNodeClaims.every(c => c.labels[LABEL] === "foo" || c.requirements.some(q => q.key === LABEL && q.values?.join() === "foo"))).toBe(true);
    });
    it("Honor: a domain shared by an untainted pool stays available", () => {
      const shared = nodePool("open", { requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, { key: LABEL, operator: "In", values: ["bar"] }] });
      const r = run({ pods: pods(4, () => pod({ labels: app, topologySpreadConstraints: spreadOn(LABEL, { nodeTaintsPolicy: "Honor" }) })), nodePools: [foo, bar, shared] });
      expect(scheduledCount(r)).toBe(4);
      const byPool = r.newNodeClaims.map(c => c.nodePool).sort();
      expect(byPool).not.toContain("tainted");
    });
  });
});

describe("NodeAffinityPolicy", () => {
  // Existing nodes foo and bar carry selector=mismatch; the pods select selector=value, which only the pool (baz) has.
  const existing = [node("n1", { [LABEL]: "foo", selector: "mismatch" }, { cpu: "100m" }), node("n2", { [LABEL]: "bar", selector: "mismatch" }, { cpu: "100m" })];
  const pool = nodePool("default", { labels: { [LABEL]: "baz", selector: "value" } });
  const five = (policy: string) => pods(5, () => pod({ labels: app, cpu: "1", nodeSelector: { selector: "value" }, topologySpreadConstraints: spreadOn(LABEL, { nodeAffinityPolicy: policy }) }));

  it("Ignore: the domains of nodes the pod cannot use count, so only one pod fits the skew", () => {
    expect(scheduledCount(checked({ pods: five("Ignore"), nodePools: [pool], existingNodes: existing }))).toBe(1);
  });
  it("Honor (default): only domains of nodes matching the pod's node selection count, all five schedule", () => {
    expect(scheduledCount(checked({ pods: five("Honor"), nodePools: [pool], existingNodes: existing }))).toBe(5);
    const dflt = pods(5, () => pod({ labels: app, cpu: "1", nodeSelector: { selector: "value" }, topologySpreadConstraints: spreadOn(LABEL) }));
    expect(scheduledCount(checked({ pods: dflt, nodePools: [pool], existingNodes: existing }))).toBe(5);
  });
  it("Honor: pods on nodes outside the pod's node selection are not counted", () => {
    // Two matching pods already run in zone a on a node of another team; the new pods select team=mine.
    const zones = { requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, { key: ZONE, operator: "In", values: ["us-east-1a", "us-east-1b", "us-east-1c"] }] };
    const mine = nodePool("mine", { ...zones, labels: { team: "mine" } });
    const other = node("other", { [ZONE]: "us-east-1a", team: "other" }, { cpu: "1", pods: "10" }, [pod({ labels: app }), pod({ labels: app })]);
    const three = (policy?: string) => pods(3, i => pod({ name: `w${policy ?? "d"}${i}`, labels: app, nodeSelector: { team: "mine" }, topologySpreadConstraints: spreadOn(ZONE, policy ? { nodeAffinityPolicy: policy } : {}) }));
    const honor = checked({ pods: three(), nodePools: [mine], existingNodes: [other] });
    expect(["wd0", "wd1", "wd2"].map(n => zoneOf(honor, n)).sort()).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    const ignore = checked({ pods: three("Ignore"), nodePools: [mine], existingNodes: [other] });
    expect(["wIgnore0", "wIgnore1", "wIgnore2"].map(n => zoneOf(ignore, n))).not.toContain("us-east-1a");
  });
  it("Honor with several required node-affinity terms counts nodes matching any term", () => {
    const termPod = (name: string): Pod => pod({
      name, labels: app, cpu: "1",
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: "selector", operator: "In", values: ["value"] }] },
        { matchExpressions: [{ key: "selector", operator: "In", values: ["mismatch"] }] },
      ] } } },
      topologySpreadConstraints: spreadOn(LABEL),
    });
    // n1/n2 match the second term: their domains foo/bar count again, one pod fits.
    const r = run({ pods: [termPod("t1"), termPod("t2"), termPod("t3")], nodePools: [pool], existingNodes: existing });
    expect(scheduledCount(r)).toBe(1);
  });
});

describe("label keys", () => {
  it("spread matchLabelKeys splits the count per value of the pod's own label (revisions spread independently)", () => {
    const rev = (h: string, i: number) => pod({ name: `${h}-${i}`, labels: { ...app, "pod-template-hash": h }, topologySpreadConstraints: spreadOn(HOST, { matchLabelKeys: ["pod-template-hash"] }), affinity: undefined });
    const r = checked({ pods: [rev("a", 0), rev("a", 1), rev("b", 0), rev("b", 1)] });
    // Each revision needs 2 hosts; the two revisions may share them.
    for (const c of r.newNodeClaims) {
      const hashes = c.pods.map(p => p.metadata.labels!["pod-template-hash"]);
      expect(new Set(hashes).size).toBe(hashes.length);
    }
  });
  const tenantPod = (tenant: string, i: number, term: Partial<PodAffinityTerm>, kind: "podAffinity" | "podAntiAffinity"): Pod =>
    pod({ name: `${tenant}-${i}`, labels: { ...app, tenant }, affinity: { [kind]: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: { matchLabels: app }, ...term }] } } });
  it("anti-affinity mismatchLabelKeys keeps tenants apart but lets one tenant's pods share a node", () => {
    const ps = [0, 1].flatMap(i => [tenantPod("a", i, { mismatchLabelKeys: ["tenant"] }, "podAntiAffinity"), tenantPod("b", i, { mismatchLabelKeys: ["tenant"] }, "podAntiAffinity")]);
    const r = run({ pods: ps, options: { improve: false } });
    expect(r.unschedulable).toEqual([]);
    for (const c of r.newNodeClaims) expect(new Set(c.pods.map(p => p.metadata.labels!.tenant)).size).toBe(1);
    expect(r.newNodeClaims).toHaveLength(2);
  });
  it("affinity matchLabelKeys co-locates a pod only with its own tenant's pods", () => {
    const ps = [0, 1, 2].flatMap(i => [tenantPod("a", i, { matchLabelKeys: ["tenant"] }, "podAffinity"), tenantPod("b", i, { matchLabelKeys: ["tenant"] }, "podAffinity")]);
    const r = run({ pods: ps });
    expect(r.unschedulable).toEqual([]);
    const hostOf = (n: string) => r.newNodeClaims.find(c => c.pods.some(p => p.metadata.name === n))!.name;
    expect(new Set(["a-0", "a-1", "a-2"].map(hostOf)).size).toBe(1);
    expect(new Set(["b-0", "b-1", "b-2"].map(hostOf)).size).toBe(1);
  });
});

describe("namespaces of pod (anti-)affinity terms", () => {
  // The target is larger, so it is placed before the follower needs it.
  const target = (ns: string) => pod({ name: `target-${ns}`, ns, cpu: "1", labels: { security: "s2" } });
  const follower = (term: Partial<PodAffinityTerm>) => pod({ name: "follower", affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: { matchLabels: { security: "s2" } }, ...term }] } } });
  const hostOf = (r: ReturnType<typeof run>, n: string) => r.newNodeClaims.find(c => c.pods.some(p => p.metadata.name === n))?.name;

  it("an empty namespaceSelector selects pods in every namespace", () => {
    const r = run({ pods: [...pods(10, () => pod({ labels: app, topologySpreadConstraints: spreadOn(HOST) })), target("empty-ns-selector"), follower({ namespaceSelector: { matchLabels: {} } })] });
    expect(hostOf(r, "follower")).toBe(hostOf(r, "target-empty-ns-selector"));
  });
  it("without namespaces or a selector only the pod's own namespace counts", () => {
    const r = run({ pods: [target("other"), follower({})] });
    expect(r.unschedulable.map(u => u.pod.metadata.name)).toEqual(["follower"]);
  });
  it("a namespaceSelector matches the namespaces' labels", () => {
    const namespaces = [{ metadata: { name: "prod", labels: { env: "prod" } } }, { metadata: { name: "dev", labels: { env: "dev" } } }];
    const r = run({ pods: [target("prod"), follower({ namespaceSelector: { matchLabels: { env: "prod" } } })], namespaces });
    expect(hostOf(r, "follower")).toBe(hostOf(r, "target-prod"));
    const miss = run({ pods: [target("dev"), follower({ namespaceSelector: { matchLabels: { env: "prod" } } })], namespaces });
    expect(miss.unschedulable.map(u => u.pod.metadata.name)).toEqual(["follower"]);
  });
  it("a namespaceSelector on kubernetes.io/metadata.name works without Namespace objects", () => {
    const r = run({ pods: [target("payments"), follower({ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["payments"] }] } })] });
    expect(hostOf(r, "follower")).toBe(hostOf(r, "target-payments"));
  });
  it("namespaces and namespaceSelector select the union", () => {
    const namespaces = [{ metadata: { name: "a", labels: { env: "x" } } }, { metadata: { name: "b", labels: {} as Record<string, string> } }];
    const antiAll = (name: string, ns: string) => pod({ name, ns, labels: { security: "s2" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: { matchLabels: { security: "s2" } }, namespaces: ["b"], namespaceSelector: { matchLabels: { env: "x" } } }] } } });
    const r = run({ pods: [antiAll("in-a", "a"), antiAll("in-b", "b"), antiAll("in-c", "c")], namespaces, options: { improve: false } });
    expect(hostOf(r, "in-a")).not.toBe(hostOf(r, "in-b"));
  });
});
