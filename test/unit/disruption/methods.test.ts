import { computeCommand } from "../../../src/disruption/disruptionController";
import { drift } from "../../../src/disruption/methods/drift";
import { emptiness } from "../../../src/disruption/methods/emptiness";
import { multiNodeConsolidation } from "../../../src/disruption/methods/multiNodeConsolidation";
import { singleNodeConsolidation } from "../../../src/disruption/methods/singleNodeConsolidation";
import type { ClusterSnapshot, NodeInfo } from "../../../src/disruption/types";
import { CATALOG, type CatalogEntry, NOW, firstFitSimulator, node, nodePool, pod } from "./fixtures";

const GiB = 2 ** 30;
const drifted = [{ type: "Initialized", status: "True" as const }, { type: "Drifted", status: "True" as const, reason: "NodePoolDrifted" }];
const busy = (name: string, cpu: number, over: Partial<NodeInfo> = {}): NodeInfo => node(name, { pods: [pod({ name: `${name}-pod` }, cpu, GiB)], ...over });
const run = (snapshot: ClusterSnapshot, methods = undefined as undefined | Parameters<typeof computeCommand>[2]["methods"], sim = firstFitSimulator(), settings = {}) =>
  computeCommand(snapshot, NOW, { simulator: sim, methods, settings });

describe("emptiness", () => {
  it("deletes every empty node at once, within the Empty budget", () => {
    const snapshot = { nodePools: [nodePool("default", { budgets: [{ nodes: "2" }] })], nodes: [node("e1"), node("e2"), node("e3"), busy("b1", 1000)] };
    const pass = run(snapshot, [emptiness]);
    expect(pass.command).toMatchObject({ method: "emptiness", reason: "Empty", decision: "delete", replacements: [] });
    expect(pass.command!.candidates.map(c => c.node.name)).toEqual(["e1", "e2"]);
    expect(pass.command!.savingsPerHour).toBeCloseTo(0.384);
    expect(pass.rejections.map(r => r.node)).toEqual(["e3"]);
  });
  it("treats nodes running only daemonset pods as empty", () => {
    const snapshot = { nodePools: [nodePool()], nodes: [node("d1", { pods: [pod({ ownerKind: "DaemonSet" })] })] };
    expect(run(snapshot, [emptiness]).command?.candidates.map(c => c.node.name)).toEqual(["d1"]);
  });
  it("waits for consolidateAfter since the last pod event", () => {
    const snapshot = { nodePools: [nodePool("default", { consolidateAfter: "2h" })], nodes: [node("e1")] };
    expect(run(snapshot, [emptiness]).command).toBeUndefined();
  });
});

describe("single-node consolidation", () => {
  it("deletes a node whose pods fit on the remaining nodes", () => {
    const snapshot = { nodePools: [nodePool()], nodes: [busy("a", 500), busy("b", 1000)] };
    const pass = run(snapshot, [singleNodeConsolidation]);
    expect(pass.command).toMatchObject({ decision: "delete", reason: "Underutilized" });
    expect(pass.command!.candidates.map(c => c.node.name)).toEqual(["a"]); // equal cost and price: name order
  });
  it("replaces a node with one strictly cheaper NodeClaim, offering only cheaper types", () => {
    const snapshot = { nodePools: [nodePool()], nodes: [busy("big", 1000, { instanceType: "m5.4xlarge", pricePerHour: 0.768, allocatable: { cpu: 16000, memory: 64 * GiB } })] };
    const pass = run(snapshot, [singleNodeConsolidation]);
    expect(pass.command?.decision).toBe("replace");
    const options = pass.command!.replacements[0]!.options;
    expect(options.every(o => o.pricePerHour < 0.768)).toBe(true);
    expect(options[0]!.instanceType).toBe("t3.medium");
    expect(pass.command!.savingsPerHour).toBeCloseTo(0.768 - 0.0416);
    expect(pass.command!.message).toMatch(/single-node-consolidation \(Underutilized\): replace 1 node\(s\) \[big \(m5\.4xlarge.*cheapest t3\.medium\/on-demand \$0\.0416\/h, saving \$0\.7264\/h/);
  });
  it("refuses to replace with an equal or pricier node", () => {
    const snapshot = { nodePools: [nodePool()], nodes: [busy("cheap", 1000, { instanceType: "t3.medium", pricePerHour: 0.0416, allocatable: { cpu: 2000, memory: 4 * GiB } })] };
    const pass = run(snapshot, [singleNodeConsolidation]);
    expect(pass.command).toBeUndefined();
    expect(pass.rejections[0]!.reason).toMatch(/can't replace with a cheaper node/);
  });
  it("never consolidates under WhenEmpty", () => {
    const snapshot = { nodePools: [nodePool("default", { consolidationPolicy: "WhenEmpty" })], nodes: [busy("a", 500), busy("b", 500)] };
    expect(run(snapshot).command).toBeUndefined();
  });
  it("skips candidates whose pods cannot reschedule", () => {
    const snapshot = { nodePools: [nodePool()], nodes: [node("a", { pods: [pod({ name: "stuck", labels: { unschedulable: "1" } }, 3900)] })] };
    const pass = run(snapshot, [singleNodeConsolidation]);
    expect(pass.command).toBeUndefined();
    expect(pass.rejections[0]!.reason).toBe("not all pods would schedule, default/stuck => no instance type satisfies requirements");
  });
  it("respects a zero Underutilized budget", () => {
    const snapshot = { nodePools: [nodePool("default", { budgets: [{ nodes: "0", reasons: ["Underutilized"] }] })], nodes: [busy("a", 500), busy("b", 500)] };
    const pass = run(snapshot);
    expect(pass.command).toBeUndefined();
    expect(pass.rejections.some(r => /budget .* exhausted/.test(r.reason))).toBe(true);
  });
});

describe("spot-to-spot consolidation", () => {
  const spotCatalog = (n: number): CatalogEntry[] => Array.from({ length: n }, (_, i) => ({ instanceType: `c${i}.large`, capacityType: "spot" as const, pricePerHour: 0.01 + i * 0.001, cpu: 2000, memory: 4 * GiB }));
  const spotNode = busy("s", 1000, { capacityType: "spot", pricePerHour: 0.2, allocatable: { cpu: 16000, memory: 64 * GiB } });
  it("is off unless the SpotToSpotConsolidation gate is enabled", () => {
    const pass = run({ nodePools: [nodePool()], nodes: [spotNode] }, [singleNodeConsolidation], firstFitSimulator(spotCatalog(20)));
    expect(pass.command).toBeUndefined();
    expect(pass.rejections[0]!.reason).toBe("SpotToSpotConsolidation is disabled, can't replace a spot node with a spot node");
  });
  it("needs at least 15 cheaper spot types for one node and keeps only the 15 cheapest", () => {
    const few = run({ nodePools: [nodePool()], nodes: [spotNode] }, [singleNodeConsolidation], firstFitSimulator(spotCatalog(14)), { spotToSpotConsolidation: true });
    expect(few.rejections[0]!.reason).toMatch(/requires 15 cheaper instance type options .* got 14/);
    const many = run({ nodePools: [nodePool()], nodes: [spotNode] }, [singleNodeConsolidation], firstFitSimulator(spotCatalog(20)), { spotToSpotConsolidation: true });
    const options = many.command!.replacements[0]!.options;
    expect(options).toHaveLength(15);
    expect(options.map(o => o.instanceType)).toEqual(spotCatalog(15).map(c => c.instanceType));
  });
  it("still replaces an on-demand node with a cheaper spot node without the gate", () => {
    const od = busy("od", 1000, { pricePerHour: 0.2, allocatable: { cpu: 16000, memory: 64 * GiB } });
    const pass = run({ nodePools: [nodePool()], nodes: [od] }, [singleNodeConsolidation], firstFitSimulator(spotCatalog(3)));
    expect(pass.command?.replacements[0]!.options[0]!.capacityType).toBe("spot");
  });
});

describe("multi-node consolidation", () => {
  it("finds the largest set removable at once with one cheaper replacement", () => {
    // Five m5.xlarge each using 1 cpu; removing them all needs 5 cpu → one m5.2xlarge ($0.384 < $0.96).
    const nodes = ["a", "b", "c", "d", "e"].map(n => busy(n, 1000));
    const sim = firstFitSimulator();
    const pass = run({ nodePools: [nodePool()], nodes }, [multiNodeConsolidation], sim);
    expect(pass.command?.decision).toBe("replace");
    expect(pass.command!.candidates).toHaveLength(5);
    expect(pass.command!.replacements).toHaveLength(1);
    expect(pass.command!.savingsPerHour).toBeCloseTo(0.96 - 0.384);
    expect(sim.calls).toBeLessThanOrEqual(3); // binary search, not every subset
  });
  it("deletes a prefix outright when the rest can absorb its pods", () => {
    const pinned = pod({ annotations: { "karpenter.sh/do-not-disrupt": "true" } }, 3500);
    const nodes = [busy("a", 250), busy("b", 250), node("full", { pods: [pinned] })];
    const pass = run({ nodePools: [nodePool()], nodes }, [multiNodeConsolidation]);
    expect(pass.command?.decision).toBe("delete");
    expect(pass.command!.candidates.map(c => c.node.name).sort()).toEqual(["a", "b"]);
  });
  it("never takes more nodes than the budget allows", () => {
    const nodes = ["a", "b", "c", "d", "e"].map(n => busy(n, 1000));
    const pass = run({ nodePools: [nodePool("default", { budgets: [{ nodes: "3" }] })], nodes }, [multiNodeConsolidation]);
    expect(pass.command!.candidates).toHaveLength(3);
  });
  it("prefers candidates with the lowest disruption cost", () => {
    const nodes = [busy("precious", 500, { pods: [pod({ priority: 1_000_000_000 }, 500)] }), busy("x", 500), busy("y", 500)];
    const pass = run({ nodePools: [nodePool("default", { budgets: [{ nodes: "2" }] })], nodes }, [multiNodeConsolidation]);
    expect(pass.command!.candidates.map(c => c.node.name)).toEqual(["x", "y"]);
  });
});

describe("Balanced policy", () => {
  it("rejects a move whose savings share is small relative to its disruption share", () => {
    // Ten full 10-pod m5.xlarge nodes; the only cheaper fit saves $0.022 of $1.92 (1%) for 10% of the disruption.
    const catalog = [...CATALOG, { instanceType: "m6a.xlarge", capacityType: "on-demand" as const, pricePerHour: 0.17, cpu: 4000, memory: 16 * GiB }];
    const nodes = Array.from({ length: 10 }, (_, i) => node(`n${i}`, { pods: Array.from({ length: 10 }, () => pod({}, 390, GiB)) }));
    const balanced = run({ nodePools: [nodePool("default", { consolidationPolicy: "Balanced" })], nodes }, [singleNodeConsolidation], firstFitSimulator(catalog));
    expect(balanced.command).toBeUndefined();
    expect(balanced.rejections[0]!.reason).toMatch(/Balanced: savings \$0\.0220\/h do not justify the disruption of nodepool default \(score 0\.115 < 0\.500\)/);
    const eager = run({ nodePools: [nodePool("default", { consolidationPolicy: "WhenEmptyOrUnderutilized" })], nodes }, [singleNodeConsolidation], firstFitSimulator(catalog));
    expect(eager.command?.replacements[0]!.options[0]!.instanceType).toBe("m6a.xlarge");
  });
  it("approves a move that saves a large share for little disruption", () => {
    const nodes = [busy("big", 500, { instanceType: "m5.4xlarge", pricePerHour: 0.768, allocatable: { cpu: 16000, memory: 64 * GiB } }), ...Array.from({ length: 3 }, (_, i) => busy(`n${i}`, 3900))];
    const pass = run({ nodePools: [nodePool("default", { consolidationPolicy: "Balanced" })], nodes }, [singleNodeConsolidation]);
    expect(pass.command?.candidates[0]!.node.name).toBe("big");
  });
});

describe("drift", () => {
  it("replaces a drifted node before deleting it, one at a time under nodes: 1", () => {
    const nodes = [busy("d1", 3000, { conditions: drifted }), busy("d2", 3000, { conditions: drifted })];
    const pass = run({ nodePools: [nodePool("default", { budgets: [{ nodes: "1" }] })], nodes }, [drift]);
    expect(pass.command).toMatchObject({ method: "drift", reason: "Drifted", decision: "replace" });
    expect(pass.command!.candidates).toHaveLength(1);
    expect(pass.command!.replacements).toHaveLength(1);
  });
  it("counts nodes already disrupting against the Drifted budget", () => {
    const nodes = [busy("d1", 3000, { conditions: drifted, markedForDeletion: true }), busy("d2", 3000, { conditions: drifted })];
    expect(run({ nodePools: [nodePool("default", { budgets: [{ nodes: "1" }] })], nodes }, [drift]).command).toBeUndefined();
  });
  it("deletes empty drifted nodes without replacement", () => {
    const pass = run({ nodePools: [nodePool()], nodes: [node("d1", { conditions: drifted }), node("d2", { conditions: drifted })] }, [drift]);
    expect(pass.command).toMatchObject({ decision: "delete", replacements: [] });
    expect(pass.command!.candidates).toHaveLength(2);
  });
});

describe("disruption controller pass", () => {
  it("walks emptiness first, then drift, then consolidation", () => {
    const nodes = [node("empty"), busy("d", 3000, { conditions: drifted }), busy("a", 500), busy("b", 500)];
    const snapshot = { nodePools: [nodePool()], nodes };
    expect(run(snapshot).command?.method).toBe("emptiness");
    expect(run({ ...snapshot, nodes: nodes.slice(1) }).command?.method).toBe("drift");
    expect(run({ ...snapshot, nodes: nodes.slice(2) }).command?.method).toBe("multi-node-consolidation");
    expect(run({ ...snapshot, nodes: nodes.slice(3) }).command?.method).toBe("single-node-consolidation");
  });
  it("reports blocked nodes and allowed disruptions, and explains when nothing is done", () => {
    const snapshot = { nodePools: [nodePool("default", { budgets: [{ nodes: "1" }] })], nodes: [busy("keep", 500, { pods: [pod({ annotations: { "karpenter.sh/do-not-disrupt": "true" } })] })] };
    const pass = run(snapshot);
    expect(pass.command).toBeUndefined();
    expect(pass.blocked[0]!.reason).toMatch(/do-not-disrupt/);
    expect(pass.allowed["default"]).toEqual({ Empty: 1, Underutilized: 1, Drifted: 1 });
    expect(pass.messages[0]).toMatch(/no disruption: 0 candidate\(s\), 1 blocked/);
  });
  it("is deterministic for the same input regardless of node order", () => {
    const nodes = ["c", "a", "e", "b", "d"].map(n => busy(n, 700));
    const a = run({ nodePools: [nodePool()], nodes });
    const b = run({ nodePools: [nodePool()], nodes: [...nodes].reverse() });
    expect(a.command!.message).toBe(b.command!.message);
  });
  it("surfaces configuration errors and fails closed", () => {
    const pass = run({ nodePools: [nodePool("default", { budgets: [{ nodes: "lots" }] })], nodes: [node("e")] });
    expect(pass.command).toBeUndefined();
    expect(pass.errors[0]).toMatch(/budgets\[0\]\.nodes: invalid value "lots"/);
  });
});
