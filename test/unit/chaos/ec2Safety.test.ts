// Chaos scenario 12 and EC2 load: only instances tagged kubernetes.io/cluster/<name>=owned are ever terminated
// (another cluster's Karpenter-tagged instance in the same account is left alone), and drift checks share one
// DescribeInstances per pass instead of one per NodeClaim.
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { NodeClaimNotFoundError, type NodeClaimLike } from "../../../src/cloudprovider/types";

type Inst = { id: string; tags: Record<string, string>; state: string };

/** DescribeInstances with InstanceIds and tag/tag-key/state filters, TerminateInstances; every call counted. */
class FakeEc2 {
  readonly instances: Inst[] = [];
  readonly calls: string[] = [];
  terminated: string[] = [];
  async send(cmd: { constructor: { name: string }; input: Record<string, any> }): Promise<unknown> {
    const input = cmd.input;
    this.calls.push(cmd.constructor.name);
    switch (cmd.constructor.name) {
      case "DescribeInstancesCommand": {
        const found = this.instances.filter(i =>
          (!input.InstanceIds || input.InstanceIds.includes(i.id)) &&
          (input.Filters ?? []).every((f: { Name: string; Values: string[] }) =>
            f.Name === "instance-state-name" ? f.Values.includes(i.state)
              : f.Name === "tag-key" ? f.Values.some(v => v in i.tags)
                : f.Name.startsWith("tag:") ? f.Values.includes(i.tags[f.Name.slice(4)] ?? "\0") : true));
        return { Reservations: [{ Instances: found.map(i => ({ InstanceId: i.id, InstanceType: "m5.large", Placement: { AvailabilityZone: "us-east-1a" }, State: { Name: i.state }, LaunchTime: new Date(0), ImageId: "ami-1", SubnetId: "subnet-a", SecurityGroups: [{ GroupId: "sg-1" }], Tags: Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value })) })) }] };
      }
      case "TerminateInstancesCommand":
        this.terminated.push(...input.InstanceIds);
        for (const i of this.instances) if (input.InstanceIds.includes(i.id)) i.state = "shutting-down";
        return {};
      case "DescribeSpotPriceHistoryCommand":
        return { SpotPriceHistory: [] };
      default:
        throw new Error(`unexpected ${cmd.constructor.name}`);
    }
  }
}

const nodeClass = {
  metadata: { name: "default", generation: 1 },
  spec: { role: "r", amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [{ id: "subnet-a" }], securityGroupSelectorTerms: [{ id: "sg-1" }] },
  status: { subnets: [{ id: "subnet-a", zone: "us-east-1a" }], securityGroups: [{ id: "sg-1" }], amis: [{ id: "ami-1", requirements: [] }], instanceProfile: "p", conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "" }] },
} as unknown as EC2NodeClassLike;

function provider(ec2: FakeEc2, now = () => 1_000_000) {
  return new AwsCloudProvider({
    clusterName: "mine", clusterEndpoint: "https://k", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16", region: "us-east-1",
    nodeClassLookup: async () => nodeClass, now,
    clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
  });
}
const claim = (name: string, id: string): NodeClaimLike => ({
  metadata: { name, labels: { "karpenter.sh/nodepool": "default" } },
  spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
  status: { providerID: `aws:///us-east-1a/${id}` },
});
const ours = (id: string, nodeClaim = id): Inst => ({ id, state: "running", tags: { "kubernetes.io/cluster/mine": "owned", "karpenter.sh/nodepool": "default", "karpenter.sh/nodeclaim": nodeClaim } });
const foreign = (id: string): Inst => ({ id, state: "running", tags: { "kubernetes.io/cluster/other": "owned", "karpenter.sh/nodepool": "default", "karpenter.sh/nodeclaim": "default-x" } });

describe("chaos: EC2 safety and load", () => {
  it("never terminates another cluster's Karpenter-tagged instance, even when a NodeClaim points at it", async () => {
    const ec2 = new FakeEc2();
    ec2.instances.push(ours("i-mine"), foreign("i-theirs"));
    const p = provider(ec2);
    await expect(p.delete(claim("default-x", "i-theirs"))).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    await p.delete(claim("default-y", "i-mine"));
    expect(ec2.terminated).toEqual(["i-mine"]);
  });

  it("lists (for GC) only this cluster's instances", async () => {
    const ec2 = new FakeEc2();
    ec2.instances.push(ours("i-mine"), foreign("i-theirs"));
    expect((await provider(ec2).list()).map(i => i.instanceID)).toEqual(["i-mine"]);
  });

  it("checks drift for 200 NodeClaims with one DescribeInstances, not 200", async () => {
    const ec2 = new FakeEc2();
    for (let i = 0; i < 200; i++) ec2.instances.push(ours(`i-${i}`));
    let now = 1_000_000;
    const p = provider(ec2, () => now);
    for (let i = 0; i < 200; i++) expect(await p.isDrifted(claim(`c-${i}`, `i-${i}`))).toBe("");
    expect(ec2.calls.filter(c => c === "DescribeInstancesCommand")).toHaveLength(1);
    // Next pass, a minute later: one more.
    now += 60_000;
    for (let i = 0; i < 200; i++) await p.isDrifted(claim(`c-${i}`, `i-${i}`));
    expect(ec2.calls.filter(c => c === "DescribeInstancesCommand")).toHaveLength(2);
  });

  it("still detects drift from the shared snapshot", async () => {
    const ec2 = new FakeEc2();
    ec2.instances.push(ours("i-1"));
    const p = provider(ec2);
    (nodeClass.status as { securityGroups: Array<{ id: string }> }).securityGroups = [{ id: "sg-2" }];
    try {
      expect(await p.isDrifted(claim("c-1", "i-1"))).toBe("SecurityGroupDrift");
    } finally {
      (nodeClass.status as { securityGroups: Array<{ id: string }> }).securityGroups = [{ id: "sg-1" }];
    }
  });
});
