import type { InstanceType } from "../../../src/cloudprovider/aws/catalog";
import { planLaunch, NoLaunchOptionError } from "../../../src/cloudprovider/aws/launchOptions";
import { buildCreateFleetInput, clientToken, parseFleetErrors } from "../../../src/cloudprovider/aws/fleetRequest";

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const SUBNETS = ZONES.map((zone, i) => ({ id: `subnet-${i}`, zone, zoneID: `use1-az${i + 1}` }));

function it(name: string, cpu: number, od: number, opts: { arch?: string; spot?: number; zones?: string[] } = {}): InstanceType {
  const zones = opts.zones ?? [...ZONES, "us-east-1d"];
  return {
    name,
    labels: { "node.kubernetes.io/instance-type": name, "kubernetes.io/arch": opts.arch ?? "amd64", "karpenter.k8s.aws/instance-cpu": String(cpu) },
    capacity: { cpu: cpu * 1000, memory: cpu * 4 * 2 ** 30, pods: 29 },
    overhead: { kubeReserved: {}, systemReserved: {}, evictionThreshold: {} },
    allocatable: { cpu: cpu * 1000 - 100, memory: cpu * 4 * 2 ** 30 - 2 ** 29, pods: 29 },
    offerings: zones.flatMap(zone => [
      { zone, capacityType: "on-demand" as const, price: od, available: true },
      { zone, capacityType: "spot" as const, price: opts.spot ?? od * 0.35, available: true },
    ]),
  };
}

const catalog = [it("m5.xlarge", 4, 0.192), it("m5.large", 2, 0.096), it("m6g.large", 2, 0.077, { arch: "arm64" }), it("m5.2xlarge", 8, 0.384)];
const req = (key: string, operator: string, values?: string[]) => ({ key, operator, values });

describe("launch planning", () => {
  test("spot is chosen when allowed and offered, options cheapest first, only in the nodeclass's zones", () => {
    const plan = planLaunch({ requirements: [req("karpenter.sh/capacity-type", "In", ["spot", "on-demand"])], catalog, subnets: SUBNETS });
    expect(plan.capacityType).toBe("spot");
    expect(plan.instanceTypes.map(t => t.name)).toEqual(["m6g.large", "m5.large", "m5.xlarge", "m5.2xlarge"]);
    expect(new Set(plan.options.map(o => o.zone))).toEqual(new Set(ZONES));
    expect(plan.options[0]).toMatchObject({ zone: "us-east-1a", subnetId: "subnet-0", capacityType: "spot" });
  });

  test("on-demand is used when spot is not allowed, or every spot offering is unavailable", () => {
    expect(planLaunch({ requirements: [req("karpenter.sh/capacity-type", "In", ["on-demand"])], catalog, subnets: SUBNETS }).capacityType).toBe("on-demand");
    const plan = planLaunch({ requirements: [], catalog, subnets: SUBNETS, isUnavailable: (_t, _z, ct) => ct === "spot" });
    expect(plan.capacityType).toBe("on-demand");
  });

  test("requirements on zone, arch and numeric labels (Gte/Lt) and resource requests filter the options", () => {
    const plan = planLaunch({
      requirements: [req("topology.kubernetes.io/zone", "In", ["us-east-1b"]), req("kubernetes.io/arch", "In", ["amd64"]),
        req("karpenter.k8s.aws/instance-cpu", "Gte", ["2"]), req("karpenter.k8s.aws/instance-cpu", "Lt", ["8"])],
      requests: { cpu: "3" }, catalog, subnets: SUBNETS,
    });
    expect(plan.instanceTypes.map(t => t.name)).toEqual(["m5.xlarge"]);
    expect(plan.options.map(o => o.zone)).toEqual(["us-east-1b"]);
  });

  test("ICE'd offerings are left out of the options", () => {
    const plan = planLaunch({ requirements: [req("node.kubernetes.io/instance-type", "In", ["m5.large"])], catalog, subnets: SUBNETS,
      isUnavailable: (t, z, ct) => t === "m5.large" && z === "us-east-1a" && ct === "spot" });
    expect(plan.options.map(o => o.zone)).toEqual(["us-east-1b", "us-east-1c"]);
  });

  test("at most 60 instance types, the cheapest", () => {
    const many = Array.from({ length: 80 }, (_, i) => it(`t${String(i).padStart(2, "0")}.large`, 2, 1 + i / 100));
    const plan = planLaunch({ requirements: [], catalog: many.reverse(), subnets: SUBNETS });
    expect(plan.instanceTypes).toHaveLength(60);
    expect(plan.instanceTypes[0]!.name).toBe("t00.large");
    expect(plan.instanceTypes[59]!.name).toBe("t59.large");
  });

  test("nothing launchable is an error that says why", () => {
    expect(() => planLaunch({ requirements: [req("node.kubernetes.io/instance-type", "In", ["p5.48xlarge"])], catalog, subnets: SUBNETS })).toThrow(NoLaunchOptionError);
    expect(() => planLaunch({ requirements: [], catalog, subnets: SUBNETS, isUnavailable: () => true })).toThrow(/no available reserved\/spot\/on-demand offering/);
    expect(() => planLaunch({ requirements: [req("karpenter.sh/capacity-type", "In", ["reserved"])], catalog, subnets: SUBNETS })).toThrow(/no available reserved offering/);
  });
});

describe("CreateFleet request", () => {
  const plan = planLaunch({ requirements: [req("kubernetes.io/arch", "In", ["amd64"])], catalog, subnets: SUBNETS });
  const groups = [
    { launchTemplateName: "karpenter.k8s.aws/b", options: plan.options.filter(o => o.instanceType.name !== "m5.large") },
    { launchTemplateName: "karpenter.k8s.aws/a", options: plan.options.filter(o => o.instanceType.name === "m5.large") },
  ];

  test("is an instant fleet of one, price-capacity-optimized for spot, with the cheapest config and override first", () => {
    const input = buildCreateFleetInput({ capacityType: "spot", groups, tags: { b: "2", a: "1" }, clientToken: "tok" });
    expect(input).toMatchObject({ Type: "instant", ClientToken: "tok", TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: "spot" }, SpotOptions: { AllocationStrategy: "price-capacity-optimized" } });
    expect(input.OnDemandOptions).toBeUndefined();
    expect(input.LaunchTemplateConfigs![0]!.LaunchTemplateSpecification!.LaunchTemplateName).toBe("karpenter.k8s.aws/a");
    expect(input.LaunchTemplateConfigs![0]!.Overrides![0]).toEqual({ InstanceType: "m5.large", SubnetId: "subnet-0", AvailabilityZone: "us-east-1a" });
    expect(input.LaunchTemplateConfigs![1]!.Overrides!.map(o => o.InstanceType)).toEqual(["m5.xlarge", "m5.xlarge", "m5.xlarge", "m5.2xlarge", "m5.2xlarge", "m5.2xlarge"]);
    expect(input.TagSpecifications!.find(t => t.ResourceType === "instance")!.Tags).toEqual([{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }]);
  });

  test("on-demand uses lowest-price", () => {
    const input = buildCreateFleetInput({ capacityType: "on-demand", groups, tags: {}, clientToken: "t" });
    expect(input.OnDemandOptions).toEqual({ AllocationStrategy: "lowest-price" });
    expect(input.SpotOptions).toBeUndefined();
  });

  test("prioritized (NodeOverlay prices): capacity-optimized-prioritized for spot, prioritized on-demand, each override's Priority its price", () => {
    const spot = buildCreateFleetInput({ capacityType: "spot", groups, tags: {}, clientToken: "t", prioritized: true });
    expect(spot.SpotOptions).toEqual({ AllocationStrategy: "capacity-optimized-prioritized" });
    const od = buildCreateFleetInput({ capacityType: "on-demand", groups, tags: {}, clientToken: "t", prioritized: true });
    expect(od.OnDemandOptions).toEqual({ AllocationStrategy: "prioritized" });
    const prices = new Map(plan.options.map(o => [`${o.instanceType.name}/${o.subnetId}`, o.price]));
    for (const o of od.LaunchTemplateConfigs!.flatMap(c => c.Overrides!)) expect(o.Priority).toBe(prices.get(`${o.InstanceType}/${o.SubnetId}`));
  });

  test("the client token depends on the NodeClaim and the attempt only, never on the (prunable) options", () => {
    expect(clientToken("uid-1")).toBe(clientToken("uid-1", 0));
    expect(clientToken("uid-1")).not.toBe(clientToken("uid-2"));
    expect(clientToken("uid-1", 1)).not.toBe(clientToken("uid-1", 0));
    expect(clientToken("uid-1").length).toBeLessThanOrEqual(64);
  });

  test("fleet errors are parsed into offerings, with the zone taken from the subnet when absent", () => {
    const failures = parseFleetErrors([
      { ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: "no capacity", Lifecycle: "spot", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.large", SubnetId: "subnet-1" } } },
      { ErrorCode: "InvalidParameterValue", ErrorMessage: "bad", LaunchTemplateAndOverrides: { Overrides: { InstanceType: "m5.xlarge", AvailabilityZone: "us-east-1c" } } },
    ], "spot", id => SUBNETS.find(s => s.id === id)?.zone);
    expect(failures).toEqual([
      { instanceType: "m5.large", zone: "us-east-1b", subnetId: "subnet-1", capacityType: "spot", code: "InsufficientInstanceCapacity", message: "no capacity", unfulfillable: true },
      { instanceType: "m5.xlarge", zone: "us-east-1c", subnetId: undefined, capacityType: "spot", code: "InvalidParameterValue", message: "bad", unfulfillable: false },
    ]);
  });
});
