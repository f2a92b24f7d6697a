// Well-known node label keys (Karpenter core + AWS provider), restricted domains and alias normalisation.
// Scheduling treats well-known labels specially: a NodePool may only launch values the catalog can offer.

export const LabelNodePool = "karpenter.sh/nodepool";
export const LabelCapacityType = "karpenter.sh/capacity-type";
export const LabelTopologyZone = "topology.kubernetes.io/zone";
export const LabelTopologyRegion = "topology.kubernetes.io/region";
export const LabelInstanceType = "node.kubernetes.io/instance-type";
export const LabelArch = "kubernetes.io/arch";
export const LabelOS = "kubernetes.io/os";
export const LabelWindowsBuild = "node.kubernetes.io/windows-build";
export const LabelHostname = "kubernetes.io/hostname";
export const LabelZoneID = "topology.k8s.aws/zone-id";

const aws = (s: string): string => `karpenter.k8s.aws/${s}`;
export const LabelInstanceCategory = aws("instance-category");
export const LabelInstanceFamily = aws("instance-family");
export const LabelInstanceGeneration = aws("instance-generation");
export const LabelInstanceSize = aws("instance-size");
export const LabelInstanceCPU = aws("instance-cpu");
export const LabelInstanceCPUManufacturer = aws("instance-cpu-manufacturer");
export const LabelInstanceCPUSustainedClockSpeedMhz = aws("instance-cpu-sustained-clock-speed-mhz");
export const LabelInstanceMemory = aws("instance-memory");
export const LabelInstanceHypervisor = aws("instance-hypervisor");
export const LabelInstanceEncryptionInTransitSupported = aws("instance-encryption-in-transit-supported");
export const LabelInstanceLocalNVME = aws("instance-local-nvme");
export const LabelInstanceEBSBandwidth = aws("instance-ebs-bandwidth");
export const LabelInstanceNetworkBandwidth = aws("instance-network-bandwidth");
export const LabelInstanceGPUName = aws("instance-gpu-name");
export const LabelInstanceGPUManufacturer = aws("instance-gpu-manufacturer");
export const LabelInstanceGPUCount = aws("instance-gpu-count");
export const LabelInstanceGPUMemory = aws("instance-gpu-memory");
export const LabelInstanceAcceleratorName = aws("instance-accelerator-name");
export const LabelInstanceAcceleratorManufacturer = aws("instance-accelerator-manufacturer");
export const LabelInstanceAcceleratorCount = aws("instance-accelerator-count");
export const LabelInstanceCapabilityFlex = aws("instance-capability-flex");
export const LabelInstanceTenancy = aws("instance-tenancy");
export const LabelCapacityReservationID = aws("capacity-reservation-id");
export const LabelCapacityReservationType = aws("capacity-reservation-type");
export const LabelCapacityReservationInterruptible = aws("capacity-reservation-interruptible");
export const LabelPlacementGroupID = aws("placement-group-id");
export const LabelPlacementGroupPartition = aws("placement-group-partition");
export const LabelEC2NodeClass = aws("ec2nodeclass");

export const CapacityTypeSpot = "spot";
export const CapacityTypeOnDemand = "on-demand";
export const CapacityTypeReserved = "reserved";

/** Labels whose values come from the cloud (instance types / offerings); a NodePool cannot invent values for them. */
export const WellKnownLabels: ReadonlySet<string> = new Set([
  LabelNodePool,
  LabelCapacityType,
  LabelTopologyZone,
  LabelTopologyRegion,
  LabelInstanceType,
  LabelArch,
  LabelOS,
  LabelWindowsBuild,
  LabelZoneID,
  LabelInstanceCategory,
  LabelInstanceFamily,
  LabelInstanceGeneration,
  LabelInstanceSize,
  LabelInstanceCPU,
  LabelInstanceCPUManufacturer,
  LabelInstanceCPUSustainedClockSpeedMhz,
  LabelInstanceMemory,
  LabelInstanceHypervisor,
  LabelInstanceEncryptionInTransitSupported,
  LabelInstanceLocalNVME,
  LabelInstanceEBSBandwidth,
  LabelInstanceNetworkBandwidth,
  LabelInstanceGPUName,
  LabelInstanceGPUManufacturer,
  LabelInstanceGPUCount,
  LabelInstanceGPUMemory,
  LabelInstanceAcceleratorName,
  LabelInstanceAcceleratorManufacturer,
  LabelInstanceAcceleratorCount,
  LabelInstanceCapabilityFlex,
  LabelInstanceTenancy,
  LabelCapacityReservationID,
  LabelCapacityReservationType,
  LabelCapacityReservationInterruptible,
  LabelPlacementGroupID,
  LabelPlacementGroupPartition,
]);

/** The `karpenter.k8s.aws/*` keys NodePools may use (the CRD allow-list); every other key in that domain is restricted. */
export const AllowedAWSLabels: ReadonlySet<string> = new Set(
  [...WellKnownLabels]
    .filter((k) => k.startsWith("karpenter.k8s.aws/"))
    .concat([LabelEC2NodeClass, aws("nitro-sandbox")]),
);

/** Deprecated aliases that Karpenter rewrites to their stable key before matching. */
export const NormalizedLabels: Readonly<Record<string, string>> = {
  "failure-domain.beta.kubernetes.io/zone": LabelTopologyZone,
  "failure-domain.beta.kubernetes.io/region": LabelTopologyRegion,
  "beta.kubernetes.io/arch": LabelArch,
  "beta.kubernetes.io/os": LabelOS,
  "beta.kubernetes.io/instance-type": LabelInstanceType,
  // Karpenter AWS's operator adds the EBS CSI driver's zone key (PV nodeAffinity of volumes it provisions).
  "topology.ebs.csi.aws.com/zone": LabelTopologyZone,
};

export function normalizeLabelKey(key: string): string {
  return NormalizedLabels[key] ?? key;
}

export function isWellKnownLabel(key: string): boolean {
  return WellKnownLabels.has(normalizeLabelKey(key));
}

/** Integer-valued labels (Gt/Lt/Gte/Lte make sense on them). */
export const NumericLabels: ReadonlySet<string> = new Set([
  LabelInstanceGeneration,
  LabelInstanceCPU,
  LabelInstanceCPUSustainedClockSpeedMhz,
  LabelInstanceMemory,
  LabelInstanceLocalNVME,
  LabelInstanceEBSBandwidth,
  LabelInstanceNetworkBandwidth,
  LabelInstanceGPUCount,
  LabelInstanceGPUMemory,
  LabelInstanceAcceleratorCount,
]);

/** "NVIDIA T4 Tensor Core" -> "nvidia-t4-tensor-core": how Karpenter turns AWS names into label values. */
export function toLabelValue(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** "true" when the scheduler lowered a requirement's minValues to launch the NodeClaim (MIN_VALUES_POLICY=BestEffort). */
export const MinValuesRelaxedAnnotation = "karpenter.sh/nodeclaim-min-values-relaxed";
