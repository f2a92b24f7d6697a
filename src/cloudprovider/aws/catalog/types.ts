// The scheduler's instance-type vocabulary is cloud-neutral (src/cloudprovider/types.ts); the catalog builds it.
export type { InstanceType, Offering, Resources } from "../../types";

export interface KubeletConfig {
  maxPods?: number;
  podsPerCore?: number;
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
}

export interface LoadCatalogOptions {
  region?: string;
  kubelet?: KubeletConfig;
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
}
