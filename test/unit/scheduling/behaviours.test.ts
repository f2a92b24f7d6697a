import { schedule } from "../../../src/scheduling/scheduler";
import { podRequests } from "../../../src/scheduling/pods";
import { nodeClaimFromPlan } from "../../../src/provisioning/nodeClaimFromPlan";
import type { Pod } from "../../../src/scheduling/types";
import { byName, catalog, claimOf, CT, daemonSet, IT, labelOf, node, nodePool, pod, pods, run, ZONE, zoneOf } from "./helpers";

const GiB = 2 ** 30;
const allTypes = (r: ReturnType<typeof run>) => r.newNodeClaims.flatMap(c => c.instanceTypeOptions);
const spread = (key: string, labels: Record<string, string>, maxSkew = 1, when = "DoNotSchedule", minDomains?: number) =>
  [{ maxSkew, topologyKey: key, whenUnsatisfiable: when, labelSelector: { matchLabels: labels }, minDomains }];
const nodeAff = (key: string, operator: string, values?: string[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, values }] }] } } });

describe("resources", () => {
  it("a single small pod gets one NodeClaim whose cheapest option fits it", () => {
    const r = run({ pods: [pod({ cpu: "1", memory: "1Gi" })] });
    expect(r.newNodeClaims).toHaveLength(1);
    const c = r.newNodeClaims[0]!;
    expect(byName.get(c.instanceType)!.allocatable.cpu).toBeGreaterThanOrEqual(1000);
  });
  it("init containers: requests are the max of the largest init container and the sum of app containers", () => {
    const p = pod({ cpu: "1" });
    p.spec.initContainers = [{ name: "i", resources: { requests: { cpu: "3" } } }];
    expect(podRequests(p).cpu).toBe(3000);
    const r = run({ pods: [p] });
    expect(byName.get(r.newNodeClaims[0]!.instanceType)!.allocatable.cpu).toBeGreaterThanOrEqual(3000);
  });
  it("sidecar init containers (restartPolicy Always) add to app containers", () => {
    const p = pod({ cpu: "1" });
    p.spec.initContainers = [{ name: "s", restartPolicy: "Always", resources: { requests: { cpu: "500m" } } }, { name: "i", resources: { requests: { cpu: "1" } } }];
    expect(podRequests(p).cpu).toBe(1500);
  });
  it("pod overhead is added to requests", () => {
    const p = pod({ cpu: "1", overhead: { cpu: "250m" } });
    expect(podRequests(p).cpu).toBe(1250);
  });
  it("multiple containers sum their requests", () => {
    const p = pod({ cpu: "1" });
    p.spec.containers.push({ name: "b", resources: { requests: { cpu: "2", memory: "1Gi" } } });
    expect(podRequests(p)).toMatchObject({ cpu: 3000, memory: GiB, pods: 1 });
  });
  it("a pod larger than every instance type is unschedulable with the largest type named", () => {
    const r = run({ pods: [pod({ cpu: "1000" })] });
    expect(r.newNodeClaims).toHaveLength(0);
    expect(r.unschedulable[0]!.reason).toMatch(/no instance type has enough allocatable.*largest compatible/);
  });
  it("pods are packed onto a shared NodeClaim instead of one node each (first-fit-decreasing)", () => {
    const r = run({ pods: pods(10, () => pod({ cpu: "500m" })), options: { improve: false } });
    expect(r.newNodeClaims).toHaveLength(1);
    expect(r.newNodeClaims[0]!.pods).toHaveLength(10);
  });
  it("splitting a NodeClaim is kept only when it lowers the fleet price", () => {
    const ps = pods(10, () => pod({ cpu: "500m" }));
    const ffd = run({ pods: ps, options: { improve: false } });
    const r = run({ pods: ps });
    expect(r.newNodeClaims.length).toBeLessThan(10);
    expect(r.totalPricePerHour).toBeLessThanOrEqual(ffd.totalPricePerHour);
    expect(r.newNodeClaims.flatMap(c => c.pods)).toHaveLength(10);
  });
  it("max-pods limits how many pods share a node", () => {
    const r = run({ pods: pods(40, () => pod({ cpu: "10m" })), nodePools: [nodePool("default", { requirements: [{ key: IT, operator: "In", values: ["t3.small"] }] })] });
    const maxPods = byName.get("t3.small")!.allocatable.pods!;
    expect(r.newNodeClaims.length).toBe(Math.ceil(40 / maxPods));
    for (const c of r.newNodeClaims) expect(c.pods.length).toBeLessThanOrEqual(maxPods);
  });
  it("extended resources (nvidia.com/gpu) select GPU instance types", () => {
    const r = run({ pods: [pod({ cpu: "1", extra: { "nvidia.com/gpu": "1" } })] });
    expect(r.newNodeClaims[0]!.instanceTypeOptions.every(t => (t.allocatable["nvidia.com/gpu"] ?? 0) >= 1)).toBe(true);
  });
  it("an extended resource no instance type offers is unschedulable", () => {
    const r = run({ pods: [pod({ extra: { "example.com/widget": "1" } })] });
    expect(r.unschedulable).toHaveLength(1);
  });
  it("memory-heavy pods choose memory-optimised capacity", () => {
    const r = run({ pods: [pod({ cpu: "1", memory: "60Gi" })] });
    expect(byName.get(r.newNodeClaims[0]!.instanceType)!.allocatable.memory).toBeGreaterThanOrEqual(60 * GiB);
  });
  it("requests include daemonset overhead and pods count", () => {
    const r = run({ pods: [pod({ cpu: "1" })], daemonSets: [daemonSet("agent", "200m", "128Mi")] });
    expect(r.newNodeClaims[0]!.requests.cpu).toBe(1200);
    expect(r.newNodeClaims[0]!.requests.pods).toBe(2);
  });
});

describe("requirements and node selection", () => {
  it("nodeSelector on instance-type pins the type", () => {
    const r = run({ pods: [pod({ nodeSelector: { [IT]: "m5.xlarge" } })] });
    expect(r.newNodeClaims[0]!.instanceTypeOptions.map(t => t.name)).toEqual(["m5.xlarge"]);
  });
  it("nodeSelector on zone pins the NodeClaim zone", () => {
    const r = run({ pods: [pod({ name: "z", nodeSelector: { [ZONE]: "us-east-1c" } })] });
    expect(zoneOf(r, "z")).toBe("us-east-1c");
  });
  it("Gt on instance-cpu excludes 4-vCPU types", () => {
    const r = run({ pods: [pod({ affinity: nodeAff("karpenter.k8s.aws/instance-cpu", "Gt", ["4"]) })] });
    expect(allTypes(r).every(t => Number(t.labels["karpenter.k8s.aws/instance-cpu"]) > 4)).toBe(true);
  });
  it("Lt on instance-memory keeps only small types", () => {
    const r = run({ pods: [pod({ affinity: nodeAff("karpenter.k8s.aws/instance-memory", "Lt", ["4096"]) })] });
    expect(allTypes(r).every(t => Number(t.labels["karpenter.k8s.aws/instance-memory"]) < 4096)).toBe(true);
  });
  it("Gte and Lte on NodePool requirements are inclusive", () => {
    const np = nodePool("default", { requirements: [{ key: "karpenter.k8s.aws/instance-cpu", operator: "Gte", values: ["8"] }, { key: "karpenter.k8s.aws/instance-cpu", operator: "Lte", values: ["8"] }] });
    const r = run({ pods: [pod()], nodePools: [np] });
    expect(new Set(allTypes(r).map(t => t.labels["karpenter.k8s.aws/instance-cpu"]))).toEqual(new Set(["8"]));
  });
  it("NotIn excludes instance families", () => {
    const r = run({ pods: [pod({ affinity: nodeAff("karpenter.k8s.aws/instance-family", "NotIn", ["t3", "t3a", "c6a", "m6a"]) })] });
    expect(allTypes(r).some(t => ["t3", "t3a", "c6a", "m6a"].includes(t.labels["karpenter.k8s.aws/instance-family"]!))).toBe(false);
  });
  it("Exists on gpu-name selects only GPU types", () => {
    const r = run({ pods: [pod({ affinity: nodeAff("karpenter.k8s.aws/instance-gpu-name", "Exists") })] });
    expect(allTypes(r).every(t => t.labels["karpenter.k8s.aws/instance-gpu-name"] !== undefined)).toBe(true);
  });
  it("DoesNotExist on gpu-name excludes GPU types", () => {
    const r = run({ pods: [pod({ affinity: nodeAff("karpenter.k8s.aws/instance-gpu-name", "DoesNotExist") })] });
    expect(allTypes(r).every(t => t.labels["karpenter.k8s.aws/instance-gpu-name"] === undefined)).toBe(true);
  });
  it("arch arm64 selector picks Graviton types from a pool allowing both", () => {
    const np = nodePool("default", { requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64"] }] });
    const r = run({ pods: [pod({ nodeSelector: { "kubernetes.io/arch": "arm64" } })], nodePools: [np] });
    expect(allTypes(r).every(t => t.labels["kubernetes.io/arch"] === "arm64")).toBe(true);
  });
  it("a pod requiring an arch the NodePool excludes is unschedulable with the key in the reason", () => {
    const r = run({ pods: [pod({ nodeSelector: { "kubernetes.io/arch": "arm64" } })] });
    expect(r.unschedulable[0]!.reason).toMatch(/kubernetes.io\/arch/);
  });
  it("a custom label no NodePool defines makes the pod unschedulable", () => {
    const r = run({ pods: [pod({ nodeSelector: { team: "a" } })] });
    expect(r.unschedulable[0]!.reason).toMatch(/label "team" does not have known values/);
  });
  it("a custom label defined in NodePool template labels is schedulable and lands in node labels", () => {
    const r = run({ pods: [pod({ nodeSelector: { team: "a" } })], nodePools: [nodePool("default", { labels: { team: "a" } })] });
    expect(r.newNodeClaims[0]!.labels.team).toBe("a");
  });
  it("a custom label with In values in NodePool requirements narrows to the pod's value", () => {
    const np = nodePool("default", { requirements: [{ key: "team", operator: "In", values: ["a", "b"] }] });
    const r = run({ pods: [pod({ nodeSelector: { team: "b" } })], nodePools: [np] });
    expect(r.newNodeClaims[0]!.labels.team).toBe("b");
  });
  it("deprecated zone label alias is honoured", () => {
    const r = run({ pods: [pod({ name: "alias", nodeSelector: { "failure-domain.beta.kubernetes.io/zone": "us-east-1b" } })] });
    expect(zoneOf(r, "alias")).toBe("us-east-1b");
  });
  it("capacity-type on-demand from the pod wins over a spot+on-demand pool", () => {
    const np = nodePool("default", { requirements: [{ key: CT, operator: "In", values: ["spot", "on-demand"] }] });
    const r = run({ pods: [pod({ nodeSelector: { [CT]: "on-demand" } })], nodePools: [np] });
    expect(r.newNodeClaims[0]!.capacityType).toBe("on-demand");
  });
  it("spot is preferred when the NodePool allows spot and on-demand", () => {
    const np = nodePool("default", { requirements: [{ key: CT, operator: "In", values: ["spot", "on-demand"] }] });
    expect(run({ pods: [pod()], nodePools: [np] }).newNodeClaims[0]!.capacityType).toBe("spot");
  });
  it("the NodeClaim requirements include the instance-type options", () => {
    const r = run({ pods: [pod()] });
    const req = r.newNodeClaims[0]!.requirements.find(q => q.key === IT)!;
    expect(req.operator).toBe("In");
    expect(req.values).toEqual(r.newNodeClaims[0]!.instanceTypeOptions.map(t => t.name).sort());
  });
  it("unavailable offerings (ICE) are not used", () => {
    const np = nodePool("default", { requirements: [{ key: IT, operator: "In", values: ["m5.large"] }] });
    const iced = catalog.map(t => t.name === "m5.large" ? { ...t, offerings: t.offerings.map(o => ({ ...o, available: o.zone === "us-east-1d" })) } : t);
    const r = schedule({ pods: [pod({ name: "ice" })], nodePools: [np], instanceTypes: iced });
    const cl = claimOf(r, "ice")!;
    expect(cl.instanceType).toBe("m5.large");
    expect(byName.get("m5.large")!.offerings.filter(o => o.available).length).toBeGreaterThan(2);
    expect(r.newNodeClaims[0]!.pricePerHour).toBeGreaterThan(0);
  });
  it("a type with no available offering is never an option", () => {
    const iced = catalog.map(t => t.name === "m5.large" ? { ...t, offerings: t.offerings.map(o => ({ ...o, available: false })) } : t);
    const np = nodePool("default", { requirements: [{ key: IT, operator: "In", values: ["m5.large"] }] });
    const r = schedule({ pods: [pod()], nodePools: [np], instanceTypes: iced });
    expect(r.unschedulable).toHaveLength(1);
  });
});

describe("node affinity preferences", () => {
  it("required node affinity with OR'd terms falls back to the second term", () => {
    const p = pod({ name: "or", affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["arm64"] }] },
      { matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1d"] }] }] } } } });
    const r = run({ pods: [p] });
    expect(zoneOf(r, "or")).toBe("us-east-1d");
  });
  it("preferred node affinity is honoured when satisfiable", () => {
    const p = pod({ name: "pref", affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1f"] }] } }] } } });
    expect(zoneOf(run({ pods: [p] }), "pref")).toBe("us-east-1f");
  });
  it("preferred affinity relaxed when unsatisfiable", () => {
    const p = pod({ name: "relax", affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["arm64"] }] } }] } } });
    const r = run({ pods: [p] });
    expect(r.unschedulable).toHaveLength(0);
    expect(claimOf(r, "relax")).toBeDefined();
  });
  it("the heaviest preferred node affinity term is tried first", () => {
    const p = pod({ name: "heavy", affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1a"] }] } },
      { weight: 50, preference: { matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1c"] }] } }] } } });
    expect(zoneOf(run({ pods: [p] }), "heavy")).toBe("us-east-1c");
  });
  it("Ignore preference policy drops preferences up front", () => {
    const p = pod({ name: "ign", affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1f"] }] } }] } } });
    const r = run({ pods: [p], options: { preferencePolicy: "Ignore" } });
    expect(zoneOf(r, "ign")).toBeUndefined();
  });
});

describe("taints and tolerations", () => {
  const tainted = nodePool("gpu", { taints: [{ key: "gpu", value: "true", effect: "NoSchedule" }] });
  it("a pod without toleration cannot use a tainted NodePool", () => {
    const r = run({ pods: [pod()], nodePools: [tainted] });
    expect(r.unschedulable[0]!.reason).toMatch(/does not tolerate taint gpu=true:NoSchedule/);
  });
  it("a pod with a matching toleration uses the tainted NodePool", () => {
    const r = run({ pods: [pod({ tolerations: [{ key: "gpu", operator: "Equal", value: "true", effect: "NoSchedule" }] })], nodePools: [tainted] });
    expect(r.newNodeClaims[0]!.taints).toEqual([{ key: "gpu", value: "true", effect: "NoSchedule" }]);
  });
  it("an Exists toleration with no key tolerates everything", () => {
    const r = run({ pods: [pod({ tolerations: [{ operator: "Exists" }] })], nodePools: [tainted] });
    expect(r.unschedulable).toHaveLength(0);
  });
  it("startupTaints need not be tolerated", () => {
    const np = nodePool("default", { startupTaints: [{ key: "cilium", value: "init", effect: "NoExecute" }] });
    const r = run({ pods: [pod()], nodePools: [np] });
    expect(r.unschedulable).toHaveLength(0);
    expect(r.newNodeClaims[0]!.startupTaints).toHaveLength(1);
  });
  it("untolerated pods fall through to an untainted NodePool", () => {
    const r = run({ pods: [pod()], nodePools: [{ ...tainted, spec: { ...tainted.spec, weight: 50 } }, nodePool("general")] });
    expect(r.newNodeClaims[0]!.nodePool).toBe("general");
  });
  it("PreferNoSchedule taints are tolerated after relaxation", () => {
    const np = nodePool("soft", { taints: [{ key: "soft", effect: "PreferNoSchedule" }] });
    const r = run({ pods: [pod()], nodePools: [np] });
    expect(r.unschedulable).toHaveLength(0);
  });
  it("existing node taints are respected", () => {
    const n = node("n1", { [ZONE]: "us-east-1a" }, { cpu: "4", memory: "8Gi", pods: "50" }, [], { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] });
    const r = run({ pods: [pod()], existingNodes: [n] });
    expect(r.existingNodes).toHaveLength(0);
    expect(r.newNodeClaims).toHaveLength(1);
  });
  it("daemonsets that do not tolerate NodePool taints add no overhead", () => {
    const r = run({ pods: [pod({ cpu: "1", tolerations: [{ operator: "Exists" }] })], nodePools: [tainted], daemonSets: [daemonSet("agent", "500m", "1Gi")] });
    expect(r.newNodeClaims[0]!.requests.cpu).toBe(1000);
  });
});

describe("NodePools: weight, limits, static", () => {
  it("higher weight NodePool is tried first", () => {
    const r = run({ pods: [pod()], nodePools: [nodePool("low", { weight: 1 }), nodePool("high", { weight: 90 })] });
    expect(r.newNodeClaims[0]!.nodePool).toBe("high");
  });
  it("falls back to a lower weight NodePool when the higher cannot satisfy the pod", () => {
    const high = nodePool("high", { weight: 90, requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["arm64"] }] });
    const r = run({ pods: [pod({ nodeSelector: { "kubernetes.io/arch": "amd64" } })], nodePools: [high, nodePool("low", { weight: 1 })] });
    expect(r.newNodeClaims[0]!.nodePool).toBe("low");
  });
  it("NodePool limits stop launches", () => {
    const np = nodePool("default", { limits: { cpu: "4" } });
    const r = run({ pods: pods(6, () => pod({ cpu: "1500m" })), nodePools: [np] });
    const cpu = r.newNodeClaims.reduce((s, c) => s + c.instanceTypeOptions.reduce((m, t) => Math.max(m, t.capacity.cpu!), 0), 0);
    expect(cpu).toBeLessThanOrEqual(4000);
    expect(r.unschedulable.length).toBeGreaterThan(0);
    expect(r.unschedulable[0]!.reason).toMatch(/limits/);
  });
  it("NodePool limits count existing nodes of the pool", () => {
    const np = nodePool("default", { limits: { cpu: "8" } });
    const n = node("full", { "karpenter.sh/nodepool": "default" }, { cpu: "8", memory: "16Gi", pods: "10" }, [pod({ cpu: "8" })]);
    const r = run({ pods: [pod()], nodePools: [np], existingNodes: [n] });
    expect(r.newNodeClaims).toHaveLength(0);
    expect(r.unschedulable[0]!.reason).toMatch(/limits/);
  });
  it("the limits message reports only the resources the NodePool limits, never a negative remainder", () => {
    const np = nodePool("default", { limits: { cpu: "8" } });
    const n = node("full", { "karpenter.sh/nodepool": "default" }, { cpu: "8", memory: "16Gi", pods: "10" }, [pod({ cpu: "8" })]);
    const r = run({ pods: [pod()], nodePools: [np], existingNodes: [n] });
    expect(r.unschedulable[0]!.reason).toMatch(/remaining cpu=0\)/);
    expect(r.unschedulable[0]!.reason).not.toMatch(/memory=|pods=|-\d/);
  });
  it("NodePool limits count in-flight NodeClaims", () => {
    const np = nodePool("default", { limits: { cpu: "4" } });
    const inflight = { nodeClaim: { metadata: { name: "nc-1", labels: { "karpenter.sh/nodepool": "default", [IT]: "m5.xlarge" } }, spec: { requirements: [{ key: IT, operator: "In", values: ["m5.xlarge"] }] }, status: { capacity: { cpu: "4", memory: "16Gi", pods: "58" }, allocatable: { cpu: "100m", memory: "1Gi", pods: "58" } } } };
    const r = run({ pods: [pod({ cpu: "1" })], nodePools: [np], inFlightNodeClaims: [inflight] });
    expect(r.newNodeClaims).toHaveLength(0);
  });
  it("limits on nodes cap the number of NodeClaims", () => {
    const np = nodePool("default", { limits: { nodes: "2" }, requirements: [{ key: IT, operator: "In", values: ["m5.large"] }] });
    const r = run({ pods: pods(3, () => pod({ cpu: "1500m" })), nodePools: [np] });
    expect(r.newNodeClaims).toHaveLength(2);
    expect(r.unschedulable).toHaveLength(1);
  });
  it("static NodePools (spec.replicas) are not scheduled into", () => {
    const r = run({ pods: [pod()], nodePools: [nodePool("static", { replicas: 3 })] });
    expect(r.newNodeClaims).toHaveLength(0);
    expect(r.unschedulable[0]!.reason).toMatch(/static/);
  });
  it("memory limits exclude instance types larger than the remaining memory", () => {
    const np = nodePool("default", { limits: { memory: "8Gi" } });
    const r = run({ pods: [pod()], nodePools: [np] });
    expect(allTypes(r).every(t => t.capacity.memory! <= 8 * GiB)).toBe(true);
  });
});

describe("existing capacity", () => {
  const big = () => node("n1", { [ZONE]: "us-east-1a", [CT]: "on-demand", "kubernetes.io/arch": "amd64" }, { cpu: "4", memory: "16Gi", pods: "20" });
  it("existing capacity is used before new nodes", () => {
    const r = run({ pods: [pod({ name: "e" })], existingNodes: [big()] });
    expect(r.newNodeClaims).toHaveLength(0);
    expect(r.existingNodes[0]!.pods.map(p => p.metadata.name)).toEqual(["e"]);
  });
  it("bound pods consume existing capacity", () => {
    const n = big(); n.pods.push(pod({ cpu: "3900m" }));
    const r = run({ pods: [pod({ cpu: "500m" })], existingNodes: [n] });
    expect(r.newNodeClaims).toHaveLength(1);
  });
  it("existing nodes must match the pod's node selector", () => {
    const r = run({ pods: [pod({ nodeSelector: { [ZONE]: "us-east-1b" } })], existingNodes: [big()] });
    expect(r.existingNodes).toHaveLength(0);
  });
  it("nodes marked for deletion take no pods", () => {
    const n = { ...big(), markedForDeletion: true };
    const r = run({ pods: [pod()], existingNodes: [n] });
    expect(r.existingNodes).toHaveLength(0);
    expect(r.newNodeClaims).toHaveLength(1);
  });
  it("cordoned nodes take no pods", () => {
    const n = big(); n.node.spec = { unschedulable: true };
    expect(run({ pods: [pod()], existingNodes: [n] }).existingNodes).toHaveLength(0);
  });
  it("in-flight NodeClaims are used before launching new ones", () => {
    const inflight = { nodeClaim: { metadata: { name: "nc-1", labels: { "karpenter.sh/nodepool": "default" } }, spec: { requirements: [{ key: IT, operator: "In", values: ["m5.xlarge"] }, { key: ZONE, operator: "In", values: ["us-east-1a"] }] } } };
    const r = run({ pods: [pod({ cpu: "1" })], inFlightNodeClaims: [inflight] });
    expect(r.newNodeClaims).toHaveLength(0);
    expect(r.existingNodes[0]!).toMatchObject({ name: "nc-1", kind: "NodeClaim" });
  });
  it("existing capacity fills before the remainder overflows to a new NodeClaim", () => {
    const r = run({ pods: pods(6, () => pod({ cpu: "1" })), existingNodes: [big()] });
    expect(r.existingNodes[0]!.pods.length).toBe(4);
    expect(r.newNodeClaims.flatMap(c => c.pods)).toHaveLength(2);
  });
});

describe("host ports", () => {
  const hp = (name: string) => pod({ name, containers: [{ name: "c", resources: { requests: { cpu: "100m" } }, ports: [{ containerPort: 80, hostPort: 8080 }] }] });
  it("pods with the same host port land on different nodes", () => {
    const r = run({ pods: [hp("a"), hp("b")] });
    expect(r.newNodeClaims).toHaveLength(2);
  });
  it("different host ports can share a node", () => {
    const b = hp("b"); b.spec.containers[0]!.ports![0]!.hostPort = 9090;
    expect(run({ pods: [hp("a"), b] }).newNodeClaims).toHaveLength(1);
  });
  it("different protocols on the same host port can share a node", () => {
    const b = hp("b"); b.spec.containers[0]!.ports![0]!.protocol = "UDP";
    expect(run({ pods: [hp("a"), b] }).newNodeClaims).toHaveLength(1);
  });
  it("host ports of daemonsets block the same port on new nodes", () => {
    const ds = daemonSet("proxy", "10m", "10Mi", { containers: [{ name: "p", resources: { requests: { cpu: "10m" } }, ports: [{ hostPort: 8080 }] }] });
    const r = run({ pods: [hp("a")], daemonSets: [ds] });
    expect(r.unschedulable).toHaveLength(1);
  });
  it("an existing node's bound pod host port blocks a new pod with the same port", () => {
    const n = node("n1", { [ZONE]: "us-east-1a" }, { cpu: "4", memory: "8Gi", pods: "20" }, [hp("bound")]);
    const r = run({ pods: [hp("new")], existingNodes: [n] });
    expect(r.existingNodes).toHaveLength(0);
  });
});

describe("daemonsets", () => {
  it("daemonset overhead counted", () => {
    const r = run({ pods: [pod({ cpu: "1" })], daemonSets: [daemonSet("a", "300m", "256Mi"), daemonSet("b", "200m", "256Mi")] });
    const c = r.newNodeClaims[0]!;
    expect(c.daemonOverhead.cpu).toBe(500);
    expect(byName.get(c.instanceType)!.allocatable.cpu).toBeGreaterThanOrEqual(1500);
  });
  it("daemonsets with incompatible nodeSelector add no overhead", () => {
    const r = run({ pods: [pod({ cpu: "1" })], daemonSets: [daemonSet("arm", "1", "1Gi", { nodeSelector: { "kubernetes.io/arch": "arm64" } })] });
    expect(r.newNodeClaims[0]!.requests.cpu).toBe(1000);
  });
  it("daemonset pods in the pending list are not scheduled as workloads", () => {
    const p = pod(); p.metadata.ownerReferences = [{ kind: "DaemonSet", name: "x" }];
    expect(run({ pods: [p] }).newNodeClaims).toHaveLength(0);
  });
});

describe("instance type options and cost", () => {
  it("at most 60 instance-type options, cheapest first", () => {
    const r = run({ pods: [pod()] });
    const c = r.newNodeClaims[0]!;
    expect(c.instanceTypeOptions.length).toBeLessThanOrEqual(60);
    const prices = c.instanceTypeOptions.map(t => Math.min(...t.offerings.filter(o => o.available && o.capacityType === c.capacityType).map(o => o.price)));
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(c.instanceType).toBe(c.instanceTypeOptions[0]!.name);
  });
  it("maxInstanceTypes option truncates the options", () => {
    expect(run({ pods: [pod()], options: { maxInstanceTypes: 5 } }).newNodeClaims[0]!.instanceTypeOptions).toHaveLength(5);
  });
  it("minValues keeps enough distinct families among options", () => {
    const np = nodePool("default", { requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "Exists", minValues: 20 }] });
    const r = run({ pods: [pod()], nodePools: [np], options: { maxInstanceTypes: 10 } });
    const fams = new Set(r.newNodeClaims[0]!.instanceTypeOptions.map(t => t.labels["karpenter.k8s.aws/instance-family"]));
    expect(fams.size).toBeGreaterThanOrEqual(20);
  });
  it("minValues that cannot be met leaves the pod unschedulable under Strict policy", () => {
    const np = nodePool("default", { requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5", "c5"], minValues: 2 }] });
    const r = run({ pods: [pod({ nodeSelector: { "karpenter.k8s.aws/instance-family": "m5" } })], nodePools: [np] });
    expect(r.unschedulable[0]!.reason).toMatch(/minValues/);
  });
  it("minValues BestEffort policy schedules anyway", () => {
    const np = nodePool("default", { requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5", "c5"], minValues: 2 }] });
    const r = run({ pods: [pod({ nodeSelector: { "karpenter.k8s.aws/instance-family": "m5" } })], nodePools: [np], options: { minValuesPolicy: "BestEffort" } });
    expect(r.unschedulable).toHaveLength(0);
  });
  it("total price is the sum of NodeClaim prices", () => {
    const r = run({ pods: pods(30, () => pod({ cpu: "2" })) });
    expect(r.totalPricePerHour).toBeCloseTo(r.newNodeClaims.reduce((s, c) => s + c.pricePerHour, 0), 6);
  });
  it("the chosen type is the cheapest that fits all the NodeClaim's pods", () => {
    const r = run({ pods: pods(8, () => pod({ cpu: "1" })) });
    const c = r.newNodeClaims[0]!;
    const cheaper = catalog.filter(t => t.labels["kubernetes.io/arch"] === "amd64" && t.allocatable.cpu! >= c.requests.cpu! && t.allocatable.memory! >= (c.requests.memory ?? 0) && t.allocatable.pods! >= c.requests.pods!
      && t.offerings.some(o => o.available && o.capacityType === c.capacityType && o.price < c.pricePerHour - 1e-9));
    expect(cheaper.map(t => t.name)).toEqual([]);
  });
  it("cost improvement empties a nearly idle NodeClaim into others when cheaper", () => {
    const np = nodePool("default", { requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5"] }] });
    const ps = [...pods(3, () => pod({ cpu: "3" })), pod({ cpu: "100m" })];
    const withImp = run({ pods: ps, nodePools: [np] });
    const without = run({ pods: ps, nodePools: [np], options: { improve: false } });
    expect(withImp.totalPricePerHour).toBeLessThanOrEqual(without.totalPricePerHour);
  });
  it("NodeOverlay price adjustment changes which type is cheapest", () => {
    const base = run({ pods: [pod()] }).newNodeClaims[0]!.instanceType;
    const overlay = { metadata: { name: "discount" }, spec: { requirements: [{ key: IT, operator: "In", values: ["m5.large"] }], price: "0.0001" } };
    const r = run({ pods: [pod()], nodeOverlays: [overlay] });
    expect(base).not.toBe("m5.large");
    expect(r.newNodeClaims[0]!.instanceType).toBe("m5.large");
  });
  it("NodeOverlay capacity adds an extended resource to matching types", () => {
    const overlay = { metadata: { name: "hp" }, spec: { requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5"] }], capacity: { "example.com/widget": "4" } } };
    const r = run({ pods: [pod({ extra: { "example.com/widget": "2" } })], nodeOverlays: [overlay] });
    expect(labelOf(r.newNodeClaims[0]!.instanceType, "karpenter.k8s.aws/instance-family")).toBe("m5");
  });
  it("is deterministic for the same input", () => {
    const mk = () => pods(50, i => pod({ name: `d${i}`, cpu: `${100 + i * 37}m`, memory: `${64 + i * 11}Mi`, labels: { app: `a${i % 3}` }, topologySpreadConstraints: spread(ZONE, { app: `a${i % 3}` }) }));
    const a = run({ pods: mk() });
    const b = run({ pods: mk() });
    expect(JSON.stringify(a.newNodeClaims.map(c => [c.instanceType, c.zone, c.pods.map(p => p.metadata.name)]))).toEqual(JSON.stringify(b.newNodeClaims.map(c => [c.instanceType, c.zone, c.pods.map(p => p.metadata.name)])));
  });
  it("larger pods are placed first (cpu then memory descending)", () => {
    const r = run({ pods: [pod({ name: "small", cpu: "100m" }), pod({ name: "large", cpu: "3" })] });
    expect(r.newNodeClaims[0]!.pods[0]!.metadata.name).toBe("large");
  });
  it("pods already bound (spec.nodeName) are not rescheduled", () => {
    const p: Pod = pod(); p.spec.nodeName = "somewhere";
    expect(run({ pods: [p] }).newNodeClaims).toHaveLength(0);
  });
});

describe("robustness and outputs", () => {
  it("a pod with a malformed quantity is unschedulable with the field named, others still schedule", () => {
    const bad = pod({ name: "bad", cpu: "lots" });
    const r = run({ pods: [bad, pod({ name: "good" })] });
    expect(r.unschedulable.map(u => u.key)).toEqual(["default/bad"]);
    expect(r.unschedulable[0]!.reason).toMatch(/containers\[0\]\.resources\.requests\.cpu/);
    expect(claimOf(r, "good")).toBeDefined();
  });
  it("a planned NodeClaim becomes a karpenter.sh/v1 NodeClaim manifest with requests and instance-type requirement", () => {
    const np = nodePool("default", { taints: [{ key: "t", effect: "NoSchedule" }] });
    const r = run({ pods: [pod({ cpu: "1", tolerations: [{ key: "t", operator: "Exists" }] })], nodePools: [np] });
    const m = nodeClaimFromPlan(r.newNodeClaims[0]!, np as never, "default-abcde");
    expect(m.apiVersion).toBe("karpenter.sh/v1");
    expect(m.metadata.labels!["karpenter.sh/nodepool"]).toBe("default");
    expect((m.spec.resources as { requests: Record<string, string> }).requests.cpu).toBe("1");
    expect((m.spec.requirements as Array<{ key: string }>).some(q => q.key === IT)).toBe(true);
    expect(m.spec.taints).toEqual([{ key: "t", effect: "NoSchedule" }]);
  });
});

describe("limits with cost improvement", () => {
  it("splitting a NodeClaim never exceeds NodePool limits", () => {
    const np = nodePool("default", { limits: { cpu: "50" }, requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] }] });
    const r = run({ pods: pods(10, () => pod({ cpu: "500m" })), nodePools: [np], options: { maxInstanceTypes: 5000 } });
    const maxCpu = r.newNodeClaims.reduce((s, c) => s + Math.max(...c.instanceTypeOptions.map(t => t.capacity.cpu!)), 0);
    expect(r.newNodeClaims.length).toBe(2); // split happened
    expect(maxCpu).toBeLessThanOrEqual(50000);
    expect(r.unschedulable).toHaveLength(0);
  });
});
