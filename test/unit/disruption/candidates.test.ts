import { disruptionCost, evictionCost, isConsolidatable, lifetimeRemaining, selectCandidates } from "../../../src/disruption/candidates";
import { DEFAULT_SETTINGS } from "../../../src/disruption/types";
import { HOUR, NOW, node, nodePool, pod } from "./fixtures";

const select = (nodes: ReturnType<typeof node>[], pools = [nodePool()], settings = DEFAULT_SETTINGS) =>
  selectCandidates({ nodes, nodePools: pools }, NOW, settings);

describe("candidate selection", () => {
  it("blocks nodes annotated karpenter.sh/do-not-disrupt", () => {
    const res = select([node("n1", { nodeAnnotations: { "karpenter.sh/do-not-disrupt": "true" } }), node("n2")]);
    expect(res.candidates.map(c => c.node.name)).toEqual(["n2"]);
    expect(res.blocked).toEqual([{ node: "n1", nodeClaim: "nc-n1", reason: 'disruption is blocked through the "karpenter.sh/do-not-disrupt" annotation' }]);
  });
  it("blocks nodes with a do-not-disrupt pod, including a duration that has not elapsed", () => {
    const started = new Date(NOW.getTime() - 60_000).toISOString();
    const res = select([
      node("n1", { pods: [pod({ name: "keep", annotations: { "karpenter.sh/do-not-disrupt": "true" } })] }),
      node("n2", { pods: [pod({ name: "young", startTime: started, annotations: { "karpenter.sh/do-not-disrupt": "5m" } })] }),
      node("n3", { pods: [pod({ name: "old", startTime: started, annotations: { "karpenter.sh/do-not-disrupt": "30s" } })] }),
      node("n4", { pods: [pod({ name: "bogus", annotations: { "karpenter.sh/do-not-disrupt": "yes please" } })] }),
    ]);
    expect(res.candidates.map(c => c.node.name)).toEqual(["n3", "n4"]);
    expect(res.blocked.map(b => b.reason)).toEqual(['pod default/keep has "karpenter.sh/do-not-disrupt" annotation', 'pod default/young has "karpenter.sh/do-not-disrupt" annotation']);
  });
  it("blocks nodes whose pods a PDB protects (zero allowed, or several PDBs)", () => {
    const res = select([
      node("n1", { pods: [pod({ pdbs: [{ namespace: "default", name: "web", disruptionsAllowed: 0 }] })] }),
      node("n2", { pods: [pod({ pdbs: [{ namespace: "default", name: "a", disruptionsAllowed: 1 }, { namespace: "default", name: "b", disruptionsAllowed: 1 }] })] }),
      node("n3", { pods: [pod({ pdbs: [{ namespace: "default", name: "web", disruptionsAllowed: 1 }] })] }),
    ]);
    expect(res.candidates.map(c => c.node.name)).toEqual(["n3"]);
    expect(res.blocked[0]!.reason).toBe("pdb default/web prevents pod evictions");
    expect(res.blocked[1]!.reason).toMatch(/multiple PDBs/);
  });
  it("does not block on pods without a controller owner: they are simulated and evicted like others (Karpenter v1.14)", () => {
    const res = select([node("n1", { pods: [pod({ name: "bare", ownerKind: undefined })] })]);
    expect(res.blocked).toEqual([]);
    expect(res.candidates[0]!.reschedulablePods.map(p => p.name)).toEqual(["bare"]);
  });
  it("lets do-not-disrupt on DaemonSet and static pods block, but not on finished or terminating pods", () => {
    const dnd = { "karpenter.sh/do-not-disrupt": "true" };
    const res = select([
      node("ds", { pods: [pod({ name: "agent", ownerKind: "DaemonSet", annotations: dnd })] }),
      node("static", { pods: [pod({ name: "etcd", ownerKind: "Node", annotations: dnd })] }),
      node("done", { pods: [pod({ name: "job", phase: "Succeeded", annotations: dnd })] }),
      node("leaving", { pods: [pod({ name: "bye", deletionTimestamp: NOW.toISOString(), annotations: dnd })] }),
    ]);
    expect(res.blocked.map(b => b.node)).toEqual(["ds", "static"]);
    expect(res.candidates.map(c => c.node.name)).toEqual(["done", "leaving"]);
  });
  it("checks PDBs only for pods that would be evicted: DaemonSet pods count, static pods and pods tolerating the disrupted taint do not", () => {
    const pdbs = [{ namespace: "default", name: "zero", disruptionsAllowed: 0 }];
    const res = select([
      node("ds", { pods: [pod({ ownerKind: "DaemonSet", pdbs })] }),
      node("static", { pods: [pod({ ownerKind: "Node", pdbs })] }),
      node("tolerant", { pods: [pod({ pdbs, tolerations: [{ key: "karpenter.sh/disrupted", operator: "Exists", effect: "NoSchedule" }] })] }),
    ]);
    expect(res.blocked).toEqual([{ node: "ds", nodeClaim: "nc-ds", reason: "pdb default/zero prevents pod evictions" }]);
    expect(res.candidates.map(c => c.node.name)).toEqual(["static", "tolerant"]);
  });
  it("reschedules a terminating StatefulSet pod (its replacement waits for it), not other terminating pods", () => {
    const gone = NOW.toISOString();
    const res = select([node("n1", { pods: [pod({ name: "db-0", ownerKind: "StatefulSet", deletionTimestamp: gone }), pod({ name: "web", deletionTimestamp: gone })] })]);
    expect(res.candidates[0]!.reschedulablePods.map(p => p.name)).toEqual(["db-0"]);
  });
  it("skips nodes that are not initialized or already being deleted", () => {
    const res = select([node("n1", { conditions: [{ type: "Initialized", status: "False" }] }), node("n2", { markedForDeletion: true }), node("n3")]);
    expect(res.candidates.map(c => c.node.name)).toEqual(["n3"]);
    expect(res.blocked).toEqual([]);
  });
  it("lets drift proceed past blocking pods when terminationGracePeriod bounds the drain", () => {
    const drifted = { conditions: [{ type: "Initialized", status: "True" as const }, { type: "Drifted", status: "True" as const, reason: "NodePoolDrifted" }] };
    const blocking = [pod({ annotations: { "karpenter.sh/do-not-disrupt": "true" } })];
    expect(select([node("n1", { ...drifted, pods: blocking })]).candidates).toHaveLength(0);
    const res = select([node("n1", { ...drifted, pods: blocking, terminationGracePeriod: "1h" })]);
    expect(res.candidates[0]!.driftReason).toBe("NodePoolDrifted");
  });
  it("excludes daemonset, mirror and terminal pods from the pods to reschedule", () => {
    const res = select([node("n1", { pods: [pod({ ownerKind: "DaemonSet" }), pod({ phase: "Succeeded" }), pod({ annotations: { "kubernetes.io/config.mirror": "x" } }), pod({ name: "web" })] })]);
    expect(res.candidates[0]!.reschedulablePods.map(p => p.name)).toEqual(["web"]);
  });
});

describe("disruption cost", () => {
  it("starts at 1 per pod and moves with priority and pod-deletion-cost, clamped to [-10, 10]", () => {
    expect(evictionCost(pod())).toBe(1);
    expect(evictionCost(pod({ priority: 2 ** 25 }))).toBe(2);
    expect(evictionCost(pod({ annotations: { "controller.kubernetes.io/pod-deletion-cost": String(-(2 ** 27)) } }))).toBe(0);
    expect(evictionCost(pod({ priority: 2_000_000_000 }))).toBe(10);
    expect(evictionCost(pod({ priority: -2_000_000_000 }))).toBe(-10);
  });
  it("scales with the fraction of expireAfter remaining", () => {
    const n = node("n", { createdAt: new Date(NOW.getTime() - 6 * HOUR), expireAfter: "24h" });
    expect(lifetimeRemaining(n, NOW)).toBeCloseTo(0.75);
    expect(disruptionCost(n, [pod(), pod()], NOW)).toBeCloseTo(1.5);
    expect(lifetimeRemaining(node("m", { expireAfter: "Never" }), NOW)).toBe(1);
  });
});

describe("consolidateAfter", () => {
  it("makes a node consolidatable only once no pod event happened for that long", () => {
    const n = node("n", { lastPodEventTime: new Date(NOW.getTime() - 30_000) });
    expect(isConsolidatable(n, nodePool("p", { consolidateAfter: "1m" }), NOW)).toBe(false);
    expect(isConsolidatable(n, nodePool("p", { consolidateAfter: "30s" }), NOW)).toBe(true);
  });
  it("is disabled by Never and for static NodePools", () => {
    expect(isConsolidatable(node("n"), nodePool("p", { consolidateAfter: "Never" }), NOW)).toBe(false);
    const np = nodePool("p");
    np.spec.replicas = 3;
    expect(isConsolidatable(node("n"), np, NOW)).toBe(false);
  });
  it("rejects a malformed consolidateAfter naming the field", () => {
    expect(() => isConsolidatable(node("n"), nodePool("p", { consolidateAfter: "1hr" }), NOW)).toThrow(/NodePool p spec\.disruption\.consolidateAfter: invalid duration "1hr"/);
  });
});
