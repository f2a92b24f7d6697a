// The adapter over the real scheduler: the disruption engine must reuse schedule(), not a second scheduler.
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { computeCommand } from "../../../src/disruption/disruptionController";
import { singleNodeConsolidation } from "../../../src/disruption/methods/singleNodeConsolidation";
import { schedulerSimulator } from "../../../src/disruption/schedulerSimulator";
import type { NodeInfo, NodePoolLike, PodInfo } from "../../../src/disruption/types";
import { schedule } from "../../../src/scheduling/scheduler";
import type { Pod } from "../../../src/scheduling/types";
import { pairObjects } from "../../../src/kube/stateNodes";
import type { KubeObject } from "../../../src/kube/client";
import { NOW } from "./fixtures";

const catalog = loadCatalog();
const m5xl = catalog.find(t => t.name === "m5.xlarge")!;
const od = m5xl.offerings.find(o => o.capacityType === "on-demand")!;
const pool: NodePoolLike = {
  metadata: { name: "default" },
  spec: { template: { spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }] } }, disruption: { consolidateAfter: "0s" } },
};

const stateNodeOf = (node: KubeObject) => pairObjects([node], [])[0]!;

function mkNode(name: string, podCpus: string[]): NodeInfo {
  const labels = { ...m5xl.labels, "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": "on-demand", "topology.kubernetes.io/zone": od.zone, "node.kubernetes.io/instance-type": "m5.xlarge" };
  const pods: PodInfo[] = podCpus.map((cpu, i) => {
    const raw: Pod = { metadata: { name: `${name}-p${i}`, namespace: "default", ownerReferences: [{ kind: "ReplicaSet", name: "rs", controller: true }] }, spec: { nodeName: name, containers: [{ resources: { requests: { cpu, memory: "256Mi" } } }] } };
    return { namespace: "default", name: `${name}-p${i}`, ownerKind: "ReplicaSet", pod: raw };
  });
  return {
    name, nodeClaimName: `nc-${name}`, nodePoolName: "default", labels, instanceType: "m5.xlarge", capacityType: "on-demand", zone: od.zone, pricePerHour: od.price,
    createdAt: new Date(NOW.getTime() - 7_200_000), conditions: [{ type: "Initialized", status: "True" }], markedForDeletion: false, pods,
    stateNode: stateNodeOf({ metadata: { name, labels }, status: { allocatable: { cpu: `${m5xl.allocatable.cpu}m`, memory: String(m5xl.allocatable.memory), pods: "58" } } }),
  };
}

describe("schedulerSimulator over schedule()", () => {
  const simulator = schedulerSimulator(schedule, { nodePools: [pool as never], instanceTypes: catalog });

  it("deletes a node whose pods fit on another existing node", () => {
    const snapshot = { nodePools: [pool], nodes: [mkNode("a", ["500m"]), mkNode("b", ["1", "500m"])] };
    const pass = computeCommand(snapshot, NOW, { simulator, methods: [singleNodeConsolidation] });
    expect(pass.command).toMatchObject({ decision: "delete" });
    expect(pass.command!.candidates[0]!.node.name).toBe("a");
  });
  it("replaces a lone node with a strictly cheaper on-demand offering respecting the pool's requirements", () => {
    const snapshot = { nodePools: [pool], nodes: [mkNode("a", ["250m"])] };
    const pass = computeCommand(snapshot, NOW, { simulator, methods: [singleNodeConsolidation] });
    expect(pass.command?.decision).toBe("replace");
    const options = pass.command!.replacements[0]!.options;
    expect(options.length).toBeGreaterThan(0);
    expect(options.every(o => o.capacityType === "on-demand" && o.pricePerHour < od.price)).toBe(true);
  });
  it("reports pods that cannot move as unschedulable", () => {
    const snapshot = { nodePools: [pool], nodes: [mkNode("a", ["500m"])] };
    const huge: PodInfo = { namespace: "default", name: "huge", pod: { metadata: { name: "huge", namespace: "default" }, spec: { containers: [{ resources: { requests: { cpu: "100000" } } }] } } };
    const res = simulator.simulate({ snapshot, pods: [huge], removedNodes: new Set(["a"]) });
    expect(res.unschedulable.map(u => u.pod.name)).toEqual(["huge"]);
  });
  it("names the missing Node when the snapshot was built without its StateNode", () => {
    const n = mkNode("a", []);
    delete n.stateNode;
    expect(() => simulator.simulate({ snapshot: { nodePools: [pool], nodes: [n] }, pods: [], removedNodes: new Set() })).toThrow(/node a: NodeInfo\.stateNode must hold the registered Node/);
  });
});

describe("schedulerSimulator cancellation", () => {
  const simulator = schedulerSimulator(schedule, { nodePools: [pool as never], instanceTypes: catalog });
  it("passes `cancelled` to the solve and reports a stopped simulation", () => {
    const snapshot = { nodePools: [pool], nodes: [mkNode("a", ["500m"]), mkNode("b", ["1"])] };
    const pods = snapshot.nodes[0]!.pods;
    const stopped = simulator.simulate({ snapshot, pods, removedNodes: new Set(["a"]), cancelled: () => true });
    expect(stopped.cancelled).toBe(true);
    const done = simulator.simulate({ snapshot, pods, removedNodes: new Set(["a"]), cancelled: () => false });
    expect(done.cancelled).toBeUndefined();
    expect(done.unschedulable).toEqual([]);
  });
});
