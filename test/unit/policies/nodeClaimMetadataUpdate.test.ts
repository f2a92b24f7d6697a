// The NodeClaim webhook never blocks the controller's own metadata updates (finalizer removal, labels): an update
// with an unchanged spec is admitted even when the stored object would fail today's checks; spec changes are
// still validated (Karpenter's NodeClaim spec is immutable).
import { validateNodeClaim } from "../../../policies/validate/nodeclaim";

const nodeClaim = (extra: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: "karpenter.sh/v1",
  kind: "NodeClaim",
  metadata: { name: "default-abcde", finalizers: ["karpenter.sh/termination"], labels: { "karpenter.sh/nodepool": "default" }, ...extra },
  spec: {
    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
    requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }],
    ...spec,
  },
});

describe("NodeClaim webhook on updates", () => {
  // A stored NodeClaim today's checks reject (an unknown spec field, e.g. written before a schema change).
  const stale = nodeClaim({}, { legacyField: "x" });

  it("the stale object is rejected when validated as a whole (the premise)", () => {
    expect(validateNodeClaim(stale).allowed).toBe(false);
  });

  it("removing the finalizer (metadata only) is admitted", () => {
    const updated = { ...stale, metadata: { ...stale.metadata, finalizers: [] } };
    const r = validateNodeClaim(updated, { oldObject: stale });
    expect(r).toEqual({ allowed: true, errors: [], warnings: [] });
  });

  it("a label/annotation update with the spec keys in another order is admitted", () => {
    const { nodeClassRef, requirements, legacyField } = stale.spec as Record<string, unknown>;
    const reordered = { ...stale, metadata: { ...stale.metadata, annotations: { a: "b" } }, spec: { legacyField, requirements, nodeClassRef } };
    expect(validateNodeClaim(reordered, { oldObject: stale }).allowed).toBe(true);
  });

  it("strict mode does not block metadata-only updates either", () => {
    const updated = { ...stale, metadata: { ...stale.metadata, finalizers: [] } };
    expect(validateNodeClaim(updated, { oldObject: stale, strict: true }).allowed).toBe(true);
  });

  it("a spec change is still validated: Karpenter's immutable spec rule denies it", () => {
    const old = nodeClaim();
    const changed = nodeClaim({}, { requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.xlarge"] }] });
    const r = validateNodeClaim(changed, { oldObject: old });
    expect(r.allowed).toBe(false);
    expect(r.errors.map((e) => e.message).join("\n")).toMatch(/immutable/i);
  });

  it("a create is validated in full", () => {
    expect(validateNodeClaim(nodeClaim({}, { legacyField: "x" })).allowed).toBe(false);
    expect(validateNodeClaim(nodeClaim()).allowed).toBe(true);
  });
});
