// No silent substitutes: a region without its own on-demand price table is priced with us-east-1's, and that is
// visible as an EC2NodeClass condition (PricesResolved=False, Ready unaffected), a Warning Event and a warn log.
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { pricingState } from "../../../src/cloudprovider/aws/pricing";
import { Kinds } from "../../../src/kube/client";
import { FakeClock } from "../../../src/kube/clock";
import { FakeCloud, miniCluster, nodeClass, nodePool } from "../lifecycle/fakes";
import { FakePricingApi } from "./fakePricingApi";

function provider(region: string, zone: string, pricing?: FakePricingApi) {
  const ec2 = {
    send: async (cmd: { constructor: { name: string } }) => {
      switch (cmd.constructor.name) {
        case "DescribeSubnetsCommand": return { Subnets: [{ SubnetId: "subnet-a", AvailabilityZone: zone, AvailabilityZoneId: "az1", AvailableIpAddressCount: 100 }] };
        case "DescribeSecurityGroupsCommand": return { SecurityGroups: [{ GroupId: "sg-1", GroupName: "g" }] };
        case "DescribeImagesCommand": return { Images: [{ ImageId: "ami-1", Name: "custom", Architecture: "x86_64", CreationDate: "2025-01-01T00:00:00Z", State: "available" }] };
        default: throw new Error(`unexpected ${cmd.constructor.name}`);
      }
    },
  };
  const iam = { send: async () => ({ InstanceProfile: { InstanceProfileName: "p", Roles: [{ RoleName: "r" }] } }) };
  return new AwsCloudProvider({
    clusterName: "demo", clusterEndpoint: "https://k", clusterCABundle: "Q0E=", serviceCIDR: "10.100.0.0/16", kubernetesVersion: "1.34",
    region, nodeClassLookup: async () => undefined, clients: { ec2, iam, ssm: {}, sqs: {}, eks: {}, pricing } as unknown as AwsClients,
  });
}
/** Lets the Pricing API's (fake, immediate) first answer land. */
const settle = () => new Promise(r => setTimeout(r, 20));
const nc = { metadata: { name: "default" }, spec: { role: "r", amiSelectorTerms: [{ id: "ami-1" }], subnetSelectorTerms: [{ id: "subnet-a" }], securityGroupSelectorTerms: [{ id: "sg-1" }] } } as unknown as EC2NodeClassLike;

describe("on-demand price fallback is visible", () => {
  test("eu-west-1: PricesResolved=False with reason StaticPriceFallback naming both regions; the NodeClass stays Ready", async () => {
    const r = await provider("eu-west-1", "eu-west-1a").resolveNodeClass(nc);
    const prices = r.status.conditions!.find(c => c.type === "PricesResolved")!;
    expect(prices).toMatchObject({ status: "False", reason: "StaticPriceFallback" });
    expect(prices.message).toMatch(/no on-demand price table for region eu-west-1: using us-east-1 prices/);
    expect(r.ready).toBe(true);
    expect(r.status.conditions!.find(c => c.type === "Ready")).toMatchObject({ status: "True", message: "" });
  });

  test("us-east-1 with the Pricing API answering: PricesResolved=True, no message; launches are priced from its answer", async () => {
    const api = new FakePricingApi([{ instanceType: "m5.large", price: 0.5 }, { instanceType: "m5.metal", price: 9.5 }]);
    const cp = provider("us-east-1", "us-east-1a", api);
    // Ready never waits for the Pricing API: until its first answer PricesResolved is Unknown (not a fallback).
    const first = await cp.resolveNodeClass(nc);
    expect(first.ready).toBe(true);
    expect(first.status.conditions!.find(c => c.type === "PricesResolved")).toMatchObject({ status: "Unknown", reason: "AwaitingPricingAPI" });
    await settle();
    const r = await cp.resolveNodeClass(nc);
    expect(r.status.conditions!.find(c => c.type === "PricesResolved")).toMatchObject({ status: "True", message: "" });
    expect(cp.pricing()).toMatchObject({ source: "api" });
    expect(api.calls.length).toBeGreaterThan(0);
    const m5 = (await cp.getInstanceTypes()).find(t => t.name === "m5.large")!;
    expect(m5.offerings.length).toBeGreaterThan(0);
    expect(m5.offerings.filter(o => o.capacityType === "on-demand").map(o => o.price)).toEqual(m5.offerings.filter(o => o.capacityType === "on-demand").map(() => 0.5));
    expect(pricingState("us-east-1")).toEqual({ region: "us-east-1", source: "embedded" });
    expect(pricingState("ap-south-1")).toMatchObject({ source: "fallback", fallbackFrom: "us-east-1" });
  });

  test("us-east-1 with the Pricing API refusing: its embedded table is a visible fallback (PricesResolved=False), Ready unaffected", async () => {
    const api = new FakePricingApi([]);
    api.fail = Object.assign(new Error("User is not authorized to perform: pricing:GetProducts"), { name: "AccessDeniedException" });
    const cp = provider("us-east-1", "us-east-1a", api);
    expect((await cp.resolveNodeClass(nc)).status.conditions!.find(c => c.type === "PricesResolved")!.status).toBe("Unknown");
    await settle();
    const r = await cp.resolveNodeClass(nc);
    const prices = r.status.conditions!.find(c => c.type === "PricesResolved")!;
    expect(prices).toMatchObject({ status: "False", reason: "StaticPriceFallback" });
    expect(prices.message).toMatch(/embedded table, not the Pricing API: pricing:GetProducts .*not authorized/);
    expect(r.ready).toBe(true);
  });
});

/** A cloud whose node classes resolve Ready with the given PricesResolved condition. */
class PricedCloud extends FakeCloud {
  fallback = true;
  /** PricesResolved=Unknown (the Pricing API has not answered yet) while set. */
  pending = false;
  async resolveNodeClass(n: EC2NodeClassLike) {
    const at = "2025-01-01T00:00:00Z";
    const prev = (t: string) => n.status?.conditions?.find(c => c.type === t)?.lastTransitionTime ?? at;
    const conditions = [
      { type: "Ready", status: "True", reason: "Ready", message: "", lastTransitionTime: prev("Ready") },
      this.pending
        ? { type: "PricesResolved", status: "Unknown", reason: "AwaitingPricingAPI", message: "waiting for the Pricing API's first answer", lastTransitionTime: prev("PricesResolved") }
        : this.fallback
        ? { type: "PricesResolved", status: "False", reason: "StaticPriceFallback", message: "no on-demand price table for region eu-west-1: using us-east-1 prices", lastTransitionTime: prev("PricesResolved") }
        : { type: "PricesResolved", status: "True", reason: "PricesResolved", message: "", lastTransitionTime: prev("PricesResolved") },
    ];
    return { status: { subnets: [{ id: "subnet-1", zone: "eu-west-1a" }], conditions }, ready: true, message: "" };
  }
}

describe("the EC2NodeClass status controller announces a price fallback", () => {
  test("one Warning Event PriceFallback on the EC2NodeClass and a warn log, not repeated on every refresh", async () => {
    const clock = new FakeClock();
    const cloud = new PricedCloud(clock);
    const mc = await miniCluster({ clock, cloud, settings: { NODECLASS_REFRESH_INTERVAL: "10s" }, seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass("default")); } });
    await mc.tick(1_000);
    const stored = await mc.client.get(Kinds.EC2NodeClass, "default");
    expect(stored!.status.conditions.find((c: { type: string }) => c.type === "PricesResolved")).toMatchObject({ status: "False", reason: "StaticPriceFallback" });
    const fallbackEvents = () => mc.client.events.filter(e => e.reason === "PriceFallback");
    expect(fallbackEvents()).toHaveLength(1);
    expect(fallbackEvents()[0]).toMatchObject({ type: "Warning", involvedObject: { kind: "EC2NodeClass", name: "default" } });
    expect(fallbackEvents()[0]!.message).toMatch(/using us-east-1 prices/);
    expect(mc.logs.messages("using fallback on-demand prices").map(l => l.level)).toEqual([expect.anything()]);
    for (let i = 0; i < 5; i++) await mc.tick(60_000);
    expect(fallbackEvents()).toHaveLength(1);
    // Prices become real, then fall back again: announced again.
    cloud.fallback = false;
    await mc.tick(600_000);
    cloud.fallback = true;
    await mc.tick(600_000);
    expect(fallbackEvents()).toHaveLength(2);
    await mc.controllers.stop();
  });
});

describe("before the Pricing API first answers", () => {
  test("PricesResolved=Unknown, no fallback announced, and the class is looked at again within seconds (not at the next refresh)", async () => {
    const clock = new FakeClock();
    const cloud = new PricedCloud(clock);
    cloud.pending = true;
    const mc = await miniCluster({ clock, cloud, settings: { NODECLASS_REFRESH_INTERVAL: "1h" }, seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass("default")); } });
    await mc.tick(1_000);
    const prices = async () => (await mc.client.get(Kinds.EC2NodeClass, "default"))!.status.conditions.find((c: { type: string }) => c.type === "PricesResolved");
    expect(await prices()).toMatchObject({ status: "Unknown", reason: "AwaitingPricingAPI" });
    expect((await mc.client.get(Kinds.EC2NodeClass, "default"))!.status.conditions.find((c: { type: string }) => c.type === "Ready")).toMatchObject({ status: "True" });
    expect(mc.client.events.filter(e => e.reason === "PriceFallback")).toHaveLength(0);
    cloud.pending = false;
    cloud.fallback = false;
    await mc.tick(6_000);
    expect(await prices()).toMatchObject({ status: "True", reason: "PricesResolved" });
    expect(mc.client.events.filter(e => e.reason === "PriceFallback")).toHaveLength(0);
    await mc.controllers.stop();
  });
});

describe("the NodePools launching from that EC2NodeClass say so too", () => {
  test("NodePool PricesResolved=False (StaticPriceFallback) naming the class; Ready stays True; it clears when prices are real", async () => {
    const clock = new FakeClock();
    const cloud = new PricedCloud(clock);
    const mc = await miniCluster({
      clock, cloud, settings: { NODECLASS_REFRESH_INTERVAL: "10s" },
      seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass("default")); await c.create(Kinds.NodePool, nodePool("default")); },
    });
    await mc.tick(1_000);
    await mc.tick(15_000);
    const poolCondition = async (type: string) =>
      ((await mc.client.get(Kinds.NodePool, "default"))!.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
    expect(await poolCondition("PricesResolved")).toMatchObject({
      status: "False", reason: "StaticPriceFallback",
      message: "EC2NodeClass default: no on-demand price table for region eu-west-1: using us-east-1 prices",
    });
    expect(await poolCondition("Ready")).toMatchObject({ status: "True" });
    cloud.fallback = false;
    await mc.tick(600_000);
    await mc.tick(15_000);
    expect(await poolCondition("PricesResolved")).toMatchObject({ status: "True", reason: "PricesResolved" });
    expect(await poolCondition("Ready")).toMatchObject({ status: "True" });
    await mc.controllers.stop();
  });
});
