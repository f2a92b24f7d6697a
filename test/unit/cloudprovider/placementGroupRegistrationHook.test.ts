// Karpenter AWS v1.14's PlacementGroupRegistrationHook suite (pkg/cloudprovider/registrationhooks): a NodeClaim of a
// partition placement group whose partition was not known at launch (label "") is held in registration until
// DescribeInstances reports the instance's PartitionNumber, which becomes the label; every other NodeClaim passes.
// Plus the user's path through the AWS provider: a launch whose instance EC2 reports without a partition yet.
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import { InstanceProvider } from "../../../src/cloudprovider/aws/instances";
import { PlacementGroupRegistrationHook } from "../../../src/cloudprovider/aws/registrationHooks";
import type { NodeClaimLike } from "../../../src/cloudprovider/types";
import { type Input, LaunchingFakeEc2, readyNodeClass } from "./launchingFakeEc2";

const ID = "karpenter.k8s.aws/placement-group-id";
const PARTITION = "karpenter.k8s.aws/placement-group-partition";
const NOW = Date.parse("2026-12-01T12:00:00Z");

/** DescribeInstances over `instances` (by id), counting calls. */
class DescribingEc2 {
  instances: Input[] = [];
  describeCalls = 0;
  async send(cmd: { constructor: { name: string }; input: Input }): Promise<unknown> {
    if (cmd.constructor.name !== "DescribeInstancesCommand") throw new Error(`unexpected ${cmd.constructor.name}`);
    this.describeCalls++;
    const ids = cmd.input.InstanceIds as string[];
    return { Reservations: [{ Instances: this.instances.filter((i) => ids.includes(i.InstanceId)) }] };
  }
  store(id: string, partition?: number): void {
    this.instances.push({
      InstanceId: id,
      InstanceType: "m5.large",
      State: { Name: "running" },
      LaunchTime: new Date(NOW),
      Placement: { AvailabilityZone: "test-zone-1a", ...(partition ? { PartitionNumber: partition } : {}) },
      Tags: [{ Key: "kubernetes.io/cluster/c", Value: "owned" }],
    });
  }
}

function hookWith() {
  const ec2 = new DescribingEc2();
  const instances = new InstanceProvider(ec2 as never, "c", true);
  return { ec2, hook: new PlacementGroupRegistrationHook((id) => instances.get(id)) };
}

function nodeClaim(labels: Record<string, string>, providerID = ""): NodeClaimLike {
  return {
    metadata: { name: "nc", labels },
    spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
    status: providerID ? { providerID } : {},
  };
}

describe("PlacementGroupRegistrationHook", () => {
  test("passes through at once for a NodeClaim outside any placement group", async () => {
    const { ec2, hook } = hookWith();
    expect(await hook.registered(nodeClaim({}, "aws:///test-zone-1a/i-0001"))).toEqual({});
    expect(ec2.describeCalls).toBe(0);
  });

  test("passes through for a cluster or spread group (no partition label)", async () => {
    const { ec2, hook } = hookWith();
    expect(await hook.registered(nodeClaim({ [ID]: "pg-cluster123" }, "aws:///test-zone-1a/i-0001"))).toEqual({});
    expect(await hook.registered(nodeClaim({ [ID]: "pg-spread123" }))).toEqual({});
    expect(ec2.describeCalls).toBe(0);
  });

  test("passes through when the partition label is already set", async () => {
    const { ec2, hook } = hookWith();
    expect(await hook.registered(nodeClaim({ [ID]: "pg-partition123", [PARTITION]: "3" }, "aws:///z/i-0001"))).toEqual(
      {},
    );
    expect(ec2.describeCalls).toBe(0);
  });

  test("blocks registration while the NodeClaim has no providerID", async () => {
    const { hook } = hookWith();
    expect(await hook.registered(nodeClaim({ [ID]: "pg-partition123", [PARTITION]: "" }))).toEqual({ requeue: true });
  });

  test("sets the partition label from DescribeInstances' PartitionNumber and proceeds", async () => {
    const { ec2, hook } = hookWith();
    ec2.store("i-0abc", 3);
    const res = await hook.registered(
      nodeClaim({ [ID]: "pg-partition123", [PARTITION]: "" }, "aws:///test-zone-1a/i-0abc"),
    );
    expect(res).toEqual({ labels: { [PARTITION]: "3" } });
    expect(res.requeue).toBeUndefined();
    expect(ec2.describeCalls).toBe(1);
  });

  test("keeps waiting while EC2 reports the instance without a partition", async () => {
    const { ec2, hook } = hookWith();
    ec2.store("i-0abc");
    const nc = nodeClaim({ [ID]: "pg-partition123", [PARTITION]: "" }, "aws:///test-zone-1a/i-0abc");
    expect(await hook.registered(nc)).toEqual({ requeue: true });
    ec2.instances[0]!.Placement.PartitionNumber = 2;
    expect(await hook.registered(nc)).toEqual({ labels: { [PARTITION]: "2" } });
  });

  test("fails when the instance is not found", async () => {
    const { hook } = hookWith();
    await expect(
      hook.registered(nodeClaim({ [ID]: "pg-partition123", [PARTITION]: "" }, "aws:///test-zone-1a/i-0missing")),
    ).rejects.toThrow(/i-0missing.*not found/);
  });

  test("fails on a providerID that is not AWS's", async () => {
    const { hook } = hookWith();
    await expect(hook.registered(nodeClaim({ [ID]: "pg-p", [PARTITION]: "" }, "kwok://node-1"))).rejects.toThrow(
      /not an AWS provider ID/,
    );
  });

  test("handles multiple partition numbers", async () => {
    const { ec2, hook } = hookWith();
    for (const n of [1, 4, 7]) {
      ec2.store(`i-0${n}`, n);
      const res = await hook.registered(nodeClaim({ [ID]: "pg-partition123", [PARTITION]: "" }, `aws:///z/i-0${n}`));
      expect(res.labels).toEqual({ [PARTITION]: String(n) });
    }
  });
});

/** A partition group whose instances EC2 reports without their PartitionNumber until `partitionKnown`. */
class LaggingPartitionEc2 extends LaunchingFakeEc2 {
  partitionKnown = false;
  constructor() {
    super(NOW);
  }
  protected override handle(command: string, input: Input): Promise<unknown> | undefined {
    if (command === "DescribePlacementGroupsCommand")
      return Promise.resolve({
        PlacementGroups: [
          { GroupId: "pg-part1", GroupName: "kafka", Strategy: "partition", PartitionCount: 3, State: "available" },
        ],
      });
    if (command === "DescribeInstancesCommand" && !this.partitionKnown) {
      const ids = input.InstanceIds as string[] | undefined;
      const found = this.instances.filter((i) => !ids || ids.includes(i.InstanceId));
      return Promise.resolve({
        Reservations: [{ Instances: found.map((i) => ({ ...i, Placement: { AvailabilityZone: i.Placement.AvailabilityZone } })) }],
      });
    }
    return undefined;
  }
  protected override launched(lt: Input): Input {
    return lt.Placement?.GroupId ? { Placement: { GroupId: "pg-part1", GroupName: "kafka", PartitionNumber: 2 } } : {};
  }
}

describe("the AWS provider's registration hooks", () => {
  test("a partition EC2 has not reported at launch is labelled once DescribeInstances has it", async () => {
    const ec2 = new LaggingPartitionEc2();
    const nc = readyNodeClass({ placementGroupSelector: { name: "kafka" } });
    const p = new AwsCloudProvider({
      clusterName: "c", clusterEndpoint: "https://k", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16", region: "us-east-1",
      nodeClassLookup: async () => nc, now: () => ec2.now,
      clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
    });
    const claim: NodeClaimLike = {
      metadata: { name: "kafka-a", uid: "kafka-a-uid", labels: { "karpenter.sh/nodepool": "default" } },
      spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        requirements: [
          { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] },
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
        ],
      },
    };
    const launched = await p.create(claim);
    expect(launched.labels).toMatchObject({ [ID]: "pg-part1", [PARTITION]: "" });
    const hooks = p.registrationHooks();
    expect(hooks.map((h) => h.name)).toEqual(["PlacementGroupRegistrationHook"]);
    const registering = {
      ...claim,
      metadata: { ...claim.metadata, labels: { ...claim.metadata.labels, ...launched.labels } },
      status: { providerID: launched.providerID },
    };
    expect(await hooks[0]!.registered(registering)).toEqual({ requeue: true });
    ec2.partitionKnown = true;
    expect(await hooks[0]!.registered(registering)).toEqual({ labels: { [PARTITION]: "2" } });
  });
});
