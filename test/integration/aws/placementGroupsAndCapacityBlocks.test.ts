// Placement groups and capacity blocks end to end against the emulator (sandbox/moto_placement.py,
// sandbox/moto_reservations.py) through the real SDK: a placementGroupSelector by name resolves through
// DescribePlacementGroups (PlacementGroupReady), launches land in the group by id, in the targeted partition or
// the one EC2 picked, and the NodeClaim carries the placement-group labels; an unknown group makes the class not
// Ready; a capacity block bought through DescribeCapacityBlockOfferings + PurchaseCapacityBlock resolves into
// status.capacityReservations and a reserved NodeClaim launches into it with the capacity-block market type.
import { randomUUID } from "node:crypto";
import {
  EC2Client,
  CreatePlacementGroupCommand,
  DescribeCapacityBlockOfferingsCommand,
  DescribeInstancesCommand,
  PurchaseCapacityBlockCommand,
  CreateLaunchTemplateCommand,
  CreateFleetCommand,
  DescribeImagesCommand,
} from "@aws-sdk/client-ec2";
import { AwsCloudProvider, EC2NodeClassLike } from "../../../src/cloudprovider/aws";
import type { NodeClaimLike } from "../../../src/cloudprovider/types";
import { motoForTests, TestMoto } from "./motoForTests";

let moto: TestMoto;
let ec2: EC2Client;
const nodeClasses = new Map<string, EC2NodeClassLike>();
const suffix = randomUUID().slice(0, 6);
const groups: Record<string, string> = {}; // strategy -> id

function provider(): AwsCloudProvider {
  return new AwsCloudProvider({
    clusterName: moto.clusterName, clusterEndpoint: "https://127.0.0.1:6443", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16",
    region: moto.region, endpoint: moto.endpoint, kubernetesVersion: "v1.34.4", nodeClassLookup: async (n) => nodeClasses.get(n),
  });
}

function nodeClass(name: string, spec: Partial<EC2NodeClassLike["spec"]>): EC2NodeClassLike {
  const disc = { "karpenter.sh/discovery": moto.clusterName };
  return {
    metadata: { name, generation: 1 },
    spec: {
      role: `KarpenterNodeRole-${moto.clusterName}`,
      amiSelectorTerms: [{ alias: "al2023@latest" }],
      subnetSelectorTerms: [{ tags: disc }],
      securityGroupSelectorTerms: [{ tags: disc }],
      ...spec,
    },
  };
}

function nodeClaim(nodeClassName: string, capacityTypes: string[], extra: NodeClaimLike["spec"]["requirements"] = []): NodeClaimLike {
  return {
    metadata: { name: `${nodeClassName}-${randomUUID().slice(0, 8)}`, uid: randomUUID(), labels: { "karpenter.sh/nodepool": nodeClassName } },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: nodeClassName },
      requirements: [
        { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large", "m5.xlarge", "c5.large", "c5.xlarge", "m6i.large"] },
        { key: "karpenter.sh/capacity-type", operator: "In", values: capacityTypes },
        ...extra,
      ],
      resources: { requests: { cpu: "500m", pods: "1" } },
    },
  };
}

async function resolved(p: AwsCloudProvider, nc: EC2NodeClassLike) {
  const r = await p.resolveNodeClass(nc);
  const out = { ...nc, status: r.status };
  nodeClasses.set(nc.metadata.name, out);
  return { nc: out, r };
}

async function describe1(id: string) {
  return (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
}

beforeAll(async () => {
  moto = await motoForTests("placement-it");
  ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  for (const [strategy, extra] of [["cluster", {}], ["partition", { PartitionCount: 3 }]] as const) {
    const out = await ec2.send(new CreatePlacementGroupCommand({ GroupName: `${strategy}-${suffix}`, Strategy: strategy, ...extra }));
    groups[strategy] = out.PlacementGroup!.GroupId!;
  }
}, 90_000);
afterAll(async () => { await moto?.stop(); });

describe("placement groups in the emulator", () => {
  test("a partition group by name: Ready, launches in the group, the targeted partition or the one EC2 picked, labelled", async () => {
    const p = provider();
    const { nc, r } = await resolved(p, nodeClass("partition", { placementGroupSelector: { name: `partition-${suffix}` } }));
    expect(r.message).toBe("");
    expect(nc.status!.conditions!.find((c) => c.type === "PlacementGroupReady")).toMatchObject({ status: "True" });

    const picked = await p.create(nodeClaim("partition", ["on-demand"]));
    const inst = await describe1(picked.instanceID);
    expect(inst.Placement).toMatchObject({ GroupName: `partition-${suffix}`, GroupId: groups.partition, PartitionNumber: 1 });
    expect(picked.labels["karpenter.k8s.aws/placement-group-id"]).toBe(groups.partition);
    expect(picked.labels["karpenter.k8s.aws/placement-group-partition"]).toBe("1");

    const targeted = await p.create(nodeClaim("partition", ["on-demand"], [{ key: "karpenter.k8s.aws/placement-group-partition", operator: "In", values: ["3"] }]));
    expect((await describe1(targeted.instanceID)).Placement?.PartitionNumber).toBe(3);
    expect(targeted.labels["karpenter.k8s.aws/placement-group-partition"]).toBe("3");
  }, 120_000);

  test("a cluster group by id; an unknown group: PlacementGroupReady=False naming it, the class not Ready, nothing launched", async () => {
    const p = provider();
    await resolved(p, nodeClass("cluster", { placementGroupSelector: { id: groups.cluster } }));
    const res = await p.create(nodeClaim("cluster", ["on-demand"]));
    expect((await describe1(res.instanceID)).Placement?.GroupId).toBe(groups.cluster);
    expect(res.labels["karpenter.k8s.aws/placement-group-id"]).toBe(groups.cluster);
    expect(res.labels["karpenter.k8s.aws/placement-group-partition"]).toBeUndefined();

    const { r } = await resolved(p, nodeClass("missing", { placementGroupSelector: { name: `missing-${suffix}` } }));
    expect(r.ready).toBe(false);
    expect(r.status.conditions!.find((c) => c.type === "PlacementGroupReady")).toMatchObject({
      status: "False", reason: "PlacementGroupNotFound", message: `Placement group "missing-${suffix}" not found`,
    });
    await expect(p.create(nodeClaim("missing", ["on-demand"]))).rejects.toThrow(/not ready: Placement group/);
  }, 120_000);
});

describe("capacity blocks in the emulator", () => {
  test("a purchased capacity block resolves with its end date and a reserved NodeClaim launches into it", async () => {
    const team = `cb-${suffix}`;
    const offers = await ec2.send(new DescribeCapacityBlockOfferingsCommand({ InstanceType: "m5.large", InstanceCount: 1, CapacityDurationHours: 24 }));
    const offer = offers.CapacityBlockOfferings!.find((o) => o.AvailabilityZone === `${moto.region}a`)!;
    const bought = await ec2.send(new PurchaseCapacityBlockCommand({
      CapacityBlockOfferingId: offer.CapacityBlockOfferingId!, InstancePlatform: "Linux/UNIX",
      TagSpecifications: [{ ResourceType: "capacity-reservation", Tags: [{ Key: "team", Value: team }] }],
    }));
    const id = bought.CapacityReservation!.CapacityReservationId!;
    const p = provider();
    const { nc, r } = await resolved(p, nodeClass("block", { capacityReservationSelectorTerms: [{ tags: { team } }] }));
    expect(r.message).toBe("");
    expect(nc.status!.capacityReservations).toEqual([expect.objectContaining({
      id, reservationType: "capacity-block", instanceType: "m5.large", availabilityZone: `${moto.region}a`, state: "active",
      endTime: new Date(offer.EndDate!).toISOString().replace(/\.\d{3}Z$/, "Z"),
    })]);

    const res = await p.create(nodeClaim("block", ["reserved"]));
    expect(res).toMatchObject({ capacityType: "reserved", instanceType: "m5.large", zone: `${moto.region}a` });
    expect(res.labels).toMatchObject({ "karpenter.k8s.aws/capacity-reservation-id": id, "karpenter.k8s.aws/capacity-reservation-type": "capacity-block" });
    const inst = await describe1(res.instanceID);
    expect(inst.CapacityReservationId).toBe(id);
    expect(inst.InstanceLifecycle).toBe("capacity-block");
    expect((await p.get(res.providerID)).reservation).toEqual({ id, type: "capacity-block", interruptible: false });
  }, 120_000);

  test("CreateFleet reports a capacity-block launch's Lifecycle as capacity-block, in its instances and its errors", async () => {
    const offers = await ec2.send(new DescribeCapacityBlockOfferingsCommand({ InstanceType: "m5.large", InstanceCount: 1, CapacityDurationHours: 24 }));
    const offer = offers.CapacityBlockOfferings!.find((o) => o.AvailabilityZone === `${moto.region}a`)!;
    const bought = await ec2.send(new PurchaseCapacityBlockCommand({ CapacityBlockOfferingId: offer.CapacityBlockOfferingId!, InstancePlatform: "Linux/UNIX" }));
    const id = bought.CapacityReservation!.CapacityReservationId!;
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: ["ami-123"] }))).Images![0]!.ImageId!;
    const name = `block-lt-${suffix}`;
    await ec2.send(new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: {
        ImageId: image,
        InstanceMarketOptions: { MarketType: "capacity-block" },
        CapacityReservationSpecification: { CapacityReservationPreference: "capacity-reservations-only", CapacityReservationTarget: { CapacityReservationId: id } },
      },
    }));
    const fleet = () => ec2.send(new CreateFleetCommand({
      Type: "instant",
      TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: "capacity-block" },
      LaunchTemplateConfigs: [{
        LaunchTemplateSpecification: { LaunchTemplateName: name, Version: "$Latest" },
        Overrides: [{ InstanceType: "m5.large", AvailabilityZone: `${moto.region}a` }],
      }],
    }));
    const first = await fleet();
    expect(first.Instances).toEqual([expect.objectContaining({ Lifecycle: "capacity-block", InstanceType: "m5.large" })]);
    expect((await describe1(first.Instances![0]!.InstanceIds![0]!)).InstanceLifecycle).toBe("capacity-block");
    // The block is full now: EC2's error carries the same lifecycle.
    const second = await fleet();
    expect(second.Instances ?? []).toEqual([]);
    expect(second.Errors).toEqual([expect.objectContaining({ ErrorCode: "ReservationCapacityExceeded", Lifecycle: "capacity-block" })]);
  }, 120_000);
});
