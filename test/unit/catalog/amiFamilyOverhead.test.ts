// Per-AMI-family capacity in the catalog, as Karpenter's instancetype provider computes it: pod density
// (Windows has no ENI-limited density; Bottlerocket ignores podsPerCore), where pods' ephemeral storage lives
// (root volume, Bottlerocket's data volume, Windows' 50Gi /dev/sda1, a Custom family's last mapping) and RAID0
// over instance-store disks. The scheduler packs against these numbers, so they must match what the node boots.
import { ephemeralStorageBytes, familyKubeletFlags, loadCatalog, maxPods } from "../../../src/cloudprovider/aws/catalog";
import { shapeFromInstanceTypeInfo } from "../../../src/cloudprovider/aws/catalog/fromApi";
import pino from "pino";
import { AwsCloudProvider } from "../../../src/cloudprovider/aws/awsCloudProvider";
import type { AwsClients } from "../../../src/cloudprovider/aws/clients";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";

const Gi = 2 ** 30;
const typeOf = (name: string, opts: Parameters<typeof loadCatalog>[0] = {}) => loadCatalog(opts).find(t => t.name === name)!;

describe("pod density per AMI family", () => {
  test("AL2023/AL2/Bottlerocket: ENI-limited; Windows: 110 unless maxPods is set", () => {
    // m5.large: 3 ENIs x (10 - 1) + 2
    for (const f of [undefined, "AL2023", "AL2", "Bottlerocket", "Custom"]) expect(maxPods(2, 3, 10, undefined, f)).toBe(29);
    for (const f of ["Windows2019", "Windows2022", "Windows2025"]) {
      expect(maxPods(2, 3, 10, undefined, f)).toBe(110);
      expect(maxPods(2, 3, 10, { maxPods: 40 }, f)).toBe(40);
    }
    expect(typeOf("m5.large", { amiFamily: "Windows2022" }).capacity.pods).toBe(110);
    expect(typeOf("m5.large", { amiFamily: "AL2023" }).capacity.pods).toBe(29);
  });

  test("podsPerCore caps pods everywhere but on Bottlerocket, which has no such setting", () => {
    expect(familyKubeletFlags("Bottlerocket").podsPerCore).toBe(false);
    expect(maxPods(2, 3, 10, { podsPerCore: 4 }, "AL2023")).toBe(8);
    expect(maxPods(2, 3, 10, { podsPerCore: 4 }, "Windows2022")).toBe(8);
    expect(maxPods(2, 3, 10, { podsPerCore: 4 }, "Bottlerocket")).toBe(29);
  });

  test("kube-reserved memory follows the family's pod count (11Mi per pod + 255Mi)", () => {
    const linux = typeOf("m5.large", { amiFamily: "AL2023" });
    const windows = typeOf("m5.large", { amiFamily: "Windows2022" });
    expect(linux.overhead.kubeReserved.memory).toBe((11 * 29 + 255) * 2 ** 20);
    expect(windows.overhead.kubeReserved.memory).toBe((11 * 110 + 255) * 2 ** 20);
    expect(windows.allocatable.memory).toBeLessThan(linux.allocatable.memory!);
  });
});

describe("pods' ephemeral storage per AMI family and block device mappings", () => {
  test("defaults: AL2023/AL2 20Gi root, Bottlerocket 20Gi data volume, Windows 50Gi", () => {
    expect(ephemeralStorageBytes("AL2023", undefined)).toBe(20 * Gi);
    expect(ephemeralStorageBytes("AL2", [])).toBe(20 * Gi);
    expect(ephemeralStorageBytes("Bottlerocket", undefined)).toBe(20 * Gi);
    expect(ephemeralStorageBytes("Windows2022", undefined)).toBe(50 * Gi);
  });

  test("the mapping marked rootVolume wins; else the family's device (Bottlerocket /dev/xvdb, not its 4Gi OS volume)", () => {
    expect(ephemeralStorageBytes("AL2023", [{ deviceName: "/dev/xvdb", rootVolume: true, ebs: { volumeSize: "100Gi" } }, { deviceName: "/dev/xvda", ebs: { volumeSize: "30Gi" } }])).toBe(100 * Gi);
    expect(ephemeralStorageBytes("Bottlerocket", [{ deviceName: "/dev/xvda", ebs: { volumeSize: "4Gi" } }, { deviceName: "/dev/xvdb", ebs: { volumeSize: "80Gi" } }])).toBe(80 * Gi);
    expect(ephemeralStorageBytes("AL2023", [{ deviceName: "/dev/xvda", ebs: { volumeSize: "100G" } }])).toBe(100e9);
    expect(ephemeralStorageBytes("Windows2022", [{ deviceName: "/dev/sda1", ebs: { volumeSize: "120Gi" } }])).toBe(120 * Gi);
    // no mapping for the family's device: its default
    expect(ephemeralStorageBytes("AL2023", [{ deviceName: "/dev/xvdc", ebs: { volumeSize: "500Gi" } }])).toBe(20 * Gi);
  });

  test("a Custom family's storage is its last mapping (capsicum cannot know the image's layout)", () => {
    expect(ephemeralStorageBytes("Custom", [{ deviceName: "/dev/xvda", ebs: { volumeSize: "10Gi" } }, { deviceName: "/dev/xvdz", ebs: { volumeSize: "64Gi" } }])).toBe(64 * Gi);
  });

  test("RAID0 offers the instance-store NVMe total (GB) on types that have it, the EBS volume elsewhere", () => {
    const raid = { instanceStorePolicy: "RAID0", ephemeralStorage: 20 * Gi };
    expect(typeOf("m5d.4xlarge", raid).capacity["ephemeral-storage"]).toBe(600e9);
    expect(typeOf("m5.large", raid).capacity["ephemeral-storage"]).toBe(20 * Gi);
    expect(typeOf("m5d.4xlarge", { ephemeralStorage: 20 * Gi }).capacity["ephemeral-storage"]).toBe(20 * Gi);
    // nodefs.available 10% of the array is held back for eviction
    expect(typeOf("m5d.4xlarge", raid).overhead.evictionThreshold["ephemeral-storage"]).toBe(60e9);
  });

  test("RAID0 counts SSD/HDD (non-NVMe) instance stores too, as Karpenter sizes from TotalSizeInGB", () => {
    const raid = { instanceStorePolicy: "RAID0", ephemeralStorage: 20 * Gi };
    expect(typeOf("d2.xlarge", raid).capacity["ephemeral-storage"]).toBe(6144e9); // 3 x 2048 GB HDD
    expect(typeOf("h1.2xlarge", raid).capacity["ephemeral-storage"]).toBe(2000e9); // HDD
    expect(typeOf("c3.large", raid).capacity["ephemeral-storage"]).toBe(32e9); // 2 x 16 GB SSD
    // ...without labelling them as local NVMe
    expect(typeOf("d2.xlarge", raid).labels["karpenter.k8s.aws/instance-local-nvme"]).toBeUndefined();
    expect(typeOf("d2.xlarge", { ephemeralStorage: 20 * Gi }).capacity["ephemeral-storage"]).toBe(20 * Gi);
  });

  test("live DescribeInstanceTypes shapes keep the store size of non-NVMe disks apart from NVMe", () => {
    const base = { InstanceType: "x.large", VCpuInfo: { DefaultVCpus: 2 }, MemoryInfo: { SizeInMiB: 4096 }, ProcessorInfo: { SupportedArchitectures: ["x86_64"] }, SupportedVirtualizationTypes: ["hvm"], NetworkInfo: { MaximumNetworkInterfaces: 2, Ipv4AddressesPerInterface: 4 } };
    const hdd = shapeFromInstanceTypeInfo({ ...base, InstanceStorageInfo: { NvmeSupport: "unsupported", TotalSizeInGB: 6144 } } as never, { zones: [] })!;
    const nvme = shapeFromInstanceTypeInfo({ ...base, InstanceStorageInfo: { NvmeSupport: "required", TotalSizeInGB: 75 } } as never, { zones: [] })!;
    expect([hdd.st, hdd.nv, nvme.nv, nvme.st]).toEqual([6144, undefined, 75, undefined]);
  });
});

describe("the provider's catalog per EC2NodeClass", () => {
  // EC2 answers offerings only (m5d.4xlarge in one zone); shapes come from the embedded snapshot with a warning.
  const ec2 = {
    send: async (cmd: { constructor: { name: string } }) => {
      if (cmd.constructor.name === "DescribeSpotPriceHistoryCommand") return { SpotPriceHistory: [] };
      if (cmd.constructor.name === "DescribeInstanceTypeOfferingsCommand")
        return { InstanceTypeOfferings: [{ InstanceType: "m5d.4xlarge", Location: "us-east-1a" }] };
      throw Object.assign(new Error("not here"), { name: "UnauthorizedOperation" });
    },
  };
  const provider = new AwsCloudProvider({
    clusterName: "c", clusterEndpoint: "https://k", region: "us-east-1", nodeClassLookup: async () => undefined,
    logger: pino({ level: "silent" }), clients: { ec2, ssm: {}, iam: {}, sqs: {} } as unknown as AwsClients,
  });
  const nodeClass = (spec: Partial<EC2NodeClassLike["spec"]>): EC2NodeClassLike => ({
    metadata: { name: "x" },
    spec: { amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [], securityGroupSelectorTerms: [], ...spec },
    status: { subnets: [{ id: "subnet-a", zone: "us-east-1a" }] },
  });
  const m5d = async (spec: Partial<EC2NodeClassLike["spec"]>) => (await provider.getInstanceTypes(nodeClass(spec))).find(t => t.name === "m5d.4xlarge")!;

  test("Windows, Bottlerocket and RAID0 NodeClasses get their own capacity", async () => {
    const al2023 = await m5d({});
    const windows = await m5d({ amiSelectorTerms: [{ alias: "windows2022@latest" }] });
    const raid = await m5d({ instanceStorePolicy: "RAID0" });
    const br = await m5d({ amiSelectorTerms: [{ alias: "bottlerocket@latest" }], blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: "4Gi" } }, { deviceName: "/dev/xvdb", ebs: { volumeSize: "40Gi" } }] });
    expect(al2023.capacity).toMatchObject({ pods: 234, "ephemeral-storage": 20 * Gi });
    expect(windows.capacity).toMatchObject({ pods: 110, "ephemeral-storage": 50 * Gi });
    expect(windows.labels["kubernetes.io/os"]).toBe("windows");
    expect(raid.capacity["ephemeral-storage"]).toBe(600e9);
    expect(br.capacity["ephemeral-storage"]).toBe(40 * Gi);
  });
});
