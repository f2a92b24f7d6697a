// A retried launch can never create a second instance: CreateFleet's client token depends on the NodeClaim and
// the attempt, not on the options, and an attempt whose outcome was lost is re-sent verbatim even after the ICE
// cache pruned options. The fake EC2 below applies EC2's idempotency rule (same token + same request → the first
// answer; same token + different request → IdempotentParameterMismatch) and DescribeInstances lag.
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import { TOKEN_REUSE_WINDOW_MS } from "../../../src/cloudprovider/aws/launcher";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { InsufficientCapacityError, type CreateOptions, type NodeClaimLike } from "../../../src/cloudprovider/types";
import { applyOverlays } from "../../../src/scheduling/overlay";
import { readyNodeClass } from "./launchingFakeEc2";

class FakeEc2 {
  readonly instances: Array<{ id: string; type: string; zone: string; nodeClaim: string; visibleAt: number }> = [];
  readonly byToken = new Map<string, { request: string; response: unknown }>();
  fleetCalls: Array<Record<string, unknown>> = [];
  /** The next CreateFleet launches but its response is lost (socket timeout). */
  loseNextResponse = false;
  describeLagMs = 0;
  now = 1_000_000;
  private seq = 0;

  async send(cmd: { constructor: { name: string }; input: Record<string, any> }): Promise<unknown> {
    const input = cmd.input;
    switch (cmd.constructor.name) {
      case "DescribeSpotPriceHistoryCommand":
        return { SpotPriceHistory: [] };
      case "DescribeLaunchTemplatesCommand":
        return { LaunchTemplates: [{ LaunchTemplateName: input.LaunchTemplateNames[0] }] };
      case "DescribeInstancesCommand": {
        const tag = input.Filters?.find((f: { Name: string }) => f.Name === "tag:karpenter.sh/nodeclaim")?.Values?.[0];
        const found = this.instances.filter(i => i.nodeClaim === tag && i.visibleAt <= this.now);
        return { Reservations: [{ Instances: found.map(i => ({ InstanceId: i.id, InstanceType: i.type, Placement: { AvailabilityZone: i.zone }, State: { Name: "running" }, LaunchTime: new Date(0), Tags: [{ Key: "karpenter.sh/nodeclaim", Value: i.nodeClaim }] })) }] };
      }
      case "CreateFleetCommand": {
        this.fleetCalls.push(input);
        const { ClientToken, ...rest } = input;
        const request = JSON.stringify(rest);
        const seen = this.byToken.get(ClientToken);
        if (seen) {
          if (seen.request !== request) throw Object.assign(new Error("Client token reused with different parameters"), { name: "IdempotentParameterMismatch", $metadata: { httpStatusCode: 400 } });
          return seen.response;
        }
        const ov = input.LaunchTemplateConfigs[0].Overrides[0];
        const nodeClaim = input.TagSpecifications[0].Tags.find((t: { Key: string }) => t.Key === "karpenter.sh/nodeclaim").Value;
        const id = `i-${(++this.seq).toString().padStart(8, "0")}`;
        this.instances.push({ id, type: ov.InstanceType, zone: ov.AvailabilityZone, nodeClaim, visibleAt: this.now + this.describeLagMs });
        const response = { Instances: [{ InstanceIds: [id], InstanceType: ov.InstanceType, Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: ov } }], Errors: [] };
        this.byToken.set(ClientToken, { request, response });
        if (this.loseNextResponse) {
          this.loseNextResponse = false;
          throw Object.assign(new Error("socket hang up"), { name: "TimeoutError", $metadata: {} });
        }
        return response;
      }
      default:
        throw new Error(`unexpected ${cmd.constructor.name}`);
    }
  }
}

const nodeClass = readyNodeClass();

const nodeClaim: NodeClaimLike = {
  metadata: { name: "default-x1", uid: "0b7c-uid", labels: { "karpenter.sh/nodepool": "default" } },
  spec: {
    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
    requirements: [
      { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large", "m5.xlarge", "c5.large"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
    ],
    resources: { requests: { cpu: "500m" } },
  },
};

function provider(ec2: FakeEc2): AwsCloudProvider {
  return new AwsCloudProvider({
    clusterName: "c", clusterEndpoint: "https://k", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16", region: "us-east-1",
    nodeClassLookup: async () => nodeClass, now: () => ec2.now,
    clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
  });
}

describe("launch idempotency", () => {
  test("a retry after a lost response and pruned options returns the first instance, launching no second", async () => {
    const ec2 = new FakeEc2();
    ec2.describeLagMs = 30_000; // the new instance is not yet visible to DescribeInstances
    const p = provider(ec2);
    ec2.loseNextResponse = true;
    await expect(p.create(nodeClaim)).rejects.toThrow(/socket hang up/);
    expect(ec2.instances).toHaveLength(1);
    // Meanwhile another launch ICE'd the cheapest offering: a fresh plan would differ.
    const first = ec2.fleetCalls[0]!.LaunchTemplateConfigs as Array<{ Overrides: Array<{ InstanceType: string; AvailabilityZone: string }> }>;
    const cheapest = first[0]!.Overrides[0]!;
    p.unavailableOfferings.markUnavailable(cheapest.InstanceType, cheapest.AvailabilityZone, "on-demand", "InsufficientInstanceCapacity");
    ec2.now += 5_000;
    const res = await p.create(nodeClaim);
    expect(ec2.instances).toHaveLength(1);
    expect(res.instanceID).toBe(ec2.instances[0]!.id);
    expect(ec2.fleetCalls[1]!.ClientToken).toBe(ec2.fleetCalls[0]!.ClientToken);
  });

  test("after a restart a pruned retry hits IdempotentParameterMismatch and adopts the instance once visible", async () => {
    const ec2 = new FakeEc2();
    ec2.describeLagMs = 20_000;
    ec2.loseNextResponse = true;
    await expect(provider(ec2).create(nodeClaim)).rejects.toThrow(/socket hang up/);
    const restarted = provider(ec2); // the in-memory request is gone
    const cheapest = (ec2.fleetCalls[0]!.LaunchTemplateConfigs as any)[0].Overrides[0];
    restarted.unavailableOfferings.markUnavailable(cheapest.InstanceType, cheapest.AvailabilityZone, "on-demand", "InsufficientInstanceCapacity");
    ec2.now += 1_000;
    await expect(restarted.create(nodeClaim)).rejects.toMatchObject({ name: "IdempotentParameterMismatch" });
    ec2.now += 10_000;
    await expect(restarted.create(nodeClaim)).rejects.toMatchObject({ name: "IdempotentParameterMismatch" });
    expect(ec2.instances).toHaveLength(1);
    ec2.now += 10_000; // now DescribeInstances shows it
    const res = await restarted.create(nodeClaim);
    expect(res.instanceID).toBe(ec2.instances[0]!.id);
    expect(ec2.instances).toHaveLength(1);
  });

  test("a token whose instance never appears is given up only after the consistency window", async () => {
    const ec2 = new FakeEc2();
    const p = provider(ec2);
    // Someone used attempt 0's token with another request, and nothing of ours exists.
    const { clientToken } = await import("../../../src/cloudprovider/aws/fleetRequest");
    ec2.byToken.set(clientToken("0b7c-uid", 0), { request: "other", response: {} });
    await expect(p.create(nodeClaim)).rejects.toMatchObject({ name: "IdempotentParameterMismatch" });
    ec2.now += TOKEN_REUSE_WINDOW_MS - 1;
    await expect(p.create(nodeClaim)).rejects.toMatchObject({ name: "IdempotentParameterMismatch" });
    ec2.now += 2;
    await expect(p.create(nodeClaim)).rejects.toMatchObject({ name: "IdempotentParameterMismatch" });
    const res = await p.create(nodeClaim);
    expect(ec2.instances).toHaveLength(1);
    expect(res.instanceID).toBe(ec2.instances[0]!.id);
    expect(ec2.fleetCalls.at(-1)!.ClientToken).toBe(clientToken("0b7c-uid", 1));
  });

  test("an instant fleet that launched nothing advances the token so a retry is a new request", async () => {
    const ec2 = new FakeEc2();
    const p = provider(ec2);
    const realSend = ec2.send.bind(ec2);
    let ice = true;
    ec2.send = async (cmd: any) => {
      if (cmd.constructor.name === "CreateFleetCommand" && ice) {
        ice = false;
        ec2.fleetCalls.push(cmd.input);
        const ov = cmd.input.LaunchTemplateConfigs[0].Overrides[0];
        return { Instances: [], Errors: [{ ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: "no capacity", Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: ov } }] };
      }
      return realSend(cmd);
    };
    await expect(p.create(nodeClaim)).rejects.toThrow(/InsufficientInstanceCapacity/);
    await p.create(nodeClaim);
    expect(ec2.fleetCalls[1]!.ClientToken).not.toBe(ec2.fleetCalls[0]!.ClientToken);
    expect(ec2.instances).toHaveLength(1);
  });
});

describe("instance types a NodeClass can launch", () => {
  test("offerings only in the zones of the NodeClass's resolved subnets; none before subnets resolve", async () => {
    const p = provider(new FakeEc2());
    const types = await p.getInstanceTypes(nodeClass);
    const zones = new Set(types.flatMap(t => t.offerings.map(o => o.zone)));
    expect([...zones].sort()).toEqual(["us-east-1a", "us-east-1b"]);
    expect(types.find(t => t.name === "m5.large")!.offerings.length).toBeGreaterThan(0);
    const unresolved = { ...nodeClass, status: { ...nodeClass.status, subnets: [] } } as EC2NodeClassLike;
    expect(await p.getInstanceTypes(unresolved)).toEqual([]);
  });
});

describe("CreateFleet Context and MIN_VALUES_POLICY=BestEffort", () => {
  // Karpenter AWS sends the EC2NodeClass's context only when the NodeClaim's minValues were not relaxed.
  const withContext = { ...nodeClass, spec: { ...nodeClass.spec, context: "ctx-0123" } } as EC2NodeClassLike;
  const launch = async (annotations?: Record<string, string>) => {
    const ec2 = new FakeEc2();
    const p = new AwsCloudProvider({
      clusterName: "c", clusterEndpoint: "https://k", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16", region: "us-east-1",
      nodeClassLookup: async () => withContext, now: () => ec2.now,
      clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
    });
    await p.create({ ...nodeClaim, metadata: { ...nodeClaim.metadata, annotations } });
    return ec2.fleetCalls[0]!;
  };
  test("a NodeClaim annotated min-values-relaxed launches without the class's context; others with it", async () => {
    expect((await launch({ "karpenter.sh/nodeclaim-min-values-relaxed": "true" })).Context).toBeUndefined();
    expect((await launch({ "karpenter.sh/nodeclaim-min-values-relaxed": "false" })).Context).toBe("ctx-0123");
    expect((await launch()).Context).toBe("ctx-0123");
  });
});

describe("NodeOverlays at launch (Karpenter AWS's Create applies the NodeClaim's pool's overlays)", () => {
  const IT = "node.kubernetes.io/instance-type";
  const withOverlay = (spec: Record<string, unknown>): CreateOptions => ({
    instanceTypes: (types) =>
      applyOverlays(types, [{ apiVersion: "karpenter.sh/v1alpha1", kind: "NodeOverlay", metadata: { name: "o" }, spec } as never], { name: "default" }) as typeof types,
  });
  const overrides = (input: Record<string, any>): Array<Record<string, any>> => input.LaunchTemplateConfigs.flatMap((c: any) => c.Overrides);

  test("a surcharge on the cheapest type: EC2 is asked in the overlaid order, prioritized, each override's Priority its overlaid price", async () => {
    const plain = new FakeEc2();
    expect((await provider(plain).create(nodeClaim)).instanceType).toBe("c5.large");
    expect(plain.fleetCalls[0]!.OnDemandOptions).toEqual({ AllocationStrategy: "lowest-price" });
    expect(overrides(plain.fleetCalls[0]!).some((o) => "Priority" in o)).toBe(false);

    const ec2 = new FakeEc2();
    const surcharge = withOverlay({ requirements: [{ key: IT, operator: "In", values: ["c5.large"] }], priceAdjustment: "+1000%" });
    expect((await provider(ec2).create(nodeClaim, surcharge)).instanceType).toBe("m5.large");
    const input = ec2.fleetCalls[0]!;
    expect(input.OnDemandOptions).toEqual({ AllocationStrategy: "prioritized" });
    const os = overrides(input);
    expect(os[0]!.InstanceType).toBe("m5.large");
    const c5 = os.find((o) => o.InstanceType === "c5.large")!.Priority;
    const m5 = os.find((o) => o.InstanceType === "m5.large")!.Priority;
    expect(c5).toBeCloseTo(0.085 * 11, 6);
    expect(m5).toBeCloseTo(0.096, 6);
  });

  test("a capacity overlay lets a NodeClaim requesting an extended resource launch the overlaid family; without it nothing fits", async () => {
    const widgets: NodeClaimLike = {
      ...nodeClaim,
      metadata: { ...nodeClaim.metadata, name: "default-w1", uid: "w1-uid" },
      spec: { ...nodeClaim.spec, resources: { requests: { cpu: "500m", "example.com/widget": "1" } } },
    };
    await expect(provider(new FakeEc2()).create(widgets)).rejects.toThrow(InsufficientCapacityError);
    const ec2 = new FakeEc2();
    const capacity = withOverlay({
      requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5"] }],
      capacity: { "example.com/widget": "4" },
    });
    expect((await provider(ec2).create(widgets, capacity)).instanceType).toBe("m5.large");
    expect(new Set(overrides(ec2.fleetCalls[0]!).map((o) => o.InstanceType))).toEqual(new Set(["m5.large", "m5.xlarge"]));
    // No price changed: EC2 keeps its own lowest-price choice.
    expect(ec2.fleetCalls[0]!.OnDemandOptions).toEqual({ AllocationStrategy: "lowest-price" });
  });
});
