import fc from "fast-check";
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { schedule } from "../../../src/scheduling/scheduler";
import type { DaemonSet, ExistingNode, NodePool, Pod, SchedulingInput } from "../../../src/scheduling/types";
import { checkPlan } from "./checker";

const families = new Set(["m5", "c5", "r5", "m6g", "c6g", "t3", "m5d"]);
const sizes = new Set(["large", "xlarge", "2xlarge", "4xlarge", "medium", "small"]);
const catalog = loadCatalog().filter(t => families.has(t.labels["karpenter.k8s.aws/instance-family"]!) && sizes.has(t.labels["karpenter.k8s.aws/instance-size"]!));
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];

const groupArb = fc.record({
  cpu: fc.constantFrom("50m", "250m", "500m", "1", "1500m", "3", "7"),
  memory: fc.constantFrom("64Mi", "512Mi", "1Gi", "4Gi", "14Gi"),
  count: fc.integer({ min: 1, max: 6 }),
  arch: fc.constantFrom(undefined, "amd64", "arm64"),
  zone: fc.constantFrom(undefined, undefined, "us-east-1a", "us-east-1b"),
  spread: fc.constantFrom(undefined, "topology.kubernetes.io/zone", "kubernetes.io/hostname"),
  maxSkew: fc.integer({ min: 1, max: 2 }),
  anti: fc.constantFrom(undefined, undefined, "kubernetes.io/hostname", "topology.kubernetes.io/zone"),
  hostPort: fc.constantFrom(undefined, undefined, 8080),
  affinity: fc.constantFrom(undefined, undefined, "kubernetes.io/hostname", "topology.kubernetes.io/zone"),
  tolerate: fc.boolean(),
  ct: fc.constantFrom(undefined, "on-demand"),
  init: fc.boolean(),
});

const poolArb = fc.record({
  archs: fc.constantFrom(["amd64"], ["arm64"], ["amd64", "arm64"]),
  cts: fc.constantFrom(["spot"], ["on-demand"], ["spot", "on-demand"]),
  taint: fc.boolean(),
  limitCpu: fc.constantFrom(undefined, undefined, "16", "64"),
  weight: fc.integer({ min: 1, max: 100 }),
  minValues: fc.constantFrom(undefined, 2),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function build(groups: Array<Record<string, any>>, pools: Array<Record<string, any>>, daemons: number, existing: number): SchedulingInput {
  const pods: Pod[] = [];
  groups.forEach((g, gi) => {
    const labels = { app: `g${gi}` };
    for (let i = 0; i < g.count; i++) {
      const p: Pod = { metadata: { name: `g${gi}-${i}`, namespace: "default", labels }, spec: { containers: [{ name: "c", resources: { requests: { cpu: g.cpu, memory: g.memory } } }] } };
      if (g.init) p.spec.initContainers = [{ name: "i", resources: { requests: { cpu: "2" } } }];
      const sel: Record<string, string> = {};
      if (g.arch) sel["kubernetes.io/arch"] = g.arch;
      if (g.zone) sel["topology.kubernetes.io/zone"] = g.zone;
      if (g.ct) sel["karpenter.sh/capacity-type"] = g.ct;
      if (Object.keys(sel).length) p.spec.nodeSelector = sel;
      if (g.spread) p.spec.topologySpreadConstraints = [{ maxSkew: g.maxSkew, topologyKey: g.spread, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: labels } }];
      if (g.anti) p.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: g.anti, labelSelector: { matchLabels: labels } }] } };
      if (g.affinity && !g.anti) p.spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: g.affinity, labelSelector: { matchLabels: labels } }] } };
      if (g.hostPort) p.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: g.hostPort }];
      if (g.tolerate) p.spec.tolerations = [{ key: "dedicated", operator: "Exists" }];
      pods.push(p);
    }
  });
  const nodePools: NodePool[] = pools.map((p, i) => ({
    metadata: { name: `pool${i}` },
    spec: {
      weight: p.weight,
      limits: p.limitCpu ? { cpu: p.limitCpu } : undefined,
      template: { spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        taints: p.taint ? [{ key: "dedicated", value: "x", effect: "NoSchedule" }] : undefined,
        requirements: [
          { key: "kubernetes.io/arch", operator: "In", values: p.archs },
          { key: "karpenter.sh/capacity-type", operator: "In", values: p.cts },
          { key: "topology.kubernetes.io/zone", operator: "In", values: ZONES },
          ...(p.minValues ? [{ key: "karpenter.k8s.aws/instance-family", operator: "Exists", minValues: p.minValues }] : []),
        ],
      } },
    },
  }));
  const daemonSets: DaemonSet[] = Array.from({ length: daemons }, (_, i) => ({ metadata: { name: `ds${i}`, namespace: "kube-system" }, spec: { template: { spec: { containers: [{ name: "d", resources: { requests: { cpu: "100m", memory: "128Mi" } } }] } } } }));
  const existingNodes: ExistingNode[] = Array.from({ length: existing }, (_, i) => ({
    node: { metadata: { name: `node${i}`, labels: { "kubernetes.io/hostname": `node${i}`, "topology.kubernetes.io/zone": ZONES[i % 3]!, "kubernetes.io/arch": "amd64", "karpenter.sh/capacity-type": "on-demand" } }, status: { allocatable: { cpu: "2", memory: "4Gi", pods: "10" } } },
    pods: [],
  }));
  return { pods, nodePools, instanceTypes: catalog, daemonSets, existingNodes };
}

describe("independent checker on randomized inputs", () => {
  it("every plan fits, satisfies requirements, taints, limits and topology (500 cases)", () => {
    fc.assert(
      fc.property(fc.array(groupArb, { minLength: 1, maxLength: 5 }), fc.array(poolArb, { minLength: 1, maxLength: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), (groups, pools, daemons, existing) => {
        const input = build(groups, pools, daemons, existing);
        const result = schedule(input);
        const errors = checkPlan(input, result, catalog);
        if (errors.length) throw new Error(errors.slice(0, 5).join("\n"));
      }),
      { numRuns: 500, seed: 20260723 },
    );
  });
  it("the checker catches an over-packed NodeClaim", () => {
    const input = build([{ cpu: "1", memory: "1Gi", count: 2 }], [{ archs: ["amd64"], cts: ["spot"], weight: 1 }], 0, 0);
    const result = schedule(input);
    const c = result.newNodeClaims[0]!;
    const tiny = catalog.find(t => t.name === "t3.small")!;
    const broken = { ...result, newNodeClaims: [{ ...c, instanceType: tiny.name, instanceTypeOptions: [tiny], pods: [...c.pods, ...c.pods.map(p => ({ ...p, metadata: { ...p.metadata, name: p.metadata.name + "x" } }))] }] };
    expect(checkPlan(input, broken, catalog).some(e => /allocatable/.test(e))).toBe(true);
  });
  it("the checker catches violated hostname anti-affinity", () => {
    const input = build([{ cpu: "100m", memory: "64Mi", count: 2, anti: "kubernetes.io/hostname" }], [{ archs: ["amd64"], cts: ["spot"], weight: 1 }], 0, 0);
    const result = schedule(input);
    expect(result.newNodeClaims).toHaveLength(2);
    const merged = { ...result, newNodeClaims: [{ ...result.newNodeClaims[0]!, pods: [...result.newNodeClaims[0]!.pods, ...result.newNodeClaims[1]!.pods] }] };
    expect(checkPlan(input, merged, catalog).some(e => /anti-affinity/.test(e))).toBe(true);
  });
});
