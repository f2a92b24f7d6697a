// Instance-type shapes come live from DescribeInstanceTypes (the region's EC2 or the emulator), as Karpenter's
// instancetype provider reads them; the embedded snapshot only fills what EC2 does not report, or stands in
// (with a warning) when EC2 cannot be asked.
import { Writable } from "node:stream";
import pino from "pino";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { embeddedShapes, loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { liveShapes } from "../../../src/cloudprovider/aws/instanceTypes";

// m5.large as EC2 would describe it if AWS doubled its memory and ENIs; c7g.xlarge unchanged in shape.
const m5 = {
  InstanceType: "m5.large", SupportedVirtualizationTypes: ["hvm"], SupportedUsageClasses: ["on-demand", "spot"], Hypervisor: "nitro", CurrentGeneration: true,
  VCpuInfo: { DefaultVCpus: 2 }, MemoryInfo: { SizeInMiB: 16384 },
  ProcessorInfo: { SupportedArchitectures: ["x86_64"], Manufacturer: "Intel", SustainedClockSpeedInGhz: 3.1 },
  NetworkInfo: { MaximumNetworkInterfaces: 6, Ipv4AddressesPerInterface: 10, NetworkCards: [{ BaselineBandwidthInGbps: 0.75 }] },
  EbsInfo: { EbsOptimizedInfo: { MaximumBandwidthInMbps: 4750 } },
};
const g5 = {
  InstanceType: "g5.xlarge", SupportedVirtualizationTypes: ["hvm"], SupportedUsageClasses: ["on-demand"], Hypervisor: "nitro",
  VCpuInfo: { DefaultVCpus: 4 }, MemoryInfo: { SizeInMiB: 16384 },
  ProcessorInfo: { SupportedArchitectures: ["x86_64"], Manufacturer: "AMD" },
  NetworkInfo: { MaximumNetworkInterfaces: 4, Ipv4AddressesPerInterface: 15 },
  GpuInfo: { Gpus: [{ Name: "A10G", Manufacturer: "NVIDIA", Count: 1, MemoryInfo: { SizeInMiB: 24576 } }] },
};
const paravirtual = { ...m5, InstanceType: "m1.small", SupportedVirtualizationTypes: ["paravirtual"] };
const euOfferings = new Map([["m5.large", ["eu-west-1a", "eu-west-1b"]], ["g5.xlarge", ["eu-west-1a"]]]);

describe("live instance-type shapes", () => {
  test("shapes are EC2's answer; pod-ENI branch interfaces and Karpenter's bandwidth come from the snapshot", () => {
    const shapes = liveShapes([m5, g5, paravirtual]);
    expect(shapes.map(s => s.n)).toEqual(["g5.xlarge", "m5.large"]);
    const old = embeddedShapes().find(s => s.n === "m5.large")!;
    const s = shapes.find(x => x.n === "m5.large")!;
    expect(s).toMatchObject({ c: 2, m: 16384, e: 6, i: 10, u: 1, br: old.br, nb: old.nb });
    expect(old.m).toBe(8192);
    expect(shapes.find(x => x.n === "g5.xlarge")).toMatchObject({ u: 0, g: { n: "A10G", m: "NVIDIA", c: 1, mem: 24576 } });
  });

  test("the catalog built from live shapes has their capacity, labels, max pods and allocatable", () => {
    const shapes = liveShapes([m5, g5]);
    const live = new Map(loadCatalog({ region: "eu-west-1", offerings: euOfferings, shapes }).map(t => [t.name, t]));
    const snap = new Map(loadCatalog({ region: "eu-west-1", offerings: euOfferings }).map(t => [t.name, t]));
    const a = live.get("m5.large")!, b = snap.get("m5.large")!;
    expect(a.labels["karpenter.k8s.aws/instance-memory"]).toBe("16384");
    expect(a.capacity.memory!).toBeGreaterThan(b.capacity.memory!);
    expect(a.capacity.pods).toBe(6 * 9 + 2); // ENI formula with EC2's 6 ENIs (snapshot: 3 → 29)
    expect(b.capacity.pods).toBe(29);
    expect(a.allocatable.memory!).toBeGreaterThan(b.allocatable.memory!);
    expect(a.capacity["vpc.amazonaws.com/pod-eni"]).toBe(b.capacity["vpc.amazonaws.com/pod-eni"]);
    const g = live.get("g5.xlarge")!;
    expect(g.capacity["nvidia.com/gpu"]).toBe(1);
    expect(g.offerings.map(o => `${o.zone}/${o.capacityType}`)).toEqual(["eu-west-1a/on-demand"]); // EC2: no spot
  });

  function provider(ec2Send: (name: string, input: Record<string, unknown>) => unknown) {
    const lines: string[] = [];
    const calls: string[] = [];
    const logger = pino({}, new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
    const ec2 = { send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => { calls.push(cmd.constructor.name); return ec2Send(cmd.constructor.name, cmd.input); } };
    const p = new AwsCloudProvider({
      clusterName: "c", clusterEndpoint: "https://k", region: "eu-west-1", nodeClassLookup: async () => undefined, logger,
      clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
    });
    return { p, lines, calls };
  }
  const nc = { metadata: { name: "d" }, spec: {}, status: { subnets: [{ id: "s-a", zone: "eu-west-1a" }, { id: "s-b", zone: "eu-west-1b" }] } } as unknown as EC2NodeClassLike;
  const offeringsAnswer = { InstanceTypeOfferings: [...euOfferings].flatMap(([t, zs]) => zs.map(z => ({ InstanceType: t, Location: z }))) };

  test("the provider asks DescribeInstanceTypes (paginated) and plans with EC2's shapes", async () => {
    const { p, calls } = provider((name, input) => {
      if (name === "DescribeSpotPriceHistoryCommand") return { SpotPriceHistory: [] };
      if (name === "DescribeInstanceTypeOfferingsCommand") return offeringsAnswer;
      if (name === "DescribeInstanceTypesCommand") return input.NextToken ? { InstanceTypes: [g5] } : { InstanceTypes: [m5], NextToken: "p2" };
      throw new Error(`unexpected ${name}`);
    });
    const types = await p.getInstanceTypes(nc);
    expect(types.map(t => t.name).sort()).toEqual(["g5.xlarge", "m5.large"]);
    expect(types.find(t => t.name === "m5.large")!.labels["karpenter.k8s.aws/instance-memory"]).toBe("16384");
    expect(calls.filter(c => c === "DescribeInstanceTypesCommand")).toHaveLength(2);
    await p.getInstanceTypes(nc);
    expect(calls.filter(c => c === "DescribeInstanceTypesCommand")).toHaveLength(2); // cached (5m TTL)
  });

  test("when DescribeInstanceTypes fails the embedded shapes stand in, with one warning", async () => {
    const { p, lines } = provider((name) => {
      if (name === "DescribeSpotPriceHistoryCommand") return { SpotPriceHistory: [] };
      if (name === "DescribeInstanceTypeOfferingsCommand") return offeringsAnswer;
      throw Object.assign(new Error("You are not authorized to perform: ec2:DescribeInstanceTypes"), { name: "UnauthorizedOperation" });
    });
    const types = await p.getInstanceTypes(nc);
    expect(types.find(t => t.name === "m5.large")!.labels["karpenter.k8s.aws/instance-memory"]).toBe("8192");
    const warns = lines.filter(l => /embedded instance-type snapshot/.test(l));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatch(/"level":40/);
    expect(warns[0]).toMatch(/not authorized/);
  });
});
