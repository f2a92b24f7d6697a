// Capacity reservations end to end against the emulator (sandbox/moto_reservations.py) through the real SDK:
// an ODCR created with CreateCapacityReservation is selected by tag into status.capacityReservations, a NodeClaim
// allowing `reserved` launches into it (the instance reads back bound to the reservation), the next one falls
// back to on-demand, a launch into a reservation that filled up behind our back fails ReservationCapacityExceeded
// and the retry is on-demand, and terminating the reserved instance frees its slot.
import { randomUUID } from "node:crypto";
import {
  EC2Client,
  CreateCapacityReservationCommand,
  CreateInterruptibleCapacityReservationAllocationCommand,
  DescribeCapacityReservationsCommand,
  DescribeInstancesCommand,
} from "@aws-sdk/client-ec2";
import { AwsCloudProvider, EC2NodeClassLike } from "../../../src/cloudprovider/aws";
import type { NodeClaimLike } from "../../../src/cloudprovider/types";
import { motoForTests, TestMoto } from "./motoForTests";

let moto: TestMoto;
let ec2: EC2Client;
const nodeClasses = new Map<string, EC2NodeClassLike>();
const team = `odcr-${randomUUID().slice(0, 6)}`;

function provider(): AwsCloudProvider {
  return new AwsCloudProvider({
    clusterName: moto.clusterName, clusterEndpoint: "https://127.0.0.1:6443", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16",
    region: moto.region, endpoint: moto.endpoint, kubernetesVersion: "v1.34.4", nodeClassLookup: async (n) => nodeClasses.get(n),
  });
}

const nodeClass: EC2NodeClassLike = {
  metadata: { name: "reserved", generation: 1 },
  spec: {
    role: "KarpenterNodeRole-x",
    amiSelectorTerms: [{ alias: "al2023@latest" }],
    subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "" } }],
    securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "" } }],
    capacityReservationSelectorTerms: [{ tags: { team } }],
  },
};

function nodeClaim(): NodeClaimLike {
  const name = `reserved-${randomUUID().slice(0, 8)}`;
  return {
    metadata: { name, uid: randomUUID(), labels: { "karpenter.sh/nodepool": "reserved" } },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "reserved" },
      requirements: [
        { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large", "m5.xlarge", "c5.large", "c5.xlarge", "m6i.large"] },
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["reserved", "on-demand"] },
      ],
      resources: { requests: { cpu: "500m", pods: "1" } },
    },
  };
}

async function resolve(p: AwsCloudProvider): Promise<EC2NodeClassLike> {
  const r = await p.resolveNodeClass(nodeClasses.get("reserved") ?? nodeClass);
  expect(r.message).toBe("");
  const out = { ...nodeClass, status: r.status };
  nodeClasses.set("reserved", out);
  return out;
}

async function available(id: string): Promise<number> {
  const out = await ec2.send(new DescribeCapacityReservationsCommand({ CapacityReservationIds: [id] }));
  return out.CapacityReservations![0]!.AvailableInstanceCount!;
}

let reservationId = "";

beforeAll(async () => {
  moto = await motoForTests("odcr-it");
  ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  const disc = { "karpenter.sh/discovery": moto.clusterName };
  nodeClass.spec.subnetSelectorTerms = [{ tags: disc }];
  nodeClass.spec.securityGroupSelectorTerms = [{ tags: disc }];
  nodeClass.spec.role = `KarpenterNodeRole-${moto.clusterName}`;
  const out = await ec2.send(new CreateCapacityReservationCommand({
    InstanceType: "m5.large", InstancePlatform: "Linux/UNIX", AvailabilityZone: `${moto.region}a`, InstanceCount: 1,
    InstanceMatchCriteria: "targeted", TagSpecifications: [{ ResourceType: "capacity-reservation", Tags: [{ Key: "team", Value: team }] }],
  }));
  reservationId = out.CapacityReservation!.CapacityReservationId!;
}, 90_000);
afterAll(async () => { await moto?.stop(); });

describe("capacity reservations in the emulator", () => {
  test("the ODCR resolves, a reserved NodeClaim launches into it, the next falls back to on-demand, termination frees it", async () => {
    const p = provider();
    const nc = await resolve(p);
    expect(nc.status!.capacityReservations).toEqual([expect.objectContaining({
      id: reservationId, instanceType: "m5.large", availabilityZone: `${moto.region}a`, instanceMatchCriteria: "targeted", reservationType: "default", state: "active",
    })]);
    expect(nc.status!.conditions!.find((c) => c.type === "CapacityReservationsReady")?.status).toBe("True");
    const m5 = (await p.getInstanceTypes(nc)).find((t) => t.name === "m5.large")!;
    expect(m5.offerings.find((o) => o.capacityType === "reserved")).toMatchObject({ zone: `${moto.region}a`, available: true });

    const first = await p.create(nodeClaim());
    expect(first).toMatchObject({ capacityType: "reserved", instanceType: "m5.large", zone: `${moto.region}a` });
    expect(first.labels["karpenter.k8s.aws/capacity-reservation-id"]).toBe(reservationId);
    const inst = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [first.instanceID] }))).Reservations![0]!.Instances![0]!;
    expect(inst.CapacityReservationId).toBe(reservationId);
    expect(inst.CapacityReservationSpecification?.CapacityReservationPreference).toBe("capacity-reservations-only");
    expect(await available(reservationId)).toBe(0);
    expect((await p.get(first.providerID)).capacityType).toBe("reserved");

    const second = await p.create(nodeClaim());
    expect(second.capacityType).toBe("on-demand");
    expect(second.labels["karpenter.k8s.aws/capacity-reservation-id"]).toBeUndefined();

    await p.delete({ ...nodeClaim(), metadata: { ...nodeClaim().metadata, labels: first.labels }, status: { providerID: first.providerID } });
    expect(await available(reservationId)).toBe(1);
  }, 120_000);

  test("a reservation filled by someone else: ReservationCapacityExceeded, the reservation marked unavailable, the retry on-demand", async () => {
    const stale = provider();
    await resolve(stale); // synced: one slot free
    const other = provider();
    await resolve(other);
    const taken = await other.create(nodeClaim());
    expect(taken.capacityType).toBe("reserved");
    const claim = nodeClaim();
    await expect(stale.create(claim)).rejects.toThrow(/ReservationCapacityExceeded/);
    expect(stale.capacityReservations.availableCount(reservationId)).toBe(0);
    const retry = await stale.create(claim);
    expect(retry.capacityType).toBe("on-demand");
  }, 120_000);

  test("two launches racing for a reservation's last slot: one gets it, the other ReservationCapacityExceeded", async () => {
    // A fresh one-slot reservation; each provider has synced it (one free slot) before either launches.
    const out = await ec2.send(new CreateCapacityReservationCommand({
      InstanceType: "m5.large", InstancePlatform: "Linux/UNIX", AvailabilityZone: `${moto.region}a`, InstanceCount: 1,
      InstanceMatchCriteria: "targeted", TagSpecifications: [{ ResourceType: "capacity-reservation", Tags: [{ Key: "team", Value: team }] }],
    }));
    const racing = out.CapacityReservation!.CapacityReservationId!;
    const a = provider();
    const b = provider();
    await resolve(a);
    await resolve(b);
    expect(a.capacityReservations.availableCount(racing)).toBe(1);
    expect(b.capacityReservations.availableCount(racing)).toBe(1);
    const results = await Promise.allSettled([a.create(nodeClaim()), b.create(nodeClaim())]);
    const won = results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<{ labels: Record<string, string> }>).value);
    const lost = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    expect(won.map((w) => w.labels["karpenter.k8s.aws/capacity-reservation-id"])).toEqual([racing]);
    expect(lost).toEqual([expect.stringMatching(/ReservationCapacityExceeded/)]);
    expect(await available(racing)).toBe(0);
  }, 120_000);

  test("an interruptible reservation lent from an ODCR: resolved as interruptible, launched into, the instance reads back as EC2 reports it", async () => {
    const source = await ec2.send(new CreateCapacityReservationCommand({
      InstanceType: "m5.large", InstancePlatform: "Linux/UNIX", AvailabilityZone: `${moto.region}a`, InstanceCount: 2, InstanceMatchCriteria: "targeted",
    }));
    const sourceId = source.CapacityReservation!.CapacityReservationId!;
    const lent = await ec2.send(new CreateInterruptibleCapacityReservationAllocationCommand({
      CapacityReservationId: sourceId, InstanceCount: 1,
      TagSpecifications: [{ ResourceType: "capacity-reservation", Tags: [{ Key: "team", Value: `${team}-int` }] }],
    }));
    expect(lent).toMatchObject({ SourceCapacityReservationId: sourceId, TargetInstanceCount: 1 });
    expect(await available(sourceId)).toBe(1);
    const cls: EC2NodeClassLike = { ...nodeClass, metadata: { name: "interruptible", generation: 1 }, spec: { ...nodeClass.spec, capacityReservationSelectorTerms: [{ tags: { team: `${team}-int` } }] } };
    const p = provider();
    const r = await p.resolveNodeClass(cls);
    expect(r.message).toBe("");
    nodeClasses.set("interruptible", { ...cls, status: r.status } as EC2NodeClassLike);
    const statusOf = (r.status as EC2NodeClassLike["status"])!.capacityReservations!;
    expect(statusOf).toEqual([expect.objectContaining({ instanceType: "m5.large", interruptible: true, reservationType: "default" })]);
    const interruptibleId = statusOf[0]!.id;
    const claim = nodeClaim();
    claim.spec.nodeClassRef.name = "interruptible";
    const res = await p.create(claim);
    expect(res.capacityType).toBe("reserved");
    expect(res.labels).toMatchObject({ "karpenter.k8s.aws/capacity-reservation-id": interruptibleId, "karpenter.k8s.aws/capacity-reservation-interruptible": "true" });
    const inst = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [res.instanceID] }))).Reservations![0]!.Instances![0]!;
    expect(inst.CapacityReservationId).toBe(interruptibleId);
    expect(inst.InstanceLifecycle).toBe("interruptible-capacity-reservation");
    expect((await p.get(res.providerID)).reservation).toEqual({ id: interruptibleId, type: "default", interruptible: true });
    expect(await available(interruptibleId)).toBe(0);
  }, 120_000);
});
