// EC2NodeClass drift of a launched instance (Karpenter AWS's IsDrifted checks): static fields through the hash
// annotations, then AMI, security groups, subnet, capacity reservation and placement group against the class's
// resolved status; and core's InstanceTypeNotFound.
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
  return capacityReservationDrift(inst, nc);
}

/**
 * Karpenter's isCapacityReservationDrifted: a reserved instance whose reservation the class no longer selects
 * (computed from the instance rather than from offerings, since a reserved node may fall back to on-demand).
 */
export function capacityReservationDrift(inst: CloudInstance, nc: EC2NodeClassLike): string {
  if (!inst.reservation) return "";
  const ids = new Set((nc.status?.capacityReservations ?? []).map((r) => r.id));
  return ids.has(inst.reservation.id) ? "" : "CapacityReservationDrift";
}

/**
 * Karpenter's isPlacementGroupDrifted, for every NodeClaim: its placement-group-id label (none for one launched
 * outside a group) differs from the id of the group the class's placementGroupSelector resolves to now ("" without
 * a selector, or when it resolves to nothing). Covers a selector added, removed or pointed at another group.
 */
export function placementGroupDrift(nodeClaimLabels: Record<string, string>, resolvedGroupID: string): string {
  return (nodeClaimLabels[L.LabelPlacementGroupID] ?? "") !== resolvedGroupID ? "PlacementGroupDrift" : "";
}

/**
 * Core Karpenter's instanceTypeNotFound: the NodeClaim's instance type is gone from the class's catalog, or it has
 * no offering (available or not) in the NodeClaim's zone and capacity type; a reserved NodeClaim also matches an
 * on-demand offering (it may be demoted when its reservation ends), and the reservation id is the provider's.
 */
export function instanceTypeNotFound(
  labels: Record<string, string>,
  types: Array<{ name: string; offerings: Array<{ zone: string; capacityType: string }> }>,
): string {
  const it = types.find((t) => t.name === labels[L.LabelInstanceType]);
  if (!it) return "InstanceTypeNotFound";
  const zone = labels[L.LabelTopologyZone];
  const ct = labels[L.LabelCapacityType];
  const cts = ct === "reserved" ? ["reserved", "on-demand"] : ct ? [ct] : undefined;
  const ok = it.offerings.some((o) => (!zone || o.zone === zone) && (!cts || cts.includes(o.capacityType)));
  return ok ? "" : "InstanceTypeNotFound";
}
