// One DescribeInstanceTypes entry -> the catalog's instance-type shape. Shared by scripts/gen-catalog.ts (the
// embedded snapshot) and the live provider (instanceTypes.ts), so both read EC2's answer the same way. What EC2
// does not report (pod-ENI branch interfaces, Karpenter's bandwidth table for old types) comes in `extra`.
import type { RawInstanceType } from "./raw";

/** The fields of EC2's InstanceTypeInfo the catalog reads (SDK and JSON dumps share these names). */
export interface InstanceTypeInfoLike {
  InstanceType?: string;
  SupportedVirtualizationTypes?: string[];
  SupportedUsageClasses?: string[];
  Hypervisor?: string;
  BareMetal?: boolean;
  CurrentGeneration?: boolean;
  VCpuInfo?: { DefaultVCpus?: number };
  MemoryInfo?: { SizeInMiB?: number };
  ProcessorInfo?: {
    SupportedArchitectures?: string[];
    Manufacturer?: string;
    SustainedClockSpeedInGhz?: number;
    SupportedFeatures?: string[];
  };
  PlacementGroupInfo?: { SupportedStrategies?: string[] };
  NetworkInfo?: {
    MaximumNetworkInterfaces?: number;
    Ipv4AddressesPerInterface?: number;
    EncryptionInTransitSupported?: boolean;
    EfaInfo?: { MaximumEfaInterfaces?: number };
    NetworkCards?: Array<{ BaselineBandwidthInGbps?: number }>;
  };
  EbsInfo?: { EbsOptimizedInfo?: { MaximumBandwidthInMbps?: number } };
  InstanceStorageInfo?: { NvmeSupport?: string; TotalSizeInGB?: number };
  GpuInfo?: {
    Gpus?: Array<{ Name?: string; Manufacturer?: string; Count?: number; MemoryInfo?: { SizeInMiB?: number } }>;
  };
  InferenceAcceleratorInfo?: { Accelerators?: Array<{ Name?: string; Manufacturer?: string; Count?: number }> };
  NeuronInfo?: { NeuronDevices?: Array<{ Name?: string; Count?: number; CoreInfo?: { Count?: number } }> };
}

export interface ShapeExtras {
  /** Network bandwidth in Mbps (Karpenter's table, or cardBandwidthMbps). */
  networkBandwidthMbps?: number;
  /** Pod-ENI branch interfaces (Karpenter's vpc limits; EC2 does not report them). */
  branchInterfaces?: number;
  zones?: string[];
}

const ALL_STRATEGIES = ["cluster", "partition", "spread"];

/** The catalog shape, or undefined for a type Karpenter cannot launch (not HVM, or no amd64/arm64). */
export function shapeFromInstanceTypeInfo(
  t: InstanceTypeInfoLike,
  extra: ShapeExtras = {},
): RawInstanceType | undefined {
  const name = t.InstanceType;
  if (!name || !(t.SupportedVirtualizationTypes ?? []).includes("hvm")) return undefined;
  const arch = (t.ProcessorInfo?.SupportedArchitectures ?? []).find((a) => a === "x86_64" || a === "arm64");
  const vcpus = t.VCpuInfo?.DefaultVCpus;
  const mem = t.MemoryInfo?.SizeInMiB;
  if (!arch || !vcpus || !mem) return undefined;
  const gpus = t.GpuInfo?.Gpus ?? [];
  const gpu = gpus.length === 1 ? gpus[0] : undefined;
  const accs = t.InferenceAcceleratorInfo?.Accelerators ?? [];
  const acc = accs.length === 1 ? accs[0] : undefined;
  const neurons = t.NeuronInfo?.NeuronDevices ?? [];
  const neuron = neurons.length === 1 ? neurons[0] : undefined;
  const net = t.NetworkInfo ?? {};
  const r: RawInstanceType = {
    n: name,
    a: arch === "x86_64" ? "amd64" : "arm64",
    c: vcpus,
    m: mem,
    h: t.Hypervisor ?? "",
    e: net.MaximumNetworkInterfaces ?? 1,
    i: net.Ipv4AddressesPerInterface ?? 1,
    u: (t.SupportedUsageClasses ?? []).includes("spot") ? 1 : 0,
    z: extra.zones ?? [],
  };
  const proc = t.ProcessorInfo ?? {};
  if (proc.Manufacturer) r.cm = String(proc.Manufacturer);
  if (proc.SustainedClockSpeedInGhz) r.cs = Math.round(proc.SustainedClockSpeedInGhz * 1000);
  if (t.BareMetal) r.bm = 1;
  if (net.EncryptionInTransitSupported) r.eit = 1;
  if (extra.networkBandwidthMbps !== undefined) r.nb = extra.networkBandwidthMbps;
  const ebs = t.EbsInfo?.EbsOptimizedInfo?.MaximumBandwidthInMbps;
  if (ebs) r.eb = ebs;
  const store = t.InstanceStorageInfo;
  // NVMe disks also label the type (instance-local-nvme); SSD/HDD instance stores (d2, h1, c3, ...) only count
  // for RAID0 ephemeral storage, which Karpenter sizes from TotalSizeInGB whatever the disks' interface.
  if (store?.TotalSizeInGB) {
    if (store.NvmeSupport && store.NvmeSupport !== "unsupported") r.nv = store.TotalSizeInGB;
    else r.st = store.TotalSizeInGB;
  }
  if (gpu)
    r.g = { n: gpu.Name ?? "", m: gpu.Manufacturer ?? "", c: gpu.Count ?? 0, mem: gpu.MemoryInfo?.SizeInMiB ?? 0 };
  if (acc) r.ac = { n: acc.Name ?? "", m: acc.Manufacturer ?? "", c: acc.Count ?? 0 };
  if (neuron)
    r.nr = { n: neuron.Name ?? "", c: neuron.Count ?? 0, cores: (neuron.CoreInfo?.Count ?? 0) * (neuron.Count ?? 0) };
  if (net.EfaInfo?.MaximumEfaInterfaces) r.efa = net.EfaInfo.MaximumEfaInterfaces;
  if (extra.branchInterfaces) r.br = extra.branchInterfaces;
  if (t.CurrentGeneration) r.cg = 1;
  // Karpenter's compatibility checks: nestedVirtualization and a placement group's strategy filter on these.
  if ((proc.SupportedFeatures ?? []).map(String).includes("nested-virtualization")) r.nvt = 1;
  const strategies = (t.PlacementGroupInfo?.SupportedStrategies ?? ALL_STRATEGIES).map(String);
  if (ALL_STRATEGIES.some((s) => !strategies.includes(s))) r.pgs = strategies;
  return r;
}

/** Baseline network bandwidth of all network cards, in Mbps (undefined when EC2 does not report it). */
export function cardBandwidthMbps(t: InstanceTypeInfoLike): number | undefined {
  const gbps = (t.NetworkInfo?.NetworkCards ?? []).reduce((s, c) => s + (c.BaselineBandwidthInGbps ?? 0), 0);
  return gbps > 0 ? Math.round(gbps * 1000) : undefined;
}
