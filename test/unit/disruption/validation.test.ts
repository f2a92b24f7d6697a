import { computeCommand } from "../../../src/disruption/disruptionController";
import { singleNodeConsolidation } from "../../../src/disruption/methods/singleNodeConsolidation";
import { validateCommand } from "../../../src/disruption/validation";
import type { ClusterSnapshot } from "../../../src/disruption/types";
import { NOW, firstFitSimulator, node, nodePool, pod } from "./fixtures";

const later = new Date(NOW.getTime() + 15_000);
const sim = firstFitSimulator();

describe("command validation after the 15s delay", () => {
  const before: ClusterSnapshot = { nodePools: [nodePool()], nodes: [node("a", { pods: [pod({ name: "web" }, 500)] }), node("b", { pods: [pod({}, 1000)] })] };
  const cmd = computeCommand(before, NOW, { simulator: sim, methods: [singleNodeConsolidation] }).command!;

  it("accepts an unchanged cluster", () => {
    expect(cmd.decision).toBe("delete");
    expect(validateCommand(cmd, before, before, later, { simulator: sim })).toEqual({ valid: true });
  });
  it("rejects when a pod landed on a candidate in the meantime", () => {
    const after = { ...before, nodes: [node("a", { pods: [pod({ name: "web" }, 500), pod({ name: "new" }, 100)], lastPodEventTime: NOW }), before.nodes[1]!] };
    expect(validateCommand(cmd, before, after, later, { simulator: sim })).toEqual({ valid: false, reason: "pods on node a changed since the decision" });
  });
  it("rejects when a do-not-disrupt pod arrived", () => {
    const after = { ...before, nodes: [node("a", { pods: [pod({ name: "web", annotations: { "karpenter.sh/do-not-disrupt": "true" } }, 500)] }), before.nodes[1]!] };
    expect(validateCommand(cmd, before, after, later, { simulator: sim })).toMatchObject({ valid: false, reason: "node a is no longer a disruption candidate" });
  });
  it("rejects when the budget was used up by other disruptions", () => {
    const tight = { nodePools: [nodePool("default", { budgets: [{ nodes: "1" }] })], nodes: [...before.nodes, node("c", { markedForDeletion: true })] };
    expect(validateCommand(cmd, before, tight, later, { simulator: sim })).toMatchObject({ valid: false, reason: expect.stringMatching(/now allows 0 Underutilized disruption\(s\), command needs 1/) });
  });
  it("rejects a delete that would now need a replacement", () => {
    const after = { ...before, nodes: [before.nodes[0]!, node("b", { pods: [pod({}, 3900)] })] };
    const res = validateCommand(cmd, { ...before, nodes: [before.nodes[0]!, after.nodes[1]!] }, after, later, { simulator: sim });
    expect(res).toEqual({ valid: false, reason: "deleting the node(s) now needs a replacement" });
  });
  it("rejects an emptiness command once the node is no longer empty", () => {
    const empty = { nodePools: [nodePool()], nodes: [node("e")] };
    const emptyCmd = computeCommand(empty, NOW, { simulator: sim }).command!;
    const after = { ...empty, nodes: [node("e", { pods: [pod()], lastPodEventTime: new Date(NOW.getTime() - 3_600_000) })] };
    expect(validateCommand(emptyCmd, empty, after, later, { simulator: sim })).toEqual({ valid: false, reason: "node e is no longer empty" });
  });
});
