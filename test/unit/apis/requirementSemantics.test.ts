// One requirement model, pinned at every former call site: the absent-label rule, bounded operators on
// non-integer values and unknown operators mean the same thing (Karpenter's) wherever requirements are evaluated.
import { OPERATORS, Requirement, RequirementError, Requirements } from "../../../src/apis/requirements";
import { compatible, requirementAllows } from "../../../src/cloudprovider/aws/requirements";
import { driftReason } from "../../../src/disruption/driftDetection";
import { nodePoolHashAnnotations } from "../../../src/disruption/hash";
import { nodeClaimFromPlan } from "../../../src/provisioning/nodeClaimFromPlan";
import { checkSatisfiable } from "../../../policies/validate/satisfiability";
import { requirementErrorsV1alpha5 } from "../../../policies/validate/v1alpha5Checks";
import type { CatalogInstanceType } from "../../../policies/validate/types";
import type { NodePool } from "../../../src/apis/generated/nodepools";
import type { NewNodeClaim } from "../../../src/scheduling/types";
import { node, nodePool } from "../disruption/fixtures";

type Req = { key: string; operator: string; values?: string[] };
const GPU = "karpenter.k8s.aws/instance-gpu-name";
const CPU = "karpenter.k8s.aws/instance-cpu";

describe("the requirement model", () => {
  it("an absent label satisfies only NotIn and DoesNotExist", () => {
    const allowsAbsent = (r: Req) => Requirement.from(r).allows(undefined);
    expect(allowsAbsent({ key: "k", operator: "NotIn", values: ["a"] })).toBe(true);
    expect(allowsAbsent({ key: "k", operator: "DoesNotExist" })).toBe(true);
    expect(allowsAbsent({ key: "k", operator: "In", values: ["a"] })).toBe(false);
    expect(allowsAbsent({ key: "k", operator: "Exists" })).toBe(false);
    for (const op of ["Gt", "Lt", "Gte", "Lte"]) expect(allowsAbsent({ key: "k", operator: op, values: ["1"] })).toBe(false);
  });
  it("bounded operators reject non-integer label values", () => {
    for (const v of ["1.5", "abc", "", "0x10", "1e3", " 8"]) {
      expect(Requirement.from({ key: "k", operator: "Gt", values: ["0"] }).allows(v)).toBe(false);
      expect(Requirement.from({ key: "k", operator: "Lte", values: ["5000"] }).allows(v)).toBe(false);
    }
    expect(Requirement.from({ key: "k", operator: "Gt", values: ["0"] }).allows("-0")).toBe(false);
    expect(Requirement.from({ key: "k", operator: "Gte", values: ["-2"] }).allows("-2")).toBe(true);
  });
  it("an unknown operator or a non-integer bound is an explicit result naming the field, not a throw or a skip", () => {
    const bad = Requirement.parse({ key: "k", operator: "Equals", values: ["a"] }, "spec.requirements[3]");
    expect(bad).toBeInstanceOf(RequirementError);
    expect((bad as RequirementError).field).toBe("spec.requirements[3].operator");
    expect((bad as RequirementError).message).toMatch(/unknown operator "Equals".*In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte, Lte/);
    const bound = Requirement.parse({ key: "k", operator: "Gt", values: ["1.5"] });
    expect(bound).toBeInstanceOf(RequirementError);
    expect((bound as RequirementError).field).toBe("requirement.values");
    expect(Requirement.parse({ key: "k", operator: "In", values: ["a"] })).toBeInstanceOf(Requirement);
    expect(OPERATORS).toEqual(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"]);
  });
  it("customLabels gives every custom key a value it allows, and none to well-known or restricted-domain keys", () => {
    const labels = Requirements.fromNodeSelector([
      { key: "team", operator: "In", values: ["b", "a"] },
      { key: "tier", operator: "Exists" },
      { key: "slot", operator: "Gt", values: ["7"] },
      { key: "ring", operator: "NotIn", values: ["0", "1"] },
      { key: "gone", operator: "DoesNotExist" },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
      { key: "node-role.kubernetes.io/worker", operator: "Exists" },
      { key: "example.com/x", operator: "Lt", values: ["0"] },
    ]).customLabels();
    expect(labels).toEqual({ team: "a", tier: "0", slot: "8", ring: "2" });
  });
});

describe("AWS launch path (cloudprovider/aws/requirements)", () => {
  it("absent well-known labels: NotIn/DoesNotExist match, In/Exists do not; absent custom labels do not constrain", () => {
    const noGpu = { [CPU]: "4" };
    expect(compatible([{ key: GPU, operator: "NotIn", values: ["t4"] }], noGpu)).toBe(true);
    expect(compatible([{ key: GPU, operator: "DoesNotExist" }], noGpu)).toBe(true);
    expect(compatible([{ key: GPU, operator: "In", values: ["t4"] }], noGpu)).toBe(false);
    expect(compatible([{ key: GPU, operator: "Exists" }], noGpu)).toBe(false);
    expect(compatible([{ key: "team", operator: "In", values: ["a"] }], noGpu)).toBe(true);
  });
  it("Gt on a non-integer label does not match", () => {
    expect(compatible([{ key: CPU, operator: "Gt", values: ["1"] }], { [CPU]: "4.5" })).toBe(false);
    expect(compatible([{ key: CPU, operator: "Gt", values: ["1"] }], { [CPU]: "4" })).toBe(true);
  });
  it("an unknown operator is an error naming the requirement and the operators to use", () => {
    expect(() => requirementAllows({ key: CPU, operator: "Equals", values: ["4"] }, "4")).toThrow(RequirementError);
    expect(() => compatible([{ key: CPU, operator: "Equals", values: ["4"] }], { [CPU]: "4" })).toThrow(
      /requirement karpenter.k8s.aws\/instance-cpu.operator: unknown operator "Equals".*Gte, Lte/,
    );
  });
});

describe("drift detection (disruption/driftDetection)", () => {
  const drift = (req: Req, labels: Record<string, string>) => {
    const np = nodePool("p", {}, { requirements: [req] as never });
    return driftReason(node("n", { labels, nodeClaimAnnotations: nodePoolHashAnnotations(np) }), np);
  };
  it("an absent label is drift unless the requirement is NotIn or DoesNotExist (Karpenter's StrictlyCompatible)", () => {
    expect(drift({ key: "team", operator: "NotIn", values: ["b"] }, {})).toBe("");
    expect(drift({ key: "team", operator: "DoesNotExist" }, {})).toBe("");
    expect(drift({ key: "team", operator: "In", values: ["a"] }, {})).toBe("RequirementsDrifted");
    expect(drift({ key: "team", operator: "Exists" }, {})).toBe("RequirementsDrifted");
    expect(drift({ key: CPU, operator: "Gte", values: ["2"] }, {})).toBe("RequirementsDrifted");
    expect(drift({ key: "team", operator: "DoesNotExist" }, { team: "a" })).toBe("RequirementsDrifted");
  });
  it("Gt on a non-integer label is drift", () => {
    expect(drift({ key: CPU, operator: "Gt", values: ["1"] }, { [CPU]: "4.5" })).toBe("RequirementsDrifted");
    expect(drift({ key: CPU, operator: "Gt", values: ["1"] }, { [CPU]: "4" })).toBe("");
  });
  it("an unknown operator is not a reason to roll nodes (the CRDs deny it)", () => {
    expect(drift({ key: "team", operator: "Equals", values: ["z"] }, { team: "a" })).toBe("");
  });
  it("a NodeClaim created for custom In/Exists requirements carries labels that keep it undrifted", () => {
    const reqs = [
      { key: "team", operator: "In", values: ["a", "b"] },
      { key: "tier", operator: "Exists" },
    ];
    const np = { metadata: { name: "p" }, spec: { template: { spec: { requirements: reqs, nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" } } } } } as unknown as NodePool;
    const plan = { name: "p-x", nodePool: "p", nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: reqs, labels: {}, taints: [], startupTaints: [], instanceTypeOptions: [{ name: "m5.large" }], requests: {} } as unknown as NewNodeClaim;
    const nc = nodeClaimFromPlan(plan, np, "p-abcde");
    expect(nc.metadata.labels).toMatchObject({ team: "a", tier: "0", "karpenter.sh/nodepool": "p" });
    const info = node("n", { labels: nc.metadata.labels as Record<string, string>, nodeClaimAnnotations: nc.metadata.annotations as Record<string, string> });
    expect(driftReason(info, np as never)).toBe("");
  });
});

describe("admission satisfiability (policies/validate/satisfiability)", () => {
  const offer = [{ zone: "us-east-1a", capacityType: "on-demand", price: 1, available: true }];
  const catalog: CatalogInstanceType[] = [
    { name: "m5.large", labels: { [CPU]: "2" }, offerings: offer },
    { name: "g4dn.xlarge", labels: { [CPU]: "4", [GPU]: "t4" }, offerings: offer },
    { name: "odd.large", labels: { [CPU]: "2.5" }, offerings: offer },
  ];
  const left = (r: Req) => checkSatisfiable([r], catalog).remaining;
  it("types without the label satisfy NotIn/DoesNotExist and fail In/Exists", () => {
    expect(left({ key: GPU, operator: "NotIn", values: ["t4"] })).toBe(2);
    expect(left({ key: GPU, operator: "DoesNotExist" })).toBe(2);
    expect(left({ key: GPU, operator: "Exists" })).toBe(1);
    expect(left({ key: GPU, operator: "In", values: ["t4"] })).toBe(1);
  });
  it("Gt does not match a non-integer label", () => {
    expect(left({ key: CPU, operator: "Gt", values: ["1"] })).toBe(2);
    expect(checkSatisfiable([{ key: CPU, operator: "Gt", values: ["4"] }], catalog).ok).toBe(false);
  });
  it("an unknown operator is left to the CRDs' denial, not reported as unsatisfiable", () => {
    expect(checkSatisfiable([{ key: CPU, operator: "Equals", values: ["64"] }], catalog)).toEqual({ ok: true, remaining: 3 });
  });
  it("v1alpha5 Provisioners accept the model's operators except Gte/Lte", () => {
    const ops = (op: string) => requirementErrorsV1alpha5([{ key: "team", operator: op, values: ["1"] }]).map((e) => e.message);
    for (const op of ["In", "NotIn", "Gt", "Lt"]) expect(ops(op)).toEqual([]);
    expect(ops("Gte")[0]).toMatch(/unsupported operator Gte.*only in karpenter.sh\/v1/);
    expect(ops("Equals")[0]).toMatch(/unsupported operator Equals not in \[In NotIn Exists DoesNotExist Gt Lt\]/);
  });
});
