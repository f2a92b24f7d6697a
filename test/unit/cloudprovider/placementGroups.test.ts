// Placement groups and nested virtualization, modelled on Karpenter AWS v1.14's placementgroup provider suite, the
// nodeclass PlacementGroupReconciler tests, the instancetype compatibility suite (NestedVirtualizationCompatibility,
// placement strategy), the launch template's Placement, instanceToNodeClaim's placement-group labels and
// isPlacementGroupDrifted.
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import {
  describePlacementGroupsInput,
  placementGroupCondition,
  PlacementGroupProvider,
  targetedPartition,
} from "../../../src/cloudprovider/aws/placementGroups";
import { compatibleInstanceTypes } from "../../../src/cloudprovider/aws/compatibility";
import { placementGroupDrift } from "../../../src/cloudprovider/aws/drift";
import { embeddedShapes, loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { NodeClassResolver } from "../../../src/cloudprovider/aws/nodeClassStatus";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { type Input, LaunchingFakeEc2, readyNodeClass } from "./launchingFakeEc2";
import type { NodeClaimLike } from "../../../src/cloudprovider/types";
import { typeIncompatibility } from "../../../src/scheduling/instancetypes";
import { Requirements } from "../../../src/apis/requirements";

type PG = Record<string, any>;
const NOW = Date.parse("2026-12-01T12:00:00Z");
const GROUPS: PG[] = [
  { GroupId: "pg-cluster1", GroupName: "training", Strategy: "cluster", State: "available" },
  { GroupId: "pg-part1", GroupName: "kafka", Strategy: "partition", PartitionCount: 3, State: "available" },
  { GroupId: "pg-spread1", GroupName: "etcd", Strategy: "spread", SpreadLevel: "rack", State: "available" },
  { GroupId: "pg-deleting", GroupName: "old", Strategy: "cluster", State: "deleting" },
];

class FakeEc2 extends LaunchingFakeEc2 {
  groups = GROUPS.map((g) => ({ ...g }));
  pgCalls: Input[] = [];
  failPG = false;
  /** CreateFleet answers every override with this error (InsufficientInstanceCapacity) and launches nothing. */
  ice?: string;

  constructor() {
    super(NOW);
  }

  protected override handle(command: string, input: Input): Promise<unknown> | undefined {
    if (command !== "DescribePlacementGroupsCommand") return undefined;
    this.pgCalls.push(input);
    if (this.failPG) return Promise.reject(Object.assign(new Error("service unavailable"), { name: "ServiceUnavailable" }));
    const state = input.Filters?.find((f: { Name: string }) => f.Name === "state")?.Values ?? [];
    const ids: string[] | undefined = input.GroupIds;
    const names: string[] | undefined = input.GroupNames;
    const byKey = this.groups.filter((g) => (ids ? ids.includes(g.GroupId) : names ? names.includes(g.GroupName) : true));
    // As EC2: a named group that does not exist is an error, not an empty answer.
    if ((ids || names) && byKey.length === 0)
      return Promise.reject(Object.assign(new Error("unknown group"), { name: ids ? "InvalidPlacementGroupId.NotFound" : "InvalidPlacementGroup.Unknown" }));
    return Promise.resolve({ PlacementGroups: byKey.filter((g) => !state.length || state.includes(g.State)) });
  }

  protected override refuse(input: Input): unknown {
    if (!this.ice) return undefined;
    const errors = input.LaunchTemplateConfigs.flatMap((c: any) => c.Overrides.map((o: any) => ({
      ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: this.ice, Lifecycle: "on-demand",
      LaunchTemplateAndOverrides: { LaunchTemplateSpecification: c.LaunchTemplateSpecification, Overrides: o },
    })));
    return { Instances: [], Errors: errors };
  }

  protected override launched(lt: Input): Input {
    const group = this.groups.find((g) => g.GroupId === lt.Placement?.GroupId);
    // EC2 puts an untargeted instance of a partition group in some partition (here: always 3).
    const partition = group?.Strategy === "partition" ? (lt.Placement.PartitionNumber ?? 3) : undefined;
    return { Placement: { ...(group ? { GroupName: group.GroupName, GroupId: group.GroupId } : {}), ...(partition ? { PartitionNumber: partition } : {}) } };
  }
}

const nodeClass = readyNodeClass;

function claim(name: string, types: string[], extra: NodeClaimLike["spec"]["requirements"] = []): NodeClaimLike {
  return {
    metadata: { name, uid: `${name}-uid`, labels: { "karpenter.sh/nodepool": "default" }, creationTimestamp: new Date(NOW).toISOString() },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [
        { key: "node.kubernetes.io/instance-type", operator: "In", values: types },
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
        ...extra,
      ],
      resources: { requests: { cpu: "500m" } },
    },
  };
}

function setup(spec: Partial<EC2NodeClassLike["spec"]> = {}) {
  const ec2 = new FakeEc2();
  let nc = nodeClass(spec);
  const p = new AwsCloudProvider({
    clusterName: "c", clusterEndpoint: "https://k", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16", region: "us-east-1",
    nodeClassLookup: async () => nc, now: () => ec2.now,
    clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
  });
  return { ec2, p, nc: () => nc, setNodeClass: (s: Partial<EC2NodeClassLike["spec"]>) => (nc = { ...nc, spec: { ...nc.spec, ...s } }) };
}

describe("placement group provider (Karpenter's placementgroup suite)", () => {
  test("a name selector queries GroupNames, an id selector GroupIds (id wins), always state=available", () => {
    const state = [{ Name: "state", Values: ["available"] }];
    expect(describePlacementGroupsInput({ name: "pg-looks-like-an-id" })).toEqual({ Filters: state, GroupNames: ["pg-looks-like-an-id"] });
    expect(describePlacementGroupsInput({ id: "pg-0123" })).toEqual({ Filters: state, GroupIds: ["pg-0123"] });
    expect(describePlacementGroupsInput({ id: "pg-0123", name: "x" })).toEqual({ Filters: state, GroupIds: ["pg-0123"] });
  });

  test("resolves by name and by id with strategy, partition count and spread level", async () => {
    const ec2 = new FakeEc2();
    const p = new PlacementGroupProvider(ec2, () => ec2.now);
    expect((await p.resolve({ name: "kafka" })).group).toEqual({ id: "pg-part1", name: "kafka", strategy: "partition", partitionCount: 3 });
    expect((await p.resolve({ id: "pg-spread1" })).group).toEqual({ id: "pg-spread1", name: "etcd", strategy: "spread", partitionCount: 0, spreadLevel: "rack" });
    expect(await p.resolve(undefined)).toEqual({});
    expect(ec2.pgCalls).toHaveLength(2);
  });

  test("not found (unknown, or not available) resolves to nothing; results cached a minute per selector", async () => {
    const ec2 = new FakeEc2();
    const p = new PlacementGroupProvider(ec2, () => ec2.now);
    expect(await p.resolve({ name: "nope" })).toEqual({});
    expect(await p.resolve({ name: "old" })).toEqual({});
    await p.resolve({ name: "training" });
    await p.resolve({ name: "training" });
    expect(ec2.pgCalls).toHaveLength(3);
    await p.resolve({ id: "pg-cluster1" });
    expect(ec2.pgCalls).toHaveLength(4);
    ec2.now += 61_000;
    await p.resolve({ name: "training" });
    expect(ec2.pgCalls).toHaveLength(5);
  });

  test("an EC2 error returns the error and the last resolved group (24 h), none if never resolved", async () => {
    const ec2 = new FakeEc2();
    const p = new PlacementGroupProvider(ec2, () => ec2.now);
    await p.resolve({ name: "training" });
    ec2.failPG = true;
    ec2.now += 61_000;
    const r = await p.resolve({ name: "training" });
    expect(r.group?.id).toBe("pg-cluster1");
    expect(r.error).toMatch(/describing placement groups, service unavailable/);
    const never = await p.resolve({ name: "kafka" });
    expect(never.group).toBeUndefined();
    expect(never.error).toBeDefined();
  });
});

describe("PlacementGroupReady (Karpenter's nodeclass PlacementGroupReconciler)", () => {
  function resolver(ec2: FakeEc2) {
    const fixed = { list: async () => [{ id: "x", zone: "us-east-1a", zoneID: "use1-az1", name: "x", requirements: [] }] };
    return new NodeClassResolver(
      { subnets: fixed, securityGroups: fixed, amis: fixed, instanceProfiles: { resolve: async () => "p" }, placementGroups: new PlacementGroupProvider(ec2, () => ec2.now) } as never,
      () => "1.34",
      () => ec2.now,
    );
  }
  const cond = (r: { status: { conditions?: Array<{ type: string }> } }, type: string) => r.status.conditions!.find((c) => c.type === type);

  test("True without a selector and when resolved; the class is Ready", async () => {
    const ec2 = new FakeEc2();
    for (const spec of [{}, { placementGroupSelector: { name: "training" } }, { placementGroupSelector: { id: "pg-part1" } }]) {
      const r = await resolver(ec2).resolve(nodeClass(spec));
      expect(cond(r, "PlacementGroupReady")).toMatchObject({ status: "True", reason: "PlacementGroupReady" });
      expect(r.ready).toBe(true);
    }
  });

  test("not found or not available: False PlacementGroupNotFound naming the selector, the class not Ready", async () => {
    const ec2 = new FakeEc2();
    for (const [sel, named] of [[{ name: "missing" }, "missing"], [{ name: "old" }, "old"], [{ id: "pg-404" }, "pg-404"]] as const) {
      const r = await resolver(ec2).resolve(nodeClass({ placementGroupSelector: sel }));
      expect(cond(r, "PlacementGroupReady")).toMatchObject({ status: "False", reason: "PlacementGroupNotFound", message: `Placement group "${named}" not found` });
      expect(r.ready).toBe(false);
      expect(cond(r, "Ready")).toMatchObject({ status: "False", reason: "PlacementGroupNotFound" });
    }
  });

  test("a failing lookup: False PlacementGroupResolutionFailed", () => {
    expect(placementGroupCondition({ name: "training" }, { error: "describing placement groups, boom" })).toEqual({
      type: "PlacementGroupReady", ok: false, reason: "PlacementGroupResolutionFailed",
      message: 'Failed to resolve placement group "training": describing placement groups, boom',
    });
  });
});

describe("instance-type compatibility (Karpenter's compatibility suite)", () => {
  const shapes = embeddedShapes();
  const types = loadCatalog({ region: "us-east-1" });
  const names = (ts: Array<{ name: string }>) => new Set(ts.map((t) => t.name));

  test("nestedVirtualization=enabled keeps only types reporting nested-virtualization; disabled or unset keeps all", () => {
    const nested = compatibleInstanceTypes(types, shapes, { nestedVirtualization: "enabled" });
    expect(nested.length).toBeGreaterThan(0);
    expect(nested.length).toBeLessThan(types.length);
    const supported = new Set(shapes.filter((s) => s.nvt === 1).map((s) => s.n));
    for (const t of nested) expect(supported.has(t.name)).toBe(true);
    expect(names(nested).has("c7i.large")).toBe(true); // DescribeInstanceTypes lists nested-virtualization
    expect(names(nested).has("m5.large")).toBe(false); // it does not
    expect(compatibleInstanceTypes(types, shapes, { nestedVirtualization: "disabled" })).toBe(types);
    expect(compatibleInstanceTypes(types, shapes, {})).toBe(types);
  });

  test("a placement group keeps types supporting its strategy and labels them with its id", () => {
    const noCluster = shapes.find((s) => s.pgs && !s.pgs.includes("cluster"))!;
    expect(noCluster).toBeDefined();
    const cluster = compatibleInstanceTypes(types, shapes, { placementGroup: { id: "pg-1", name: "t", strategy: "cluster", partitionCount: 0 } });
    expect(names(cluster).has(noCluster.n)).toBe(false);
    expect(cluster.every((t) => t.labels["karpenter.k8s.aws/placement-group-id"] === "pg-1")).toBe(true);
    const spread = compatibleInstanceTypes(types, shapes, { placementGroup: { id: "pg-2", name: "s", strategy: "spread", partitionCount: 0 } });
    if (noCluster.pgs!.includes("spread")) expect(names(spread).has(noCluster.n)).toBe(true);
  });
});

describe("partition placement groups in scheduling (Karpenter's per-partition requirements)", () => {
  const key = "karpenter.k8s.aws/placement-group-partition";
  const types = loadCatalog({ region: "us-east-1" }).filter((t) => t.name === "m5.large");
  const pg = { id: "pg-p", name: "p", strategy: "partition" as const, partitionCount: 3 };
  const [inGroup] = compatibleInstanceTypes(types, embeddedShapes(), { placementGroup: pg });
  const reqs = (values: string[]) => Requirements.fromNodeSelector([{ key, operator: "In", values }]);

  test("a pod may target any of the group's partitions, none outside them", () => {
    expect(inGroup!.partitions).toEqual(["1", "2", "3"]);
    expect(typeIncompatibility(inGroup!, reqs(["2"]))).toBeUndefined();
    expect(typeIncompatibility(inGroup!, reqs(["4"]))).toMatch(/partitions 1,2,3/);
  });

  test("outside a partition group the partition label is absent: a pod targeting a partition does not fit", () => {
    expect(typeIncompatibility(types[0]!, reqs(["1"]))).toBeDefined();
  });
});

describe("launches into the placement group (launch template Placement, NodeClaim labels)", () => {
  test("cluster group: the template targets the group by id (name selector), NodeClaim labelled with the id, no partition label", async () => {
    const { ec2, p, nc } = setup({ placementGroupSelector: { name: "training" } });
    const res = await p.create(claim("a", ["m5.large"]));
    const [lt] = [...ec2.templates.values()];
    expect(lt!.Placement).toEqual({ GroupId: "pg-cluster1" });
    expect(res.labels["karpenter.k8s.aws/placement-group-id"]).toBe("pg-cluster1");
    expect(res.labels).not.toHaveProperty("karpenter.k8s.aws/placement-group-partition");
    expect((await p.getInstanceTypes(nc())).every((t) => t.labels["karpenter.k8s.aws/placement-group-id"] === "pg-cluster1")).toBe(true);
  });

  test("partition group: a targeted partition (lowest of the requirement) goes into the template and the label", async () => {
    const { ec2, p } = setup({ placementGroupSelector: { id: "pg-part1" } });
    const res = await p.create(claim("b", ["m5.large"], [{ key: "karpenter.k8s.aws/placement-group-partition", operator: "In", values: ["3", "2"] }]));
    expect([...ec2.templates.values()][0]!.Placement).toEqual({ GroupId: "pg-part1", PartitionNumber: 2 });
    expect(res.labels["karpenter.k8s.aws/placement-group-partition"]).toBe("2");
  });

  test("partition group, no partition targeted: EC2 picks; the label is the instance's PartitionNumber", async () => {
    const { ec2, p } = setup({ placementGroupSelector: { id: "pg-part1" } });
    const res = await p.create(claim("c", ["m5.large"]));
    expect([...ec2.templates.values()][0]!.Placement).toEqual({ GroupId: "pg-part1" });
    expect(res.labels["karpenter.k8s.aws/placement-group-id"]).toBe("pg-part1");
    expect(res.labels["karpenter.k8s.aws/placement-group-partition"]).toBe("3");
  });

  test("nestedVirtualization=enabled: a NodeClaim allowing only unsupported types cannot launch; a supported one does", async () => {
    const { p } = setup({ cpuOptions: { nestedVirtualization: "enabled" } });
    await expect(p.create(claim("d", ["m5.large"]))).rejects.toThrow();
    const res = await p.create(claim("e", ["m5.large", "c7i.large"]));
    expect(res.instanceType).toBe("c7i.large");
  });

  test("targetedPartition: the lowest In value sorted as strings, as Karpenter; none without the requirement", () => {
    const key = "karpenter.k8s.aws/placement-group-partition";
    expect(targetedPartition([{ key, operator: "In", values: ["7", "5"] }], key)).toBe(5);
    expect(targetedPartition([{ key: "other", operator: "In", values: ["1"] }], key)).toBeUndefined();
    expect(targetedPartition([{ key, operator: "NotIn", values: ["1"] }], key)).toBeUndefined();
  });
});

describe("PlacementGroupDrift (Karpenter's isPlacementGroupDrifted), for every NodeClaim", () => {
  test("label vs the class's resolved group id: added, removed, changed", () => {
    const L = "karpenter.k8s.aws/placement-group-id";
    expect(placementGroupDrift({}, "")).toBe("");
    expect(placementGroupDrift({}, "pg-1")).toBe("PlacementGroupDrift"); // selector added: an unlabelled NodeClaim drifts
    expect(placementGroupDrift({ [L]: "pg-1" }, "")).toBe("PlacementGroupDrift"); // selector removed
    expect(placementGroupDrift({ [L]: "pg-1" }, "pg-2")).toBe("PlacementGroupDrift");
    expect(placementGroupDrift({ [L]: "pg-1" }, "pg-1")).toBe("");
  });

  test("through isDrifted: a NodeClaim launched outside a group drifts once a name selector resolves; a failed lookup is no drift", async () => {
    const { ec2, p, setNodeClass } = setup();
    const res = await p.create(claim("f", ["m5.large"]));
    const launched: NodeClaimLike = { ...claim("f", ["m5.large"]), metadata: { ...claim("f", ["m5.large"]).metadata, labels: res.labels }, status: { providerID: res.providerID } };
    expect(await p.isDrifted(launched)).toBe("");
    setNodeClass({ placementGroupSelector: { name: "kafka" } });
    expect(await p.isDrifted(launched)).toBe("PlacementGroupDrift");
    setNodeClass({ placementGroupSelector: { name: "etcd" } });
    ec2.failPG = true;
    expect(await p.isDrifted(launched)).toBe("");
  });
});

describe("ICE inside a placement group is scoped to it (Karpenter's WithPlacementGroup)", () => {
  const available = (types: Array<{ name: string; offerings: Array<{ zone: string; capacityType: string; available: boolean }> }>, name: string) =>
    types.find((t) => t.name === name)!.offerings.filter((o) => o.capacityType === "on-demand").map((o) => [o.zone, o.available]);

  test("an ICE in a cluster group marks the offering unavailable for that group only", async () => {
    const { ec2, p, nc, setNodeClass } = setup({ placementGroupSelector: { name: "training" } });
    ec2.ice = "We currently do not have sufficient m5.large capacity";
    await expect(p.create(claim("g", ["m5.large"]))).rejects.toThrow(/InsufficientInstanceCapacity/);
    expect(p.unavailableOfferings.isUnavailable("m5.large", "us-east-1a", "on-demand")).toBe(false);
    expect(p.unavailableOfferings.isUnavailable("m5.large", "us-east-1a", "on-demand", ["pg-cluster1"])).toBe(true);
    expect(available(await p.getInstanceTypes(nc()), "m5.large")).toEqual([["us-east-1a", false], ["us-east-1b", false]]);
    setNodeClass({ placementGroupSelector: undefined });
    expect(available(await p.getInstanceTypes(nc()), "m5.large")).toEqual([["us-east-1a", true], ["us-east-1b", true]]);
  });

  test("a targeted partition's ICE is scoped to that partition", async () => {
    const { ec2, p } = setup({ placementGroupSelector: { name: "kafka" } });
    ec2.ice = "no capacity";
    const req = [{ key: "karpenter.k8s.aws/placement-group-partition", operator: "In", values: ["2"] }];
    await expect(p.create(claim("h", ["m5.large"], req))).rejects.toThrow();
    expect(p.unavailableOfferings.isUnavailable("m5.large", "us-east-1a", "on-demand", ["pg-part1"])).toBe(false);
    expect(p.unavailableOfferings.isUnavailable("m5.large", "us-east-1a", "on-demand", ["pg-part1", "pg-part1:2"])).toBe(true);
  });

  test("a spread group's seven-per-zone limit marks every type of the launch in that zone, for that group", async () => {
    const { ec2, p } = setup({ placementGroupSelector: { name: "etcd" } });
    ec2.ice = "You've reached the limit of instances in this spread placement group. A spread placement group can have up to seven instances per Availability Zone.";
    await expect(p.create(claim("i", ["m5.large", "c5.large"]))).rejects.toThrow();
    for (const t of ["m5.large", "c5.large"]) {
      expect(p.unavailableOfferings.isUnavailable(t, "us-east-1a", "on-demand", ["pg-spread1"])).toBe(true);
      expect(p.unavailableOfferings.isUnavailable(t, "us-east-1a", "on-demand")).toBe(false);
    }
  });
});
