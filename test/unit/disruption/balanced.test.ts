// Balanced consolidation as Karpenter v1.14 scores it (pkg/controllers/disruption/balanced.go and
// balanced_scoring_test.go): per-pool totals over every node, score = savings share / disruption share, k = 2,
// every Balanced pool of a move must approve, candidates ordered by savings per disruption, empty = no pod with a
// positive eviction cost.
import { computeCommand } from "../../../src/disruption/disruptionController";
import { emptiness } from "../../../src/disruption/methods/emptiness";
import { multiNodeConsolidation } from "../../../src/disruption/methods/multiNodeConsolidation";
import { singleNodeConsolidation } from "../../../src/disruption/methods/singleNodeConsolidation";
import { selectCandidates } from "../../../src/disruption/candidates";
import { computeConsolidation } from "../../../src/disruption/consolidation";
import { BALANCED_K, balancedScore, canPassBalanced, poolTotals } from "../../../src/disruption/pricing";
import { DEFAULT_SETTINGS, type ClusterSnapshot, type NodeInfo, type PodInfo, type Simulator } from "../../../src/disruption/types";
import { NOW, firstFitSimulator, node, nodePool, pod } from "./fixtures";

const balanced = (name = "default") => nodePool(name, { consolidationPolicy: "Balanced" });
const withPods = (name: string, n: number, over: Partial<NodeInfo> = {}): NodeInfo =>
  node(name, { pods: Array.from({ length: n }, (_, i) => pod({ name: `${name}-p${i}` }, 10, 1)), ...over });
const candidatesOf = (s: ClusterSnapshot) => selectCandidates(s, NOW, DEFAULT_SETTINGS).candidates;
/** Every pod fits elsewhere: isolates the score from packing. */
const deleteAll: Simulator = { simulate: () => ({ unschedulable: [], newNodeClaims: [] }) };

describe("ScoreMove (totals 100 / 100)", () => {
  const totals = { totalCost: 100, totalDisruptionCost: 100 };
  it.each([
    ["high savings low disruption", 20, 5, 4, true],
    ["equal fractions", 10, 10, 1, true],
    ["low savings high disruption", 5, 50, 0.1, false],
    ["zero disruption cost", 10, 0, Infinity, true],
    ["zero savings", 0, 10, 0, false],
    ["negative savings", -5, 10, 0, false],
  ])("%s", (_name, savings, disruption, score, approved) => {
    const s = balancedScore(savings, disruption, totals);
    if (score === Infinity) expect(s).toBe(Infinity);
    else expect(s).toBeCloseTo(score, 2);
    expect(s >= 1 / BALANCED_K).toBe(approved);
  });
  it("scores 0 against empty totals (nothing to normalise against)", () => {
    expect(balancedScore(10, 1, { totalCost: 0, totalDisruptionCost: 5 })).toBe(0);
    expect(balancedScore(10, 1, { totalCost: 5, totalDisruptionCost: 0 })).toBe(0);
  });
});

describe("pool totals", () => {
  it("sum every node of the pool: a candidate by its reschedulable pods, any other node by its non-DaemonSet pods", () => {
    const s: ClusterSnapshot = {
      nodePools: [balanced()],
      nodes: [
        withPods("a", 2),
        // not a candidate (not initialized): 1 + 3 pods, its DaemonSet pod does not count
        withPods("b", 3, { conditions: [], pods: [...withPods("b", 3).pods, pod({ ownerKind: "DaemonSet" })] }),
        withPods("other", 5, { nodePoolName: "other" }),
      ],
    };
    const totals = poolTotals(s, "default", candidatesOf(s));
    expect(totals.totalCost).toBeCloseTo(0.384);
    expect(totals.totalDisruptionCost).toBe(3 + 4);
  });
  it("have no cost when no node is priced, so a Balanced move scores 0 and is rejected", () => {
    const s: ClusterSnapshot = { nodePools: [balanced()], nodes: [withPods("a", 1, { pricePerHour: 0 })] };
    const all = candidatesOf(s);
    expect(poolTotals(s, "default", all).totalCost).toBe(0);
    expect(computeConsolidation({ snapshot: s, candidates: all, simulator: deleteAll, settings: DEFAULT_SETTINGS, mode: "single", allCandidates: all }).ok).toBe(false);
  });
});

describe("Balanced moves", () => {
  it("approves deleting one of ten uniform nodes (savings share 0.1 / disruption share 0.1 = score 1)", () => {
    const s: ClusterSnapshot = { nodePools: [balanced()], nodes: Array.from({ length: 10 }, (_, i) => withPods(`n${i}`, 1)) };
    const all = candidatesOf(s);
    const out = computeConsolidation({ snapshot: s, candidates: [all[0]!], simulator: deleteAll, settings: DEFAULT_SETTINGS, mode: "single", allCandidates: all });
    expect(out).toMatchObject({ ok: true, decision: "delete" });
    const totals = poolTotals(s, "default", all);
    expect(balancedScore(0.192, 2, totals)).toBeCloseTo(1, 5);
  });
  it("splits a cross-pool move's savings by source cost and scores only the Balanced pool", () => {
    const s: ClusterSnapshot = {
      nodePools: [balanced("bal"), nodePool("eager", { consolidationPolicy: "WhenEmptyOrUnderutilized" })],
      nodes: [
        ...Array.from({ length: 5 }, (_, i) => withPods(`b${i}`, 1, { nodePoolName: "bal" })),
        ...Array.from({ length: 5 }, (_, i) => withPods(`e${i}`, 1, { nodePoolName: "eager" })),
      ],
    };
    const all = candidatesOf(s);
    const move = all.filter(c => c.node.name === "b0" || c.node.name === "e0");
    expect(computeConsolidation({ snapshot: s, candidates: move, simulator: deleteAll, settings: DEFAULT_SETTINGS, mode: "multi", allCandidates: all }).ok).toBe(true);
  });
  it("rejects the move when any Balanced pool rejects, naming the pool", () => {
    // pool-a: 10 nodes with one pod (score 1); pool-b: a 20-pod node and two light ones, its savings share 1/3
    // against a disruption share 21/25 -> 0.397 < 0.5.
    const s: ClusterSnapshot = {
      nodePools: [balanced("pool-a"), balanced("pool-b")],
      nodes: [
        ...Array.from({ length: 10 }, (_, i) => withPods(`a${i}`, 1, { nodePoolName: "pool-a", pricePerHour: 4.84 })),
        withPods("heavy", 20, { nodePoolName: "pool-b", pricePerHour: 1 }),
        withPods("light1", 1, { nodePoolName: "pool-b", pricePerHour: 1 }),
        withPods("light2", 1, { nodePoolName: "pool-b", pricePerHour: 1 }),
      ],
    };
    const all = candidatesOf(s);
    const move = all.filter(c => c.node.name === "a0" || c.node.name === "heavy");
    const out = computeConsolidation({ snapshot: s, candidates: move, simulator: deleteAll, settings: DEFAULT_SETTINGS, mode: "multi", allCandidates: all });
    expect(out).toMatchObject({ ok: false, reason: expect.stringMatching(/nodepool pool-b \(score 0\.397 < 0\.500\)/) });
    // each pool's verdict is reported (karpenter_consolidation_moves_total / _score)
    expect(out.scores).toEqual([
      { nodepool: "pool-a", policy: "Balanced", approved: true, score: expect.closeTo(1, 5) },
      { nodepool: "pool-b", policy: "Balanced", approved: false, score: expect.closeTo(0.397, 3) },
    ]);
    const onlyA = computeConsolidation({ snapshot: s, candidates: [all.find(c => c.node.name === "a0")!], simulator: deleteAll, settings: DEFAULT_SETTINGS, mode: "single", allCandidates: all });
    expect(onlyA.ok).toBe(true);
  });
  it("skips a candidate whose best case (a delete) cannot pass, without simulating it", () => {
    // A cheap node carrying most of the pool's pods next to an expensive one (not a candidate: not initialized).
    // Deleting it saves 0.05/0.818 of the cost for 31/33 of the disruption: 0.065 < 0.5.
    const s: ClusterSnapshot = {
      nodePools: [balanced()],
      nodes: [withPods("crowded", 30, { pricePerHour: 0.05 }), withPods("x", 1, { pricePerHour: 0.768, conditions: [] })],
    };
    const all = candidatesOf(s);
    expect(all.map(c => c.node.name)).toEqual(["crowded"]);
    expect(canPassBalanced(s, all[0]!, all)).toBe(false);
    const sim = { calls: 0, simulate: () => (sim.calls++, { unschedulable: [], newNodeClaims: [] }) };
    const pass = computeCommand(s, NOW, { simulator: sim, methods: [singleNodeConsolidation] });
    expect(pass.command).toBeUndefined();
    expect(sim.calls).toBe(0);
    expect(pass.rejections.map(r => r.reason)).toEqual([expect.stringMatching(/Balanced: even deleting the node/)]);
    // alone in its pool a delete saves all the cost for all the disruption: score 1, it goes
    const alone = computeCommand({ ...s, nodes: [s.nodes[0]!] }, NOW, { simulator: sim, methods: [singleNodeConsolidation] });
    expect(alone.command?.candidates[0]!.node.name).toBe("crowded");
  });
  it("applies no score to WhenEmptyOrUnderutilized pools", () => {
    const s: ClusterSnapshot = { nodePools: [nodePool()], nodes: [withPods("crowded", 30, { pricePerHour: 0.05 }), withPods("x", 1, { pricePerHour: 0.768 })] };
    expect(computeConsolidation({ snapshot: s, candidates: candidatesOf(s).slice(0, 1), simulator: deleteAll, settings: DEFAULT_SETTINGS, mode: "single" }).ok).toBe(true);
  });
});

describe("ordering and emptiness (all policies, v1.14)", () => {
  it("orders consolidation candidates by price / reschedule disruption cost, highest first", () => {
    // ratios: a 0.192/4 = 0.048, b 0.768/2 = 0.384; c has no pods (emptiness's, not consolidation's): b first
    const s: ClusterSnapshot = {
      nodePools: [nodePool("default", { budgets: [{ nodes: "1" }] })],
      nodes: [withPods("a", 3), withPods("b", 1, { pricePerHour: 0.768 }), withPods("c", 0, { pricePerHour: 0.096 })],
    };
    const pass = computeCommand(s, NOW, { simulator: deleteAll, methods: [singleNodeConsolidation] });
    expect(pass.command?.candidates.map(c => c.node.name)).toEqual(["b"]);
  });
  it("treats a node whose pods all have a non-positive eviction cost as empty", () => {
    const cheap: PodInfo = pod({ name: "batch", priority: -(2 ** 25) }); // 1 - 1 = 0
    const s: ClusterSnapshot = { nodePools: [nodePool()], nodes: [node("low", { pods: [cheap] }), withPods("busy", 1)] };
    const pass = computeCommand(s, NOW, { simulator: firstFitSimulator(), methods: [emptiness, multiNodeConsolidation, singleNodeConsolidation] });
    expect(pass.command).toMatchObject({ method: "emptiness", reason: "Empty" });
    expect(pass.command!.candidates.map(c => c.node.name)).toEqual(["low"]);
  });
});
