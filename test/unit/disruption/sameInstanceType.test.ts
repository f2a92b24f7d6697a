// Karpenter's filterOutSameInstanceType (multi-node consolidation): several nodes replaced by one NodeClaim of a
// type among them is no better than keeping that node and deleting the others.
import { computeConsolidation, withoutSameInstanceType } from "../../../src/disruption/consolidation";
import { multiNodeConsolidation } from "../../../src/disruption/methods/multiNodeConsolidation";
import { computeCommand } from "../../../src/disruption/disruptionController";
import type { Candidate, ClusterSnapshot, NodeInfo, ReplacementOption, Simulator } from "../../../src/disruption/types";
import { NOW, node, nodePool, pod } from "./fixtures";

const GiB = 2 ** 30;
const opt = (instanceType: string, pricePerHour: number): ReplacementOption => ({ instanceType, capacityType: "on-demand", pricePerHour });
const candidate = (n: NodeInfo): Candidate => ({
  node: n, nodePool: nodePool(), reschedulablePods: n.pods, disruptionCost: 1, rescheduleDisruptionCost: 2, consolidatable: true,
});
/** A simulator that always needs one NodeClaim offering `options`. */
const oneClaim = (options: ReplacementOption[]): Simulator => ({
  simulate: () => ({ unschedulable: [], newNodeClaims: [{ nodePoolName: "default", options, podCount: 1 }] }),
});
const removed = [
  node("big1", { instanceType: "m5.2xlarge", pricePerHour: 0.384, pods: [pod({}, 3000, GiB)] }),
  node("big2", { instanceType: "m5.2xlarge", pricePerHour: 0.384, pods: [pod({}, 3000, GiB)] }),
  node("small", { instanceType: "m5.large", pricePerHour: 0.096, pods: [pod({}, 500, GiB)] }),
];
const snapshot: ClusterSnapshot = { nodePools: [nodePool()], nodes: removed };
const consolidate = (mode: "single" | "multi", options: ReplacementOption[]) =>
  computeConsolidation({ snapshot, candidates: removed.map(candidate), simulator: oneClaim(options), settings: {} as never, mode });

describe("multi-node consolidation never replaces nodes with one of their own instance types at no saving over it", () => {
  it("[2xlarge, 2xlarge, large] -> one of {large, xlarge, 2xlarge}: no move (deleting the 2xlarges is the same)", () => {
    const outcome = consolidate("multi", [opt("m5.large", 0.096), opt("m5.xlarge", 0.192), opt("m5.2xlarge", 0.384)]);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok || outcome.reason).toMatch(/same instance type/);
  });
  it("[2xlarge, 2xlarge, large] -> one of {t3.medium, large, 2xlarge}: only t3.medium, cheaper than the large", () => {
    const outcome = consolidate("multi", [opt("m5.2xlarge", 0.384), opt("t3.medium", 0.0416), opt("m5.large", 0.096)]);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.replacements[0]!.options.map(o => o.instanceType)).toEqual(["t3.medium"]);
    expect(outcome.savingsPerHour).toBeCloseTo(0.864 - 0.0416);
  });
  it("options of types not being removed are kept whole", () => {
    const options = [opt("c5.xlarge", 0.17), opt("r5.large", 0.126)];
    expect(withoutSameInstanceType(options, removed.map(candidate))).toEqual(options);
  });
  it("the cheapest removed node of a type sets the bar for that type", () => {
    const cheapOne = [...removed, node("big3", { instanceType: "m5.2xlarge", pricePerHour: 0.2 })].map(candidate);
    const kept = withoutSameInstanceType([opt("m5.2xlarge", 0.25), opt("c5.large", 0.085), opt("m5.xlarge", 0.192)], cheapOne);
    expect(kept.map(o => o.instanceType)).toEqual(["c5.large", "m5.xlarge"]);
  });
  it("the multi-node method then takes a smaller set instead of an equivalent replace", () => {
    // Removing all three needs a 2xlarge (a type being removed, no cheaper than it): without the rule that is a
    // "replace 3 with 1" move; with it the search settles on deleting two nodes onto the third's free capacity.
    const nodes = [
      node("big1", { instanceType: "m5.2xlarge", pricePerHour: 0.384, allocatable: { cpu: 8000, memory: 32 * GiB }, pods: [pod({}, 3000, GiB)] }),
      node("big2", { instanceType: "m5.2xlarge", pricePerHour: 0.384, allocatable: { cpu: 8000, memory: 32 * GiB }, pods: [pod({}, 3000, GiB)] }),
      node("small", { instanceType: "m5.large", pricePerHour: 0.096, allocatable: { cpu: 2000, memory: 8 * GiB }, pods: [pod({}, 500, GiB)] }),
    ];
    const sim: Simulator = {
      simulate: ({ removedNodes }) =>
        removedNodes.size === 3
          ? { unschedulable: [], newNodeClaims: [{ nodePoolName: "default", options: [opt("m5.2xlarge", 0.384), opt("m5.4xlarge", 0.768)], podCount: 3 }] }
          : { unschedulable: [], newNodeClaims: [] },
    };
    const pass = computeCommand({ nodePools: [nodePool()], nodes }, NOW, { simulator: sim, methods: [multiNodeConsolidation], settings: {} });
    expect(pass.command?.decision).toBe("delete");
    expect(pass.command!.candidates).toHaveLength(2);
  });
});
