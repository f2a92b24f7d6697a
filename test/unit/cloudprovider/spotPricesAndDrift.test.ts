import { assessSpotPrices } from "../../../src/cloudprovider/aws/spotPrices";
import { driftReason } from "../../../src/cloudprovider/aws/drift";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import type { CloudInstance } from "../../../src/cloudprovider/types";

const NOW = Date.UTC(2026, 5, 1);

describe("spot price history sanity check", () => {
  test("a believable market is used, latest price per type and zone", () => {
    const a = assessSpotPrices([
      { InstanceType: "m5.large", AvailabilityZone: "us-east-1a", SpotPrice: "0.040", Timestamp: new Date(NOW - 7200_000) },
      { InstanceType: "m5.large", AvailabilityZone: "us-east-1a", SpotPrice: "0.035", Timestamp: new Date(NOW - 3600_000) },
      { InstanceType: "m5.xlarge", AvailabilityZone: "us-east-1b", SpotPrice: "0.080", Timestamp: new Date(NOW - 3600_000) },
    ] as never, NOW);
    expect(a.ignoredReason).toBeUndefined();
    expect(a.prices.get("m5.large/us-east-1a")).toBe(0.035);
    expect(a.prices.get("m5.xlarge/us-east-1b")).toBe(0.08);
  });

  test("an emulator's constant price (moto answers 0.00001 dated 2006) is ignored with a reason", () => {
    const fake = Array.from({ length: 50 }, (_, i) => ({ InstanceType: `t${i}.large`, AvailabilityZone: "us-east-1a", SpotPrice: "0.00001", Timestamp: new Date("2006-01-01T00:00:00Z") }));
    const a = assessSpotPrices(fake as never, NOW);
    expect(a.prices.size).toBe(0);
    expect(a.ignoredReason).toMatch(/same value 0.00001/);
  });

  test("stale history is ignored", () => {
    const old = Array.from({ length: 3 }, (_, i) => ({ InstanceType: `t${i}.large`, AvailabilityZone: "us-east-1a", SpotPrice: String(0.01 * (i + 1)), Timestamp: new Date("2020-01-01T00:00:00Z") }));
    expect(assessSpotPrices(old as never, NOW).ignoredReason).toMatch(/over a year old/);
  });
});

describe("drift", () => {
  const amd = (id: string) => ({ id, requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] });
  const arm = (id: string) => ({ id, requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["arm64"] }] });
  const nc: EC2NodeClassLike = {
    metadata: { name: "default" },
    spec: { amiSelectorTerms: [], subnetSelectorTerms: [], securityGroupSelectorTerms: [] },
    status: { amis: [amd("ami-new"), arm("ami-arm"), amd("ami-old")], subnets: [{ id: "subnet-a", zone: "us-east-1a" }], securityGroups: [{ id: "sg-1" }] },
  };
  const inst = (over: Partial<CloudInstance>): CloudInstance => ({
    providerID: "aws:///us-east-1a/i-1", instanceID: "i-1", instanceType: "m5.large", zone: "us-east-1a", capacityType: "spot", state: "running",
    launchTime: new Date(0), tags: {}, imageID: "ami-new", subnetID: "subnet-a", securityGroupIDs: ["sg-1"], ...over,
  });

  test("an instance on the AMI its architecture would get now is not drifted", () => {
    expect(driftReason(inst({}), nc, "amd64")).toBe("");
    expect(driftReason(inst({ imageID: "ami-arm" }), nc, "arm64")).toBe("");
  });

  test("an older AMI that a newer one supersedes is AMIDrift, as is one no longer selected", () => {
    expect(driftReason(inst({ imageID: "ami-old" }), nc, "amd64")).toBe("AMIDrift");
    expect(driftReason(inst({ imageID: "ami-gone" }), nc)).toBe("AMIDrift");
  });

  test("security group and subnet changes are reported, AMI first", () => {
    expect(driftReason(inst({ securityGroupIDs: ["sg-1", "sg-2"] }), nc, "amd64")).toBe("SecurityGroupDrift");
    expect(driftReason(inst({ subnetID: "subnet-b" }), nc, "amd64")).toBe("SubnetDrift");
    expect(driftReason(inst({ imageID: "ami-old", subnetID: "subnet-b" }), nc, "amd64")).toBe("AMIDrift");
  });

  test("AMI drift maps the whole instance type (GPU AMIs), as Karpenter's MapToInstanceTypes", () => {
    const gpu = { id: "ami-gpu", requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, { key: "karpenter.k8s.aws/instance-gpu-count", operator: "Exists" }, { key: "karpenter.k8s.aws/instance-accelerator-manufacturer", operator: "In", values: ["nvidia"] }] };
    const std = { id: "ami-std", requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, { key: "karpenter.k8s.aws/instance-accelerator-manufacturer", operator: "NotIn", values: ["nvidia"] }] };
    const withGpu: EC2NodeClassLike = { ...nc, status: { ...nc.status, amis: [gpu, std] } };
    const p3 = { "kubernetes.io/arch": "amd64", "karpenter.k8s.aws/instance-gpu-count": "1", "karpenter.k8s.aws/instance-accelerator-manufacturer": "nvidia" };
    expect(driftReason(inst({ imageID: "ami-gpu" }), withGpu, p3)).toBe("");
    expect(driftReason(inst({ imageID: "ami-std" }), withGpu, p3)).toBe("AMIDrift");
  });
  test("security groups compare as sets", () => {
    expect(driftReason(inst({ securityGroupIDs: ["sg-1", "sg-1"] }), nc, "amd64")).toBe("");
  });
});
