// Karpenter's AWS capacity and overhead rules (aws provider pkg/providers/instancetype/types.go), reproduced from
// their documented behaviour: VM memory overhead, kube-reserved formulas, eviction thresholds, ENI-limited max pods.
import { parseResource } from "../../../apis/quantity";
import type { KubeletConfig, Resources } from "./types";

const Mi = 2 ** 20;
const Gi = 2 ** 30;
export const DEFAULT_VM_MEMORY_OVERHEAD_PERCENT = 0.075;
/** AL2023/AL2 default root volume (20Gi gp3) is where pods' ephemeral storage lives. */
export const DEFAULT_EPHEMERAL_STORAGE_BYTES = 20 * Gi;

/** Capacity memory: the EC2 size minus the hypervisor's share, rounded up to whole MiB. */
export function memoryCapacity(sizeMiB: number, vmOverheadPercent: number): number {
  return (sizeMiB - Math.ceil(sizeMiB * vmOverheadPercent)) * Mi;
}

/** ENI-limited pods: each ENI's primary IP is unusable, plus 2 host-network pods (aws-node, kube-proxy). */
export function eniLimitedPods(enis: number, ipv4PerEni: number): number {
  return Math.max(0, enis * (ipv4PerEni - 1) + 2);
}

/**
 * What an AMI family's kubelet does differently (Karpenter's amifamily FeatureFlags): Windows has no ENI-limited
 * pod density (110 pods unless maxPods is set); Bottlerocket ignores podsPerCore (its settings have no such key).
 */
export function familyKubeletFlags(family: string | undefined): { eniLimitedPods: boolean; podsPerCore: boolean } {
  const f = family ?? "AL2023";
  return { eniLimitedPods: !f.startsWith("Windows"), podsPerCore: f !== "Bottlerocket" };
}

export function maxPods(
  vcpus: number,
  enis: number,
  ipv4PerEni: number,
  kubelet?: KubeletConfig,
  amiFamily?: string,
): number {
  const flags = familyKubeletFlags(amiFamily);
  let pods = kubelet?.maxPods ?? (flags.eniLimitedPods ? eniLimitedPods(enis, ipv4PerEni) : 110);
  if (flags.podsPerCore && kubelet?.podsPerCore && kubelet.podsPerCore > 0)
    pods = Math.min(pods, kubelet.podsPerCore * vcpus);
  return pods;
}

/** A block device mapping as far as pods' ephemeral storage is concerned. */
export interface EphemeralVolume {
  deviceName?: string;
  rootVolume?: boolean;
  ebs?: { volumeSize?: string };
}

/** The device each family's kubelet filesystem lives on (Karpenter's EphemeralBlockDevice) and its default size. */
const FAMILY_EPHEMERAL: Record<string, { device: string; size: string }> = {
  Bottlerocket: { device: "/dev/xvdb", size: "20Gi" },
  Windows2019: { device: "/dev/sda1", size: "50Gi" },
  Windows2022: { device: "/dev/sda1", size: "50Gi" },
  Windows2025: { device: "/dev/sda1", size: "50Gi" },
};

/**
 * Pods' ephemeral storage on the EBS volumes of an EC2NodeClass, as Karpenter's instancetype provider computes it:
 * the volume marked rootVolume, else (Custom) the last mapping, else the family's ephemeral device, else that
 * device's default size. (RAID0 over instance-store disks replaces this per type: see loadCatalog.)
 */
export function ephemeralStorageBytes(amiFamily: string | undefined, bdms: EphemeralVolume[] | undefined): number {
  const fam = FAMILY_EPHEMERAL[amiFamily ?? ""] ?? { device: "/dev/xvda", size: "20Gi" };
  const size = (b: EphemeralVolume | undefined, i: number) =>
    b?.ebs?.volumeSize
      ? parseResource("ephemeral-storage", b.ebs.volumeSize, `blockDeviceMappings[${i}].ebs.volumeSize`)
      : undefined;
  const list = bdms ?? [];
  if (list.length) {
    const ri = list.findIndex((b) => b.rootVolume);
    const root = ri >= 0 ? size(list[ri], ri) : undefined;
    if (root !== undefined) return root;
    if (amiFamily === "Custom") return size(list[list.length - 1], list.length - 1) ?? DEFAULT_EPHEMERAL_STORAGE_BYTES;
    const di = list.findIndex((b) => b.deviceName === fam.device);
    const dev = di >= 0 ? size(list[di], di) : undefined;
    if (dev !== undefined) return dev;
  }
  return parseResource("ephemeral-storage", fam.size, "default");
}

/** kube-reserved cpu: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% of the rest. */
export function kubeReservedCpuMillis(cpuMillis: number): number {
  const ranges: Array<[number, number, number]> = [
    [0, 1000, 0.06],
    [1000, 2000, 0.01],
    [2000, 4000, 0.005],
    [4000, Infinity, 0.0025],
  ];
  let total = 0;
  for (const [start, end, pct] of ranges) if (cpuMillis > start) total += (Math.min(cpuMillis, end) - start) * pct;
  return Math.round(total);
}

function parseReserved(m: Record<string, string> | undefined, field: string): Resources {
  const out: Resources = {};
  for (const [k, v] of Object.entries(m ?? {})) if (k !== "pid") out[k] = parseResource(k, v, `${field}.${k}`);
  return out;
}

export function kubeReserved(cpuMillis: number, pods: number, kubelet?: KubeletConfig): Resources {
  return {
    cpu: kubeReservedCpuMillis(cpuMillis),
    memory: (11 * pods + 255) * Mi,
    "ephemeral-storage": 1 * Gi,
    ...parseReserved(kubelet?.kubeReserved, "kubelet.kubeReserved"),
  };
}

export function systemReserved(kubelet?: KubeletConfig): Resources {
  return parseReserved(kubelet?.systemReserved, "kubelet.systemReserved");
}

/** Hard eviction thresholds: memory.available 100Mi and nodefs.available 10% unless overridden (percent or quantity). */
export function evictionThreshold(capacity: Resources, kubelet?: KubeletConfig): Resources {
  const out: Resources = {
    memory: 100 * Mi,
    "ephemeral-storage": Math.ceil((capacity["ephemeral-storage"] ?? 0) * 0.1),
  };
  const signals: Record<string, string> = { "memory.available": "memory", "nodefs.available": "ephemeral-storage" };
  for (const [signal, value] of Object.entries(kubelet?.evictionHard ?? {})) {
    const res = signals[signal];
    if (!res) continue;
    if (value.endsWith("%")) {
      const pct = Number(value.slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100)
        throw new Error(`kubelet.evictionHard.${signal}: invalid percentage "${value}" — use e.g. "10%"`);
      out[res] = Math.ceil(((capacity[res] ?? 0) * pct) / 100);
    } else out[res] = parseResource(res, value, `kubelet.evictionHard.${signal}`);
  }
  return out;
}
