// MinValuesPolicy as Karpenter v1.14's scheduler applies it (addToNewNodeClaim / filterInstanceTypesByRequirements):
// Strict leaves a pod pending when its NodeClaim's options cannot meet a minValues; BestEffort opens the NodeClaim
// anyway with each unmet minValues lowered to the distinct values its options offer, marks it relaxed, and pods
// added to it later keep to the lowered minValues (they do not relax it further: they open their own NodeClaim).
import { checkPlan } from "./checker";
import { catalog, claimOf, nodePool, pod, run } from "./helpers";
import type { SchedulingInput } from "../../../src/scheduling/types";

const FAMILY = "karpenter.k8s.aws/instance-family";
const familyReq = (r: { requirements: Array<{ key: string; minValues?: number; values?: string[] }> }) =>
  r.requirements.find((x) => x.key === FAMILY);
const pool = (values: string[], minValues: number) =>
  nodePool("default", { requirements: [{ key: FAMILY, operator: "In", values, minValues }] });

describe("MinValuesPolicy", () => {
  it("Strict (the default): a pod whose only options offer fewer families than minValues stays pending", () => {
    const r = run({ pods: [pod({ name: "a", nodeSelector: { [FAMILY]: "m5" } })], nodePools: [pool(["m5", "c5", "r5"], 3)] });
    expect(r.newNodeClaims).toHaveLength(0);
    expect(r.unschedulable[0]!.reason).toMatch(/minValues 3 on karpenter.k8s.aws\/instance-family/);
  });

  it("BestEffort: the NodeClaim opens with minValues lowered to what its options offer, and says it was relaxed", () => {
    const input: Partial<SchedulingInput> & { pods: SchedulingInput["pods"] } = {
      pods: [pod({ name: "a", nodeSelector: { [FAMILY]: "m5" } })],
      nodePools: [pool(["m5", "c5", "r5"], 3)],
      options: { minValuesPolicy: "BestEffort" },
    };
    const r = run(input);
    expect(r.unschedulable).toHaveLength(0);
    const c = claimOf(r, "a")!;
    expect(c.minValuesRelaxed).toBe(true);
    expect(familyReq(c)).toEqual({ key: FAMILY, operator: "In", values: ["m5"], minValues: 1 });
    expect(new Set(c.instanceTypeOptions.map((t) => t.labels[FAMILY]))).toEqual(new Set(["m5"]));
    expect(checkPlan({ instanceTypes: catalog, ...input } as SchedulingInput, r, catalog)).toEqual([]);
  });

  it("BestEffort with minValues met: nothing relaxed, minValues as written", () => {
    const r = run({ pods: [pod({ name: "a" })], nodePools: [pool(["m5", "c5", "r5"], 2)], options: { minValuesPolicy: "BestEffort" } });
    const c = claimOf(r, "a")!;
    expect(c.minValuesRelaxed).toBe(false);
    expect(familyReq(c)!.minValues).toBe(2);
    expect(new Set(c.instanceTypeOptions.map((t) => t.labels[FAMILY])).size).toBeGreaterThanOrEqual(2);
  });

  it("BestEffort lowers minValues only to the count its options still offer (2 of 3 families)", () => {
    const r = run({
      pods: [pod({ name: "a", affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: FAMILY, operator: "In", values: ["m5", "c5"] }] }] } } } })],
      nodePools: [pool(["m5", "c5", "r5"], 3)],
      options: { minValuesPolicy: "BestEffort" },
    });
    const c = claimOf(r, "a")!;
    expect(c.minValuesRelaxed).toBe(true);
    expect(familyReq(c)!.minValues).toBe(2);
    expect(new Set(c.instanceTypeOptions.map((t) => t.labels[FAMILY]))).toEqual(new Set(["m5", "c5"]));
  });

  it("BestEffort: a later pod that would narrow a relaxed NodeClaim below its lowered minValues gets its own", () => {
    // a (bigger, scheduled first) opens with families {m5, c5}: minValues 3 → 2. b needs m5 only: joining would leave
    // one family, under the lowered 2, so b opens a NodeClaim of its own, relaxed to 1 (Karpenter's in-flight adds
    // never relax). Without capsicum's cost-improvement pass, which may then move a onto b's NodeClaim (valid too:
    // a's families include m5, and b's minValues 1 holds), this is Karpenter's first-fit result.
    const r = run({
      pods: [
        pod({ name: "a", cpu: "2", affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: FAMILY, operator: "In", values: ["m5", "c5"] }] }] } } } }),
        pod({ name: "b", cpu: "1", nodeSelector: { [FAMILY]: "m5" } }),
      ],
      nodePools: [pool(["m5", "c5", "r5"], 3)],
      options: { minValuesPolicy: "BestEffort", improve: false },
    });
    expect(r.unschedulable).toHaveLength(0);
    const a = claimOf(r, "a")!, b = claimOf(r, "b")!;
    expect(a.name).not.toBe(b.name);
    expect(familyReq(a)!.minValues).toBe(2);
    expect(familyReq(b)!.minValues).toBe(1);
    expect([a.minValuesRelaxed, b.minValuesRelaxed]).toEqual([true, true]);
  });

  it("Strict: a pod that would break the minValues of a planned NodeClaim does not join it", () => {
    const r = run({
      pods: [pod({ name: "a", cpu: "2" }), pod({ name: "b", cpu: "1", nodeSelector: { [FAMILY]: "m5" } })],
      nodePools: [pool(["m5", "c5", "r5"], 2)],
    });
    expect(claimOf(r, "a")!.minValuesRelaxed).toBe(false);
    expect(claimOf(r, "b")).toBeUndefined();
    expect(r.unschedulable.map((u) => u.pod.metadata.name)).toEqual(["b"]);
  });
});
