import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { applyDefaults, validateEC2NodeClass, validateNodeClaim, validateNodePool } from "../../../policies/validate";
import { gettingStarted, nodeClaim, nodeClass, nodePool } from "./fixtures";

const catalog = loadCatalog();

describe("Karpenter guide documents are accepted", () => {
  it("accepts the getting-started NodePool against the real catalog", () => {
    const r = validateNodePool(gettingStarted().nodePool, { catalog, nodeClassExists: () => true });
    expect(r.errors).toEqual([]);
    expect(r.allowed).toBe(true);
    expect(r.warnings).toEqual([]);
  });

  it("accepts the getting-started EC2NodeClass", () => {
    expect(validateEC2NodeClass(gettingStarted().nodeClass)).toEqual({ allowed: true, errors: [], warnings: [], findings: [] });
  });

  it("accepts a NodeClaim and an unchanged NodeClaim update", () => {
    expect(validateNodeClaim(nodeClaim()).allowed).toBe(true);
    expect(validateNodeClaim(nodeClaim(), { oldObject: nodeClaim() }).allowed).toBe(true);
  });

  it("accepts a static NodePool with only limits.nodes, Gte/Lte operators and Balanced consolidation", () => {
    const np = nodePool(p => {
      p.spec.replicas = 3;
      p.spec.limits = { nodes: "10" };
      p.spec.template.spec.requirements.push({ key: "karpenter.k8s.aws/instance-cpu", operator: "Gte", values: ["4"] },
        { key: "karpenter.k8s.aws/instance-cpu", operator: "Lte", values: ["32"] });
    });
    expect(validateNodePool(np, { catalog }).errors).toEqual([]);
    const balanced = nodePool(p => { p.spec.disruption.consolidationPolicy = "Balanced"; });
    expect(validateNodePool(balanced).allowed).toBe(true);
  });

  it("accepts budgets with schedules, reasons and counts", () => {
    const np = nodePool(p => {
      p.spec.disruption.budgets = [
        { nodes: "20%", reasons: ["Empty", "Drifted"] },
        { nodes: "5" },
        { nodes: "0", schedule: "0 9 * * mon-fri", duration: "8h" },
        { nodes: "0", schedule: "@daily", duration: "1h30m" },
      ];
    });
    expect(validateNodePool(np).errors).toEqual([]);
  });

  it("accepts an EC2NodeClass with instanceProfile, amiFamily + ids, block devices and kubelet", () => {
    const nc = nodeClass(c => {
      delete c.spec.role;
      c.spec.instanceProfile = "KarpenterNodeInstanceProfile";
      c.spec.amiFamily = "AL2023";
      c.spec.amiSelectorTerms = [{ id: "ami-0123abcd" }, { name: "my-ami-*", owner: "self" }];
      c.spec.blockDeviceMappings = [{ deviceName: "/dev/xvda", rootVolume: true, ebs: { volumeSize: "100Gi", volumeType: "gp3", iops: 3000, throughput: 250, encrypted: true } }];
      c.spec.kubelet = { maxPods: 110, systemReserved: { cpu: "100m", memory: "100Mi" }, evictionHard: { "memory.available": "5%" }, imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80, clusterDNS: ["10.100.0.10"] };
      c.spec.tags = { team: "platform" };
    });
    expect(validateEC2NodeClass(nc).errors).toEqual([]);
  });

  it("allows a reference to a missing EC2NodeClass with a warning (Git sync order)", () => {
    const r = validateNodePool(gettingStarted().nodePool, { nodeClassExists: () => false });
    expect(r.allowed).toBe(true);
    expect(r.warnings.join()).toContain('EC2NodeClass "default" does not exist yet');
  });

  it("does not warn when existence is unknown", () => {
    expect(validateNodePool(gettingStarted().nodePool, { nodeClassExists: () => undefined }).warnings).toEqual([]);
  });
});

describe("defaults", () => {
  it("fills Karpenter's NodePool defaults without touching the input", () => {
    const input = nodePool(p => { delete p.spec.disruption; delete p.spec.template.spec.expireAfter; });
    const d = applyDefaults("NodePool", input);
    expect(d.spec.disruption).toEqual({ consolidateAfter: "0s", consolidationPolicy: "WhenEmptyOrUnderutilized", budgets: [{ nodes: "10%" }] });
    expect(d.spec.template.spec.expireAfter).toBe("720h");
    expect(input.spec.disruption).toBeUndefined();
  });

  it("keeps user values and fills only what is missing", () => {
    const d = applyDefaults("NodePool", nodePool(p => { p.spec.disruption = { consolidateAfter: "5m", budgets: [{ reasons: ["Empty"] }] }; }));
    expect(d.spec.disruption).toEqual({ consolidateAfter: "5m", consolidationPolicy: "WhenEmptyOrUnderutilized", budgets: [{ nodes: "10%", reasons: ["Empty"] }] });
  });

  it("fills EC2NodeClass metadataOptions (IMDSv2 required) and partial metadataOptions", () => {
    expect(applyDefaults("EC2NodeClass", nodeClass()).spec.metadataOptions).toEqual({ httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" });
    expect(applyDefaults("EC2NodeClass", nodeClass(c => { c.spec.metadataOptions = { httpPutResponseHopLimit: 2 }; })).spec.metadataOptions)
      .toEqual({ httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 2, httpTokens: "required" });
  });

  it("fills NodeClaim expireAfter", () => {
    expect(applyDefaults("NodeClaim", nodeClaim()).spec.expireAfter).toBe("720h");
  });
});

describe("immutability", () => {
  it("allows NodePool updates that keep nodeClassRef group/kind and change the name", () => {
    const r = validateNodePool(nodePool(p => { p.spec.template.spec.nodeClassRef.name = "other"; }), { oldObject: nodePool() });
    expect(r.allowed).toBe(true);
  });

  it("rejects a nodeClassRef group change on update but not on create", () => {
    const changed = nodePool(p => { p.spec.template.spec.nodeClassRef.group = "example.com"; });
    const onUpdate = validateNodePool(changed, { oldObject: nodePool() });
    expect(onUpdate.errors.map(e => e.message).join()).toContain("nodeClassRef.group is immutable");
    const onCreate = validateNodePool(changed);
    expect(onCreate.errors.map(e => e.message).join()).not.toContain("immutable");
  });

  it("allows NodeClaim metadata/status changes when spec is unchanged", () => {
    const updated = nodeClaim(c => { c.metadata.labels = { a: "b" }; c.status = { nodeName: "n1" }; });
    expect(validateNodeClaim(updated, { oldObject: nodeClaim() }).allowed).toBe(true);
  });
});
