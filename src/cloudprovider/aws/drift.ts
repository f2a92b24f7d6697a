// EC2NodeClass drift of a launched instance (Karpenter AWS's IsDrifted checks): static fields through the hash
// annotations, then AMI, security groups and subnet against the class's resolved status.
import type { CloudInstance } from "../types";
import * as L from "../../apis/labels";
import type { EC2NodeClassLike } from "./nodeClass";
import { amiFor } from "./amis";
import { EC2NODECLASS_HASH_ANNOTATION, EC2NODECLASS_HASH_VERSION_ANNOTATION } from "../../apis/karpenterHash";

/**
 * Karpenter AWS's areStaticFieldsDrifted: NodeClassDrift when the NodeClaim's ec2nodeclass-hash differs from the
 * EC2NodeClass's at the same hash version; any of the four annotations missing, or versions differing, is no drift.
 */
export function staticFieldsDrift(nodeClaimAnn: Record<string, string>, nodeClassAnn: Record<string, string>): string {
  const [h, v] = [EC2NODECLASS_HASH_ANNOTATION, EC2NODECLASS_HASH_VERSION_ANNOTATION];
  if (nodeClaimAnn[h] === undefined || nodeClaimAnn[v] === undefined) return "";
  if (nodeClassAnn[h] === undefined || nodeClassAnn[v] === undefined) return "";
  if (nodeClaimAnn[v] !== nodeClassAnn[v]) return "";
  return nodeClaimAnn[h] !== nodeClassAnn[h] ? "NodeClassDrift" : "";
}

/**
 * Karpenter's dynamic drift checks, in its order: AMI (the instance does not run the AMI a launch of its
 * architecture would get now), security groups (set differs), subnet (no longer selected).
 */
export function driftReason(
  inst: CloudInstance,
  nc: EC2NodeClassLike,
  instanceType?: string | Record<string, string>,
): string {
  const status = nc.status ?? {};
  const labels = typeof instanceType === "string" ? { [L.LabelArch]: instanceType } : instanceType;
  if (status.amis?.length && inst.imageID) {
    const expected = labels ? amiFor(status.amis, labels) : undefined;
    if (expected ? expected !== inst.imageID : !status.amis.some((a) => a.id === inst.imageID)) return "AMIDrift";
  }
  if (status.securityGroups?.length && inst.securityGroupIDs) {
    // Set equality, as Karpenter's sets.Equal (order and duplicates do not matter).
    const want = [...new Set(status.securityGroups.map((g) => g.id))].sort().join(",");
    if (want !== [...new Set(inst.securityGroupIDs)].sort().join(",")) return "SecurityGroupDrift";
  }
  if (status.subnets?.length && inst.subnetID && !status.subnets.some((s) => s.id === inst.subnetID))
    return "SubnetDrift";
  return "";
}
