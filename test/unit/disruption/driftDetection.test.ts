import { driftReason } from "../../../src/disruption/driftDetection";
import { NODEPOOL_HASH_ANNOTATION, NODEPOOL_HASH_VERSION_ANNOTATION, nodePoolHash, nodePoolHashAnnotations } from "../../../src/disruption/hash";
import type { NodePoolLike } from "../../../src/disruption/types";
import { node, nodePool } from "./fixtures";

const clone = (np: NodePoolLike): NodePoolLike => JSON.parse(JSON.stringify(np)) as NodePoolLike;

describe("nodePoolHash", () => {
  const base = nodePool("p", {}, { taints: [{ key: "a", effect: "NoSchedule" }, { key: "b", value: "1", effect: "NoExecute" }], expireAfter: "720h" });

  it("is deterministic and a decimal string", () => {
    expect(nodePoolHash(base)).toBe(nodePoolHash(clone(base)));
    expect(nodePoolHash(base)).toMatch(/^[0-9]+$/);
  });
  it("changes when template labels, annotations, taints, nodeClassRef, expireAfter or terminationGracePeriod change", () => {
    const mutations: Array<(np: NodePoolLike) => void> = [
      np => { np.spec.template.metadata!.labels!["team"] = "b"; },
      np => { np.spec.template.metadata!.annotations = { x: "y" }; },
      np => { np.spec.template.spec.taints!.push({ key: "c", effect: "NoSchedule" }); },
      np => { np.spec.template.spec.startupTaints = [{ key: "s", effect: "NoSchedule" }]; },
      np => { np.spec.template.spec.nodeClassRef.name = "other"; },
      np => { np.spec.template.spec.expireAfter = "24h"; },
      np => { np.spec.template.spec.terminationGracePeriod = "1h"; },
    ];
    for (const m of mutations) {
      const np = clone(base);
      m(np);
      expect(nodePoolHash(np)).not.toBe(nodePoolHash(base));
    }
  });
  it("ignores requirements, disruption settings and taint order", () => {
    const np = clone(base);
    np.spec.template.spec.requirements = [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }];
    np.spec.disruption = { consolidationPolicy: "WhenEmpty", budgets: [{ nodes: "1" }] };
    np.spec.template.spec.taints!.reverse();
    expect(nodePoolHash(np)).toBe(nodePoolHash(base));
  });
  it("as Karpenter (Go decodes [] and {} to non-nil values), an explicit empty list or map is not an absent one", () => {
    const np = clone(base);
    np.spec.template.spec.startupTaints = [];
    expect(nodePoolHash(np)).not.toBe(nodePoolHash(base));
  });
});

describe("driftReason", () => {
  const np = nodePool("p", {}, { requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }, { key: "karpenter.k8s.aws/instance-cpu", operator: "Gte", values: ["4"] }] });
  const stamped = (over: Partial<ReturnType<typeof node>> = {}) => node("n1", { nodeClaimAnnotations: nodePoolHashAnnotations(np), labels: { "karpenter.sh/capacity-type": "on-demand", "karpenter.k8s.aws/instance-cpu": "4" }, ...over });

  it("is empty for a NodeClaim launched from the current template", () => {
    expect(driftReason(stamped(), np)).toBe("");
  });
  it("reports NodePoolDrifted after a template label change", () => {
    const changed = clone(np);
    changed.spec.template.metadata!.labels!["team"] = "z";
    expect(driftReason(stamped(), changed)).toBe("NodePoolDrifted");
  });
  it("does not report drift when the NodeClaim has no hash version (Karpenter needs all four annotations)", () => {
    const changed = clone(np);
    changed.spec.template.metadata!.labels!["team"] = "z";
    const n = stamped({ nodeClaimAnnotations: { [NODEPOOL_HASH_ANNOTATION]: "123" } });
    expect(driftReason(n, changed)).toBe("");
  });
  it("does not report drift when only the hash version differs (re-annotation, not drift)", () => {
    const changed = clone(np);
    changed.spec.template.metadata!.labels!["team"] = "z";
    const n = stamped({ nodeClaimAnnotations: { [NODEPOOL_HASH_ANNOTATION]: "123", [NODEPOOL_HASH_VERSION_ANNOTATION]: "v2" } });
    expect(driftReason(n, changed)).toBe("");
  });
  it("reports RequirementsDrifted when labels no longer satisfy the pool's requirements", () => {
    expect(driftReason(stamped({ labels: { "karpenter.sh/capacity-type": "spot" } }), np)).toBe("RequirementsDrifted");
    expect(driftReason(stamped({ labels: { "karpenter.k8s.aws/instance-cpu": "2" } }), np)).toBe("RequirementsDrifted");
  });
  it("passes through the cloud provider's drift reason otherwise", () => {
    expect(driftReason(stamped(), np, "AMIDrift")).toBe("AMIDrift");
  });
});
