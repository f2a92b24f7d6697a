// The one set of pod predicates and the one label-selector matcher, with the edge cases where the former copies
// disagreed (ownership via a non-controller owner reference, unknown selector operators).
import { isMirrorPod, isOwnedByDaemonSet, isOwnedByNode, isReschedulable, isTerminal, podKey } from "../../../src/apis/pods";
import { LabelSelectorError, matchesLabelSelector } from "../../../src/apis/labelSelector";
import { isProvisionable } from "../../../src/kube/clusterState";

const pod = (over: Record<string, unknown> = {}, status: Record<string, unknown> = {}) => ({ metadata: { name: "p", ...over }, status });

describe("pod predicates", () => {
  it("podKey defaults the namespace as kubectl does", () => {
    expect(podKey(pod())).toBe("default/p");
    expect(podKey(pod({ namespace: "kube-system" }))).toBe("kube-system/p");
  });
  it("terminal means Succeeded or Failed", () => {
    expect(isTerminal(pod({}, { phase: "Succeeded" }))).toBe(true);
    expect(isTerminal(pod({}, { phase: "Failed" }))).toBe(true);
    expect(isTerminal(pod({}, { phase: "Running" }))).toBe(false);
    expect(isTerminal(undefined)).toBe(false);
  });
  it("ownership is any owner reference of the kind, as Karpenter's IsOwnedBy (not only the controller)", () => {
    const ds = pod({ ownerReferences: [{ kind: "DaemonSet", name: "d" }] });
    expect(isOwnedByDaemonSet(ds)).toBe(true);
    expect(isOwnedByNode(pod({ ownerReferences: [{ kind: "Node", name: "n" }] }))).toBe(true);
    expect(isOwnedByDaemonSet(pod({ ownerReferences: [{ kind: "ReplicaSet", name: "r" }] }))).toBe(false);
    const pending = { ...ds, spec: {}, status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] } };
    expect(isProvisionable(pending as never)).toBe(false);
    expect(isProvisionable({ ...pending, metadata: { name: "p" } } as never)).toBe(true);
  });
  it("reschedulable excludes finished, DaemonSet, static and mirror pods", () => {
    expect(isReschedulable(pod())).toBe(true);
    expect(isReschedulable(pod({}, { phase: "Failed" }))).toBe(false);
    expect(isReschedulable(pod({ ownerReferences: [{ kind: "DaemonSet" }] }))).toBe(false);
    expect(isReschedulable(pod({ ownerReferences: [{ kind: "Node" }] }))).toBe(false);
    const mirror = pod({ annotations: { "kubernetes.io/config.mirror": "abc" } });
    expect(isMirrorPod(mirror)).toBe(true);
    expect(isReschedulable(mirror)).toBe(false);
  });
});

describe("label selector", () => {
  it("a missing selector matches nothing, an empty one everything", () => {
    expect(matchesLabelSelector(undefined, { a: "1" })).toBe(false);
    expect(matchesLabelSelector(null, { a: "1" })).toBe(false);
    expect(matchesLabelSelector({}, {})).toBe(true);
  });
  it("NotIn and DoesNotExist match an absent label; In and Exists do not", () => {
    expect(matchesLabelSelector({ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, {})).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: "a", operator: "DoesNotExist" }] }, {})).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: ["1"] }] }, {})).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: "a", operator: "Exists" }] }, {})).toBe(false);
  });
  it("an unknown operator is an error naming it, everywhere (the PDB copy silently matched nothing)", () => {
    expect(() => matchesLabelSelector({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }, { a: "2" })).toThrow(LabelSelectorError);
    expect(() => matchesLabelSelector({ matchExpressions: [{ key: "a", operator: "Equals" }] }, {})).toThrow(/unknown operator "Equals" on "a"/);
  });
});
