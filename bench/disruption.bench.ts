// One disruption pass over 500 nodes / 5,000 pods with the real scheduler and catalog (target < 1 s).
// Fleet: 500 on-demand m5.xlarge nodes, each half full (10 pods x 200m/1Gi), so multi-node consolidation
// has real work: binary search over 100 candidates, each probe a full schedule() of up to 1,000 pods.
import { loadCatalog } from "../src/cloudprovider/aws/catalog";
import { computeCommand } from "../src/disruption/disruptionController";
import { singleNodeConsolidation } from "../src/disruption/methods/singleNodeConsolidation";
import { schedulerSimulator } from "../src/disruption/schedulerSimulator";
import type { ClusterSnapshot, NodeInfo, NodePoolLike, PodInfo } from "../src/disruption/types";
import { schedule } from "../src/scheduling/scheduler";
import type { Node, Pod } from "../src/scheduling/types";
import { pairObjects } from "../src/kube/stateNodes";
import type { KubeObject } from "../src/kube/client";

const NODES = 500;
const PODS_PER_NODE = 10;
const NOW = new Date("2026-03-02T10:00:00Z");

export function fleet(podCpu = "200m"): { snapshot: ClusterSnapshot; nodePool: NodePoolLike } {
  const catalog = loadCatalog();
  const type = catalog.find(t => t.name === "m5.xlarge")!;
  const od = type.offerings.find(o => o.capacityType === "on-demand")!;
  const nodePool: NodePoolLike = {
    metadata: { name: "default" },
    spec: {
      template: { spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }, { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] }] } },
      disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "0s", budgets: [{ nodes: "20%" }] },
    },
  };
  const nodes: NodeInfo[] = [];
  for (let i = 0; i < NODES; i++) {
    const name = `node-${String(i).padStart(3, "0")}`;
    const labels = { ...type.labels, "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": "on-demand", "topology.kubernetes.io/zone": od.zone, "node.kubernetes.io/instance-type": type.name, "kubernetes.io/hostname": name };
    const node: Node = { metadata: { name, labels }, status: { allocatable: Object.fromEntries(Object.entries(type.allocatable).map(([k, v]) => [k, k === "cpu" ? `${v}m` : String(v)])) } };
    const pods: PodInfo[] = [];
    for (let j = 0; j < PODS_PER_NODE; j++) {
      const podName = `app-${i}-${j}`;
      const raw: Pod = {
        metadata: { name: podName, namespace: "default", uid: `u-${i}-${j}`, labels: { app: `app-${j}` }, ownerReferences: [{ kind: "ReplicaSet", name: `app-${j}`, controller: true }] },
        spec: { nodeName: name, containers: [{ name: "c", resources: { requests: { cpu: podCpu, memory: "1Gi" } } }] },
        status: { phase: "Running" },
      };
      pods.push({ namespace: "default", name: podName, uid: `u-${i}-${j}`, ownerKind: "ReplicaSet", phase: "Running", pod: raw });
    }
    nodes.push({
      name, nodeClaimName: `nc-${name}`, nodePoolName: "default", labels, instanceType: type.name, capacityType: "on-demand", zone: od.zone,
      pricePerHour: od.price, createdAt: new Date(NOW.getTime() - 86_400_000), lastPodEventTime: new Date(NOW.getTime() - 3_600_000),
      conditions: [{ type: "Initialized", status: "True" }], markedForDeletion: false, pods, stateNode: pairObjects([node as unknown as KubeObject], [])[0]!,
    });
  }
  return { snapshot: { nodes, nodePools: [nodePool] }, nodePool };
}

export default async function run(): Promise<void> {
  const { snapshot, nodePool } = fleet();
  const catalog = loadCatalog();
  let probes = 0;
  const inner = schedulerSimulator(schedule, { nodePools: [nodePool as never], instanceTypes: catalog });
  const simulator = { simulate: (i: Parameters<typeof inner.simulate>[0]) => { probes++; return inner.simulate(i); } };
  const rows: Array<Record<string, string | number>> = [];
  const time = (label: string, fn: () => ReturnType<typeof computeCommand>): void => {
    probes = 0;
    const t0 = performance.now();
    const pass = fn();
    const ms = performance.now() - t0;
    const c = pass.command;
    rows.push({ pass: label, ms: Math.round(ms), "target ms": 1000, ok: ms < 1000 ? "yes" : "NO", probes, decision: c ? `${c.method} ${c.decision} ${c.candidates.length} node(s)` : "none", "saved $/h": c ? c.savingsPerHour.toFixed(3) : "-" });
  };
  time("full pass (500 nodes / 5000 pods), cold", () => computeCommand(snapshot, NOW, { simulator }));
  time("full pass, warm", () => computeCommand(snapshot, NOW, { simulator }));
  const tight = { ...snapshot, nodePools: [{ ...nodePool, spec: { ...nodePool.spec, disruption: { ...nodePool.spec.disruption, budgets: [{ nodes: "50" }] } } }] };
  time("full pass, budget 50 nodes", () => computeCommand(tight, NOW, { simulator }));
  // Hard case: 90% full nodes and a pool limited to m5 up to 2xlarge, so removing all 100 candidates is
  // impossible and the binary search must probe its way to the largest feasible prefix.
  const hard = fleet("350m");
  hard.nodePool.spec.template.spec.requirements!.push({ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large", "m5.xlarge", "m5.2xlarge"] });
  const hardInner = schedulerSimulator(schedule, { nodePools: [hard.nodePool as never], instanceTypes: catalog });
  const hardSim = { simulate: (i: Parameters<typeof inner.simulate>[0]) => { probes++; return hardInner.simulate(i); } };
  time("hard: 90% full, binary search", () => computeCommand(hard.snapshot, NOW, { simulator: hardSim }));
  time("single-node only", () => computeCommand(snapshot, NOW, { simulator, methods: [singleNodeConsolidation] }));
  console.table(rows);
}

if (require.main === module) void run();
