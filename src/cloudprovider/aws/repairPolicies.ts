// Karpenter AWS v1.14's RepairPolicies: the kubelet's Ready condition and the conditions the EKS node monitoring
// agent sets, each with how long it may last before node repair replaces the node.
import type { RepairPolicy } from "../types";

const MIN = 60_000;

export const AWS_REPAIR_POLICIES: readonly RepairPolicy[] = Object.freeze([
  // Kubelet
  { conditionType: "Ready", conditionStatus: "False", tolerationMs: 30 * MIN },
  { conditionType: "Ready", conditionStatus: "Unknown", tolerationMs: 30 * MIN },
  // EKS node monitoring agent
  { conditionType: "AcceleratedHardwareReady", conditionStatus: "False", tolerationMs: 10 * MIN },
  { conditionType: "StorageReady", conditionStatus: "False", tolerationMs: 30 * MIN },
  { conditionType: "NetworkingReady", conditionStatus: "False", tolerationMs: 30 * MIN },
  { conditionType: "KernelReady", conditionStatus: "False", tolerationMs: 30 * MIN },
  { conditionType: "ContainerRuntimeReady", conditionStatus: "False", tolerationMs: 30 * MIN },
]);
