// The scheduler's instance-type vocabulary is cloud-neutral (src/cloudprovider/types.ts); the catalog builds it.
export type { InstanceType, Offering, Resources } from "../../types";
import type { RawInstanceType } from "./raw";

export interface KubeletConfig {
  maxPods?: number;
  podsPerCore?: number;
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
}

export interface LoadCatalogOptions {
  region?: string;
  /**
   * Instance-type shapes (vCPU, memory, ENIs, GPUs, ...) live from DescribeInstanceTypes; default the embedded
   * snapshot. Keep the same array between calls while it is unchanged: derived data is cached per array.
   */
  shapes?: RawInstanceType[];
  kubelet?: KubeletConfig;
  /** On-demand $/h per instance type (e.g. refreshed from the Pricing API); default the region's embedded table. */
  onDemandPrices?: Record<string, number>;
  /** Real spot prices ("type/zone" -> $/h), e.g. from DescribeSpotPriceHistory; missing entries fall back to the estimate. */
  spotPrices?: Map<string, number>;
  /** Offerings for which this returns true are marked unavailable (ICE cache). */
  unavailable?: (type: string, zone: string, capacityType: string) => boolean;
  vmMemoryOverheadPercent?: number;
  /** Spot estimate as a fraction of on-demand when no real price is known (default 0.35, env CAPSICUM_SPOT_PRICE_RATIO). */
  spotPriceRatio?: number;
  /**
   * Live offerings of the region (type -> zones, from DescribeInstanceTypeOfferings). Replaces the embedded
   * snapshot's zones; required for a region the snapshot does not cover.
   */
  offerings?: Map<string, string[]>;
  /** Pod ephemeral storage (root volume) in bytes; default 20Gi like the AL2023 default block device. */
  ephemeralStorage?: number;
  /** The EC2NodeClass's AMI family (AL2023 when unset): pod density differs per family (familyKubeletFlags). */
  amiFamily?: string;
  /** spec.instanceStorePolicy RAID0: a type with instance-store disks (NVMe, SSD or HDD) offers their total size as ephemeral storage. */
  instanceStorePolicy?: string;
}
