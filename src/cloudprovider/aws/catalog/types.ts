export type Resources = Record<string, number>; // cpu millicores, memory/ephemeral-storage bytes, counts otherwise

export interface Offering {
  zone: string;
  capacityType: "spot" | "on-demand";
  price: number;
  available: boolean;
}

export interface InstanceType {
  name: string;
  /** Every well-known label value except zone and capacity-type (those come from offerings). */
  labels: Record<string, string>;
  capacity: Resources;
  overhead: { kubeReserved: Resources; systemReserved: Resources; evictionThreshold: Resources };
  allocatable: Resources;
  offerings: Offering[];
}

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
