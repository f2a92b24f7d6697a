import { allowedDisruptions, allowedDisruptionsForCluster, budgetNodeCount } from "../../../src/disruption/budgets";
import { computeCommand } from "../../../src/disruption/disruptionController";
import { NOW, firstFitSimulator, node, nodePool } from "./fixtures";

describe("budget node counts", () => {
  it("rounds percentages of the pool's nodes up", () => {
    expect(budgetNodeCount("10%", 10)).toBe(1);
    expect(budgetNodeCount("10%", 11)).toBe(2);
    expect(budgetNodeCount("5%", 10)).toBe(1);
    expect(budgetNodeCount("0%", 50)).toBe(0);
    expect(budgetNodeCount("100%", 7)).toBe(7);
  });
  it("takes absolute counts as-is", () => {
    expect(budgetNodeCount("3", 100)).toBe(3);
    expect(budgetNodeCount("0", 100)).toBe(0);
  });
  it("rejects malformed values naming the field and the fix", () => {
    expect(() => budgetNodeCount("ten", 10, "budgets[0].nodes")).toThrow(/budgets\[0\]\.nodes: invalid value "ten"; use a node count like "5" or a percentage like "10%"/);
    expect(() => budgetNodeCount("150%", 10)).toThrow(/invalid value/);
  });
});

describe("allowed disruptions", () => {
  it("defaults to a single 10% budget when none is configured", () => {
    const np = nodePool();
    delete np.spec.disruption!.budgets;
    expect(allowedDisruptions(np, NOW, 25, 0).byReason).toEqual({ Empty: 3, Underutilized: 3, Drifted: 3 });
  });
  it("counts nodes already being disrupted against the budget, never below zero", () => {
    const np = nodePool("p", { budgets: [{ nodes: "2" }] });
    expect(allowedDisruptions(np, NOW, 10, 1).byReason.Drifted).toBe(1);
    expect(allowedDisruptions(np, NOW, 10, 5).byReason.Drifted).toBe(0);
  });
  it("reports what the budgets allow before the nodes already disrupting (the allowed_disruptions metric, as Karpenter)", () => {
    const np = nodePool("p", { budgets: [{ nodes: "2" }] });
    expect(allowedDisruptions(np, NOW, 10, 1)).toMatchObject({ byReason: { Drifted: 1 }, budgeted: { Drifted: 2 } });
    expect(allowedDisruptions(np, NOW, 10, 5).budgeted).toEqual({ Empty: 2, Underutilized: 2, Drifted: 2 });
    const pass = computeCommand({ nodePools: [np], nodes: [node("a", { nodePoolName: "p", markedForDeletion: true })] }, NOW, { simulator: firstFitSimulator(), methods: [] });
    expect(pass.allowed).toEqual({ p: { Empty: 2, Underutilized: 2, Drifted: 2 } });
  });
  it("a reason no active budget limits is unlimited as Karpenter's math.MaxInt32", () => {
    const np = nodePool("p", { budgets: [{ nodes: "0", reasons: ["Drifted"] }] });
    expect(allowedDisruptions(np, NOW, 10, 3).budgeted).toEqual({ Empty: 2147483647, Underutilized: 2147483647, Drifted: 0 });
    expect(allowedDisruptions(np, NOW, 10, 3).byReason.Empty).toBe(2147483644);
  });
  it("takes the minimum across active budgets", () => {
    const np = nodePool("p", { budgets: [{ nodes: "50%" }, { nodes: "3" }] });
    expect(allowedDisruptions(np, NOW, 20, 0).byReason.Underutilized).toBe(3);
  });
  it("applies a budget with reasons only to those reasons", () => {
    const np = nodePool("p", { budgets: [{ nodes: "10" }, { nodes: "1", reasons: ["Drifted"] }, { nodes: "0", reasons: ["Empty"] }] });
    expect(allowedDisruptions(np, NOW, 20, 0).byReason).toEqual({ Empty: 0, Underutilized: 10, Drifted: 1 });
  });
  it("applies a scheduled budget only inside its window (UTC)", () => {
    // Weekdays 09:00 for 8h: no disruption during business hours.
    const np = nodePool("p", { budgets: [{ nodes: "0", schedule: "0 9 * * mon-fri", duration: "8h" }, { nodes: "5" }] });
    expect(allowedDisruptions(np, new Date("2026-03-02T10:00:00Z"), 20, 0).byReason.Underutilized).toBe(0); // Monday 10:00
    expect(allowedDisruptions(np, new Date("2026-03-02T16:59:00Z"), 20, 0).byReason.Underutilized).toBe(0);
    expect(allowedDisruptions(np, new Date("2026-03-02T17:00:00Z"), 20, 0).byReason.Underutilized).toBe(5); // window over
    expect(allowedDisruptions(np, new Date("2026-03-02T08:59:00Z"), 20, 0).byReason.Underutilized).toBe(5);
    expect(allowedDisruptions(np, new Date("2026-03-07T10:00:00Z"), 20, 0).byReason.Underutilized).toBe(5); // Saturday
  });
  it("supports @daily style macros", () => {
    const np = nodePool("p", { budgets: [{ nodes: "0", schedule: "@daily", duration: "1h" }] });
    expect(allowedDisruptions(np, new Date("2026-03-02T00:30:00Z"), 4, 0).byReason.Empty).toBe(0);
    expect(allowedDisruptions(np, new Date("2026-03-02T01:30:00Z"), 4, 0).byReason.Empty).toBe(2147483647); // unlimited: Karpenter's math.MaxInt32
  });
  it("fails closed on a misconfigured budget and reports the field", () => {
    const np = nodePool("p", { budgets: [{ nodes: "1", schedule: "0 9 * *", duration: "1h" }, { nodes: "5" }] });
    const res = allowedDisruptions(np, NOW, 10, 0);
    expect(res.byReason.Underutilized).toBe(0);
    expect(res.errors[0]).toMatch(/NodePool p spec\.disruption\.budgets\[0\]\.schedule: .*expected 5 fields/);
    const missingDuration = nodePool("q", { budgets: [{ nodes: "1", schedule: "@daily" }] });
    expect(allowedDisruptions(missingDuration, NOW, 10, 0).errors[0]).toMatch(/'schedule' must be set with 'duration'/);
  });
  it("counts each pool's own nodes and deleting nodes across the cluster", () => {
    const snapshot = {
      nodePools: [nodePool("a", { budgets: [{ nodes: "50%" }] }), nodePool("b", { budgets: [{ nodes: "1" }] })],
      nodes: [node("a1", { nodePoolName: "a" }), node("a2", { nodePoolName: "a" }), node("a3", { nodePoolName: "a", markedForDeletion: true }),
        node("b1", { nodePoolName: "b", markedForDeletion: true })],
    };
    const res = allowedDisruptionsForCluster(snapshot, NOW);
    expect(res.get("a")!.byReason.Underutilized).toBe(1); // ceil(1.5)=2 minus 1 deleting
    expect(res.get("b")!.byReason.Underutilized).toBe(0);
  });
});
