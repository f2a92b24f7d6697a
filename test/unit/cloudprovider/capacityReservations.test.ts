// Capacity reservations, modelled on Karpenter AWS's capacityreservation provider suite, the nodeclass
// capacityreservation tests, the reserved offering resolver and the instance provider's reserved launches: selector
// terms resolve through DescribeCapacityReservations into status.capacityReservations; `reserved` offerings are
// priced at on-demand / 10,000,000 and available only while the reservation has room; launches target the
// reservation and fall back when it is full.
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import {
  CapacityReservationProvider,
  describeInput,
  queriesFromTerms,
  reservationFromEC2,
} from "../../../src/cloudprovider/aws/capacityReservations";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { type Input, LaunchingFakeEc2, readyNodeClass } from "./launchingFakeEc2";
import type { NodeClaimLike } from "../../../src/cloudprovider/types";
import { RESERVED_PRICE_DIVISOR } from "../../../src/cloudprovider/aws/reservedOfferings";
import { NodeClassResolver } from "../../../src/cloudprovider/aws/nodeClassStatus";

/** The nodeclass status resolver with only capacity reservations real (other selectors resolve to fixed values). */
function resolver(crs: CapacityReservationProvider | undefined, now: () => number) {
  const fixed = { list: async () => [{ id: "x", zone: "us-east-1a", zoneID: "use1-az1", name: "x", requirements: [] }] };
  return new NodeClassResolver(
    { subnets: fixed, securityGroups: fixed, amis: fixed, instanceProfiles: { resolve: async () => "p" }, capacityReservations: crs } as never,
    () => "1.34",
    now,
  );
}

const NOW = Date.parse("2026-12-01T12:00:00Z");
type CR = Record<string, any>;

function odcr(id: string, over: CR = {}): CR {
  return {
    CapacityReservationId: id, InstanceType: "m5.large", AvailabilityZone: "us-east-1a", OwnerId: "012345678901",
    InstanceMatchCriteria: "targeted", ReservationType: "default", AvailableInstanceCount: 1, State: "active", Tags: [], ...over,
  };
}

class FakeEc2 extends LaunchingFakeEc2 {
  reservations: CR[] = [];
  describeCalls: Input[] = [];
  /** Reservation ids EC2 answers ReservationCapacityExceeded for. */
  full = new Set<string>();

  constructor() {
    super(NOW);
  }

  protected override handle(command: string, input: Input): Promise<unknown> | undefined {
    if (command !== "DescribeCapacityReservationsCommand") return undefined;
    this.describeCalls.push(input);
    const f = (name: string) => input.Filters?.find((x: { Name: string }) => x.Name === name)?.Values?.[0];
    let out = this.reservations.filter((r) => r.State === f("state"));
    if (input.CapacityReservationIds) {
      out = out.filter((r) => input.CapacityReservationIds.includes(r.CapacityReservationId));
      if (out.length === 0) return Promise.reject(Object.assign(new Error("not found"), { name: "InvalidCapacityReservationId.NotFound" }));
    }
    if (f("owner-id")) out = out.filter((r) => r.OwnerId === f("owner-id"));
    for (const flt of input.Filters ?? []) {
      if (!flt.Name.startsWith("tag:")) continue;
      const k = flt.Name.slice(4);
      out = out.filter((r) => r.Tags.some((t: { Key: string; Value: string }) => t.Key === k && t.Value === flt.Values[0]));
    }
    return Promise.resolve({ CapacityReservations: out });
  }

  private static target(lt: Input): string | undefined {
    return lt.CapacityReservationSpecification?.CapacityReservationTarget?.CapacityReservationId;
  }

  protected override refuse(_input: Input, lt: Input, ov: Input): unknown {
    const target = FakeEc2.target(lt);
    if (!target || !this.full.has(target)) return undefined;
    return { Instances: [], Errors: [{ ErrorCode: "ReservationCapacityExceeded", ErrorMessage: "full", Lifecycle: "on-demand", LaunchTemplateAndOverrides: { Overrides: ov } }] };
  }

  protected override launched(lt: Input): Input {
    const target = FakeEc2.target(lt);
    return {
      ...(target ? { CapacityReservationId: target, CapacityReservationSpecification: { CapacityReservationPreference: "capacity-reservations-only" } } : {}),
      ...(lt.InstanceMarketOptions?.MarketType === "capacity-block" ? { InstanceLifecycle: "capacity-block" } : {}),
    };
  }
}

const nodeClass = (terms: CR[] = [{ id: "cr-1" }]): EC2NodeClassLike => readyNodeClass({ capacityReservationSelectorTerms: terms });

function claim(name: string, cts = ["reserved", "on-demand"], types = ["m5.large", "m5.xlarge", "c5.large"]): NodeClaimLike {
  return {
    metadata: { name, uid: `${name}-uid`, labels: { "karpenter.sh/nodepool": "default" }, creationTimestamp: new Date(NOW).toISOString() },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [
        { key: "node.kubernetes.io/instance-type", operator: "In", values: types },
        { key: "karpenter.sh/capacity-type", operator: "In", values: cts },
      ],
      resources: { requests: { cpu: "500m" } },
    },
  };
}

async function setup(reservations: CR[], terms?: CR[], opts: { reservedCapacity?: boolean } = {}) {
  const ec2 = new FakeEc2();
  ec2.reservations = reservations;
  const nc = nodeClass(terms);
  const p = new AwsCloudProvider({
    clusterName: "c", clusterEndpoint: "https://k", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16", region: "us-east-1",
    nodeClassLookup: async () => nc, now: () => ec2.now, reservedCapacity: opts.reservedCapacity,
    clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
  });
  // The nodeclass controller's pass: resolve the reservations into the status (and sync their availability).
  const cr = await (p as any).resolver.deps.capacityReservations?.list(nc.spec.capacityReservationSelectorTerms ?? []);
  if (cr) nc.status!.capacityReservations = cr.map((r: CR) => reservationFromEC2(r, ec2.now));
  return { ec2, p, nc };
}

describe("capacity reservation selector terms", () => {
  test("an id term is its own query; tags / instanceMatchCriteria with ownerID another, always active only", () => {
    const qs = queriesFromTerms([{ id: "cr-1" }, { tags: { team: "a" }, ownerID: "012345678901" }, { instanceMatchCriteria: "open" }]);
    expect(qs.map(describeInput)).toEqual([
      { Filters: [{ Name: "state", Values: ["active"] }], CapacityReservationIds: ["cr-1"] },
      { Filters: [{ Name: "state", Values: ["active"] }, { Name: "owner-id", Values: ["012345678901"] }, { Name: "tag:team", Values: ["a"] }], MaxResults: 1000 },
      { Filters: [{ Name: "state", Values: ["active"] }, { Name: "instance-match-criteria", Values: ["open"] }], MaxResults: 1000 },
    ]);
    expect(describeInput({ tags: { team: "*" } }).Filters).toContainEqual({ Name: "tag-key", Values: ["team"] });
  });

  test("results are deduplicated, expired ones dropped, an unknown id selects nothing, queries cached a minute", async () => {
    const ec2 = new FakeEc2();
    ec2.reservations = [
      odcr("cr-1", { Tags: [{ Key: "team", Value: "a" }] }),
      odcr("cr-2", { Tags: [{ Key: "team", Value: "a" }], EndDate: new Date(NOW - 1000) }),
    ];
    const p = new CapacityReservationProvider(ec2, () => ec2.now);
    const got = await p.list([{ id: "cr-1" }, { tags: { team: "a" } }, { id: "cr-404" }]);
    expect(got.map((r) => r.CapacityReservationId)).toEqual(["cr-1"]);
    await p.list([{ id: "cr-1" }]);
    expect(ec2.describeCalls).toHaveLength(3);
    ec2.now += 61_000;
    await p.list([{ id: "cr-1" }]);
    expect(ec2.describeCalls).toHaveLength(4);
  });

  test("availability: synced from AvailableInstanceCount, less launches, plus terminations, zero when full", async () => {
    const ec2 = new FakeEc2();
    ec2.reservations = [odcr("cr-1", { AvailableInstanceCount: 2 })];
    const p = new CapacityReservationProvider(ec2, () => ec2.now);
    expect(p.availableCount("cr-1")).toBe(0); // never synced
    await p.list([{ id: "cr-1" }]);
    expect(p.availableCount("cr-1")).toBe(2);
    p.markLaunched("cr-1");
    expect(p.availableCount("cr-1")).toBe(1);
    p.markTerminated("cr-1");
    expect(p.availableCount("cr-1")).toBe(2);
    p.markUnavailable("cr-1");
    expect(p.availableCount("cr-1")).toBe(0);
  });

  test("a capacity block is expiring 40 minutes before its end; unknown match criteria are refused", () => {
    const block = odcr("cr-b", { ReservationType: "capacity-block", EndDate: new Date(NOW + 39 * 60_000) });
    expect(reservationFromEC2(block, NOW)).toMatchObject({ id: "cr-b", reservationType: "capacity-block", state: "expiring", endTime: "2026-12-01T12:39:00Z" });
    expect(reservationFromEC2({ ...block, EndDate: new Date(NOW + 41 * 60_000) }, NOW).state).toBe("active");
    // Only capacity blocks expire early; an ODCR with an end date is active until it ends.
    expect(reservationFromEC2(odcr("cr-1", { EndDate: new Date(NOW + 60_000) }), NOW).state).toBe("active");
    expect(reservationFromEC2(odcr("cr-1"), NOW)).toEqual({
      id: "cr-1", availabilityZone: "us-east-1a", instanceType: "m5.large", ownerID: "012345678901", instanceMatchCriteria: "targeted",
      reservationType: "default", interruptible: false, state: "active",
    });
    expect(() => reservationFromEC2(odcr("cr-1", { InstanceMatchCriteria: "fancy" }), NOW)).toThrow(/instance match criteria/);
  });
});

describe("EC2NodeClass status.capacityReservations", () => {
  test("sorted by id with CapacityReservationsReady=True; none selected is still ready", async () => {
    const { p, nc, ec2 } = await setup([odcr("cr-2"), odcr("cr-1")], [{ id: "cr-2" }, { id: "cr-1" }]);
    const r = resolver(p.capacityReservations, () => ec2.now);
    const res = await r.resolve(nc);
    expect((res.status.capacityReservations ?? []).map((r) => r.id)).toEqual(["cr-1", "cr-2"]);
    expect(res.status.conditions!.find((c) => c.type === "CapacityReservationsReady")).toMatchObject({ status: "True" });
    expect(res.ready).toBe(true);
    const none = await r.resolve({ ...nc, spec: { ...nc.spec, capacityReservationSelectorTerms: [] } });
    // The status is merge-patched: the list it had is removed with an explicit null.
    expect(none.status.capacityReservations).toBeNull();
    const fresh = await r.resolve({ ...nc, spec: { ...nc.spec, capacityReservationSelectorTerms: [] }, status: {} });
    expect(fresh.status.capacityReservations).toBeUndefined();
    expect(none.status.conditions!.find((c) => c.type === "CapacityReservationsReady")?.status).toBe("True");
  });

  test("with the ReservedCapacity gate off there is no condition, no reserved offering, no targeting", async () => {
    const { p, nc, ec2 } = await setup([odcr("cr-1")], undefined, { reservedCapacity: false });
    expect((p as any).resolver.deps.capacityReservations).toBeUndefined();
    const res = await resolver(undefined, () => ec2.now).resolve(nc);
    expect(res.status.conditions!.some((c) => c.type === "CapacityReservationsReady")).toBe(false);
    nc.status!.capacityReservations = [reservationFromEC2(odcr("cr-1"), NOW)];
    const types = await p.getInstanceTypes(nc);
    expect(types.some((t) => t.offerings.some((o) => o.capacityType === "reserved"))).toBe(false);
    await p.create(claim("x1"));
    const lt = [...ec2.templates.values()][0]!;
    expect(lt.CapacityReservationSpecification).toBeUndefined();
  });
});

describe("reserved offerings", () => {
  test("priced at the on-demand price / 10,000,000, available while the reservation has room, in its zone", async () => {
    const { p, nc } = await setup([odcr("cr-1")]);
    const m5 = (await p.getInstanceTypes(nc)).find((t) => t.name === "m5.large")!;
    const od = m5.offerings.find((o) => o.capacityType === "on-demand")!;
    const reserved = m5.offerings.filter((o) => o.capacityType === "reserved");
    expect(reserved).toEqual([{ zone: "us-east-1a", capacityType: "reserved", price: od.price / RESERVED_PRICE_DIVISOR, available: true, reservation: { id: "cr-1", type: "default", interruptible: false, capacity: 1 } }]);
    p.capacityReservations.markLaunched("cr-1");
    const after = (await p.getInstanceTypes(nc)).find((t) => t.name === "m5.large")!;
    expect(after.offerings.find((o) => o.capacityType === "reserved")!.available).toBe(false);
  });

  test("an expiring capacity block and a reservation outside the class's zones are unavailable", async () => {
    const { p, nc } = await setup([odcr("cr-1")]);
    nc.status!.capacityReservations = [
      reservationFromEC2(odcr("cr-b", { ReservationType: "capacity-block", EndDate: new Date(NOW + 10 * 60_000) }), NOW),
      reservationFromEC2(odcr("cr-c", { AvailabilityZone: "us-east-1c" }), NOW),
    ];
    (p.capacityReservations as any).availability.set("cr-b", { count: 1, syncedAt: NOW });
    (p.capacityReservations as any).availability.set("cr-c", { count: 1, syncedAt: NOW });
    const m5 = (await p.getInstanceTypes(nc)).find((t) => t.name === "m5.large")!;
    expect(m5.offerings.filter((o) => o.capacityType === "reserved").map((o) => [o.reservation!.id, o.available])).toEqual([["cr-b", false], ["cr-c", false]]);
  });
});

describe("reserved launches", () => {
  test("a reserved launch targets the ODCR through its launch template and labels the NodeClaim with it", async () => {
    const { p, ec2 } = await setup([odcr("cr-1")]);
    const res = await p.create(claim("x1"));
    expect(res.capacityType).toBe("reserved");
    expect(res.labels).toMatchObject({ "karpenter.sh/capacity-type": "reserved", "karpenter.k8s.aws/capacity-reservation-id": "cr-1", "karpenter.k8s.aws/capacity-reservation-type": "default", "karpenter.k8s.aws/capacity-reservation-interruptible": "false" });
    const fleet = ec2.fleetCalls[0]!;
    expect(fleet.TargetCapacitySpecification.DefaultTargetCapacityType).toBe("on-demand");
    expect(fleet.LaunchTemplateConfigs).toHaveLength(1);
    expect(fleet.LaunchTemplateConfigs[0].Overrides).toEqual([expect.objectContaining({ InstanceType: "m5.large", AvailabilityZone: "us-east-1a" })]);
    const lt = ec2.templates.get(fleet.LaunchTemplateConfigs[0].LaunchTemplateSpecification.LaunchTemplateName)!;
    expect(lt.CapacityReservationSpecification).toEqual({ CapacityReservationPreference: "capacity-reservations-only", CapacityReservationTarget: { CapacityReservationId: "cr-1" } });
    // The instance reads back as reserved (capacity-reservations-only into cr-1).
    expect((await p.get(res.providerID)).reservation).toEqual({ id: "cr-1", type: "default", interruptible: false });
  });

  test("the launch takes the reservation's last slot: the next NodeClaim falls back to on-demand, opted out of ODCRs", async () => {
    const { p, ec2 } = await setup([odcr("cr-1")]);
    await p.create(claim("x1"));
    const second = await p.create(claim("x2"));
    expect(second.capacityType).toBe("on-demand");
    expect(second.labels["karpenter.k8s.aws/capacity-reservation-id"]).toBeUndefined();
    const lt = ec2.templates.get(ec2.fleetCalls[1]!.LaunchTemplateConfigs[0].LaunchTemplateSpecification.LaunchTemplateName)!;
    expect(lt.CapacityReservationSpecification).toEqual({ CapacityReservationPreference: "none" });
  });

  test("ReservationCapacityExceeded marks the reservation unavailable (not the offering); the retry is on-demand", async () => {
    const { p, ec2 } = await setup([odcr("cr-1", { AvailableInstanceCount: 5 })]);
    ec2.full.add("cr-1");
    await expect(p.create(claim("x1"))).rejects.toThrow(/ReservationCapacityExceeded/);
    expect(p.capacityReservations.availableCount("cr-1")).toBe(0);
    expect(p.unavailableOfferings.isUnavailable("m5.large", "us-east-1a", "on-demand")).toBe(false);
    const res = await p.create(claim("x1"));
    expect(res.capacityType).toBe("on-demand");
    expect(res.labels["karpenter.k8s.aws/capacity-reservation-id"]).toBeUndefined();
  });

  test("a capacity block launches alone with its market type; a NodeClaim that does not allow reserved never uses it", async () => {
    const { p, ec2 } = await setup([odcr("cr-b", { ReservationType: "capacity-block", EndDate: new Date(NOW + 24 * 3600_000), InstanceType: "c5.large" }), odcr("cr-b2", { ReservationType: "capacity-block", EndDate: new Date(NOW + 24 * 3600_000) })], [{ id: "cr-b" }, { id: "cr-b2" }]);
    const od = await p.create(claim("x0", ["on-demand"]));
    expect(od.capacityType).toBe("on-demand");
    const res = await p.create(claim("x1"));
    expect(res).toMatchObject({ capacityType: "reserved", instanceType: "c5.large" }); // the cheaper block
    expect(res.labels["karpenter.k8s.aws/capacity-reservation-type"]).toBe("capacity-block");
    const fleet = ec2.fleetCalls[1]!;
    expect(fleet.TargetCapacitySpecification.DefaultTargetCapacityType).toBe("capacity-block");
    expect(fleet.OnDemandOptions).toBeUndefined();
    expect(fleet.LaunchTemplateConfigs.flatMap((c: any) => c.Overrides)).toHaveLength(1);
    const lt = ec2.templates.get(fleet.LaunchTemplateConfigs[0].LaunchTemplateSpecification.LaunchTemplateName)!;
    expect(lt.InstanceMarketOptions).toEqual({ MarketType: "capacity-block" });
    expect((await p.get(res.providerID)).reservation?.type).toBe("capacity-block");
  });

  test("deleting a reserved NodeClaim whose instance is gone frees a slot", async () => {
    const { p } = await setup([odcr("cr-1")]);
    const res = await p.create(claim("x1"));
    expect(p.capacityReservations.availableCount("cr-1")).toBe(0);
    const gone = { ...claim("x1"), metadata: { ...claim("x1").metadata, labels: res.labels }, status: { providerID: "aws:///us-east-1a/i-99999999" } };
    await expect(p.delete(gone)).rejects.toThrow(/not found/);
    expect(p.capacityReservations.availableCount("cr-1")).toBe(1);
  });
});

describe("drift", () => {
  test("CapacityReservationDrift once the class no longer selects the instance's reservation", async () => {
    const { p, nc } = await setup([odcr("cr-1")]);
    const res = await p.create(claim("x1"));
    const launched = { ...claim("x1"), metadata: { ...claim("x1").metadata, labels: res.labels, annotations: res.annotations }, status: { providerID: res.providerID, imageID: res.imageID } };
    expect(await p.isDrifted(launched)).toBe("");
    nc.status!.capacityReservations = [];
    expect(await p.isDrifted(launched)).toBe("CapacityReservationDrift");
  });

  test("InstanceTypeNotFound for a NodeClaim over an hour old whose type or zone has no offering any more", async () => {
    const { p, ec2 } = await setup([]);
    const res = await p.create(claim("x1", ["on-demand"]));
    const old = (labels: Record<string, string>) => ({ ...claim("x1"), metadata: { ...claim("x1").metadata, uid: labels.uid ?? "u", labels, annotations: res.annotations, creationTimestamp: new Date(NOW - 2 * 3600_000).toISOString() }, status: { providerID: res.providerID, imageID: res.imageID } });
    expect(await p.isDrifted(old(res.labels))).toBe("");
    expect(await p.isDrifted(old({ ...res.labels, uid: "u2", "node.kubernetes.io/instance-type": "m99.large" }))).toBe("InstanceTypeNotFound");
    expect(await p.isDrifted(old({ ...res.labels, uid: "u3", "topology.kubernetes.io/zone": "us-east-1f" }))).toBe("InstanceTypeNotFound");
    // Younger than an hour: not checked.
    const young = { ...old({ ...res.labels, uid: "u4", "node.kubernetes.io/instance-type": "m99.large" }) };
    young.metadata.creationTimestamp = new Date(ec2.now - 60_000).toISOString();
    expect(await p.isDrifted(young)).toBe("");
  });
});
