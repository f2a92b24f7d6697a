// Pure construction of the CreateFleet request (type instant) from a launch plan, and parsing of its errors.
import { createHash } from "node:crypto";
import type { CreateFleetCommandInput, CreateFleetError, FleetLaunchTemplateConfigRequest } from "@aws-sdk/client-ec2";
import type { LaunchOption } from "./launchOptions";
import type { InstanceType } from "./catalog";
import type { NodeClaimLike } from "../types";
import { LabelInstanceType } from "../../apis/labels";

export interface TemplateGroup {
  launchTemplateName: string;
  options: LaunchOption[];
}

/** Errors EC2 reports when an offering cannot be fulfilled: the offering is marked unavailable (Karpenter's list). */
export const UNFULFILLABLE_CAPACITY_CODES = new Set([
  "InsufficientInstanceCapacity",
  "MaxSpotInstanceCountExceeded",
  "VcpuLimitExceeded",
  "UnfulfillableCapacity",
  "Unsupported",
  "InsufficientFreeAddressesInSubnet",
  "ReservationCapacityExceeded",
]);

/**
 * The CreateFleet idempotency token: the NodeClaim's UID and the launch attempt, nothing about the options.
 * A retry of an attempt whose outcome we never saw (timeout, crash) reuses the token even when the ICE cache
 * has pruned the options since, so EC2 returns the first call's instance (or IdempotentParameterMismatch)
 * instead of launching a second one. The attempt only advances after EC2 answered "no instance launched".
 */
export function clientToken(nodeClaimUid: string, attempt = 0): string {
  return createHash("sha256").update(`${nodeClaimUid}#${attempt}`).digest("hex").slice(0, 64);
}

export function tagList(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.keys(tags)
    .sort()
    .map((k) => ({ Key: k, Value: tags[k]! }));
}

export function buildCreateFleetInput(p: {
  capacityType: "spot" | "on-demand" | "reserved";
  groups: TemplateGroup[];
  tags: Record<string, string>;
  clientToken: string;
  /**
   * NodeOverlays changed the price of one of the NodeClaim's types: as Karpenter AWS (price-overlay-applied), each
   * override's Priority is its overlaid price and EC2 follows it (prioritized / capacity-optimized-prioritized),
   * since lowest-price and price-capacity-optimized would pick by EC2's own prices.
   */
  prioritized?: boolean;
  /** EC2NodeClass spec.context: CreateFleet's reserved-capacity context, passed as Karpenter passes it. */
  context?: string;
}): CreateFleetCommandInput {
  // A reserved request carries one reservation kind (launch filters): capacity blocks and interruptible ODCRs
  // have their own target capacity type; an ODCR is on-demand capacity targeted by the launch template.
  const reservation = p.groups.flatMap((g) => g.options).find((o) => o.reservation)?.reservation;
  const block = p.capacityType === "reserved" && reservation?.type === "capacity-block";
  const interruptible = p.capacityType === "reserved" && !block && reservation?.interruptible === true;
  const target =
    p.capacityType !== "reserved"
      ? p.capacityType
      : block
        ? "capacity-block"
        : interruptible
          ? "reserved-capacity"
          : "on-demand";
  // Configs in price order and overrides in price order: EC2 treats lowest-price literally, and moto (which
  // launches the first override) then behaves like EC2 would for a healthy offering.
  const groups = [...p.groups]
    .filter((g) => g.options.length > 0)
    .sort(
      (a, b) =>
        Math.min(...a.options.map((o) => o.price)) - Math.min(...b.options.map((o) => o.price)) ||
        a.launchTemplateName.localeCompare(b.launchTemplateName),
    );
  const configs: FleetLaunchTemplateConfigRequest[] = groups.map((g) => ({
    LaunchTemplateSpecification: { LaunchTemplateName: g.launchTemplateName, Version: "$Latest" },
    Overrides: [...g.options]
      .sort((a, b) => a.price - b.price || a.instanceType.name.localeCompare(b.instanceType.name))
      .map((o) => ({
        InstanceType: o.instanceType.name as never,
        SubnetId: o.subnetId,
        AvailabilityZone: o.zone,
        ...(p.prioritized ? { Priority: o.price } : {}),
      })),
  }));
  const tags = tagList(p.tags);
  const input: CreateFleetCommandInput = {
    Type: "instant",
    ClientToken: p.clientToken,
    TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: target },
    LaunchTemplateConfigs: configs,
    TagSpecifications: [
      { ResourceType: "instance", Tags: tags },
      { ResourceType: "volume", Tags: tags },
      { ResourceType: "fleet", Tags: tags },
    ],
  };
  if (p.context) input.Context = p.context;
  if (p.capacityType === "spot")
    input.SpotOptions = {
      AllocationStrategy: p.prioritized ? "capacity-optimized-prioritized" : "price-capacity-optimized",
    };
  else if (interruptible) input.ReservedCapacityOptions = { ReservationTypes: ["interruptible-capacity-reservation"] };
  else if (!block) input.OnDemandOptions = { AllocationStrategy: p.prioritized ? "prioritized" : "lowest-price" };
  return input;
}

export interface FleetFailure {
  instanceType: string;
  zone?: string;
  subnetId?: string;
  capacityType: string;
  code: string;
  message: string;
  unfulfillable: boolean;
}

export function parseFleetErrors(
  errors: CreateFleetError[] | undefined,
  capacityType: string,
  zoneOfSubnet: (id: string) => string | undefined,
): FleetFailure[] {
  return (errors ?? []).map((e) => {
    const o = e.LaunchTemplateAndOverrides?.Overrides ?? {};
    const code = e.ErrorCode ?? "Unknown";
    return {
      instanceType: String(o.InstanceType ?? ""),
      zone: o.AvailabilityZone ?? (o.SubnetId ? zoneOfSubnet(o.SubnetId) : undefined),
      subnetId: o.SubnetId,
      capacityType: e.Lifecycle ?? capacityType,
      code,
      message: e.ErrorMessage ?? code,
      unfulfillable: UNFULFILLABLE_CAPACITY_CODES.has(code),
    };
  });
}

/**
 * Whether NodeOverlays changed the price of one of the NodeClaim's instance types (Karpenter's
 * karpenter.sh/price-overlay-applied): `overlaid` is `base` with the NodeClaim's pool's overlays applied.
 */
export function priceOverlaid(nodeClaim: NodeClaimLike, base: InstanceType[], overlaid: InstanceType[]): boolean {
  if (overlaid === base) return false;
  const req = nodeClaim.spec.requirements.find((r) => r.key === LabelInstanceType && r.operator === "In");
  const names = req ? new Set(req.values ?? []) : undefined;
  return overlaid.some(
    (it, i) => (!names || names.has(it.name)) && it.offerings.some((o, j) => o.price !== base[i]?.offerings[j]?.price),
  );
}
