// Pure launch planning: which instance types, zones and capacity type a CreateFleet request offers EC2 for a
// NodeClaim, in price order. Mirrors Karpenter: filter by requirements, resources and available offerings;
// one capacity type per request (reserved, then spot, then on-demand, when allowed and offered); at most 60
// instance types. A reserved request is narrowed as Karpenter's launch filters narrow it (reservedFilters.ts).
import type { InstanceType } from "./catalog";
import type { ReservationDetails } from "../types";
import * as L from "../../apis/labels";
import { fits, parseResources } from "../../apis/quantity";
import { compatibleType, allowedCapacityTypes, Requirement } from "./requirements";
import { narrowReserved } from "./reservedFilters";

const { LabelCapacityType, LabelTopologyZone, LabelZoneID, normalizeLabelKey } = L;
export const MAX_INSTANCE_TYPES = 60;
const OFFERING_KEYS = new Set([
  LabelCapacityType,
  LabelTopologyZone,
  LabelZoneID,
  L.LabelCapacityReservationID,
  L.LabelCapacityReservationType,
  L.LabelCapacityReservationInterruptible,
]);
export type LaunchCapacityType = "spot" | "on-demand" | "reserved";

export interface SubnetChoice {
  id: string;
  zone: string;
  zoneID?: string;
}

export interface LaunchOption {
  instanceType: InstanceType;
  zone: string;
  subnetId: string;
  capacityType: LaunchCapacityType;
  price: number;
  /** Reserved options: the reservation the option launches into. */
  reservation?: ReservationDetails;
}

export interface LaunchPlan {
  capacityType: LaunchCapacityType;
  /** Ordered cheapest first; at most MAX_INSTANCE_TYPES distinct types. */
  options: LaunchOption[];
  instanceTypes: InstanceType[];
}

export interface PlanInput {
  requirements: Requirement[];
  requests?: Record<string, string>;
  catalog: InstanceType[];
  /** One subnet per zone (the one Karpenter would pick: most free addresses). */
  subnets: SubnetChoice[];
  isUnavailable?: (type: string, zone: string, capacityType: string) => boolean;
  maxInstanceTypes?: number;
}

export class NoLaunchOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoLaunchOptionError";
  }
}

function offeringAllowed(
  it: InstanceType,
  o: InstanceType["offerings"][number],
  reqs: Requirement[],
  subnet: SubnetChoice | undefined,
  unavailable: PlanInput["isUnavailable"],
): boolean {
  if (!subnet || !o.available) return false;
  if (unavailable?.(it.name, o.zone, o.capacityType)) return false;
  const labels: Record<string, string> = {
    ...it.labels,
    [LabelTopologyZone]: o.zone,
    [LabelCapacityType]: o.capacityType,
  };
  if (subnet.zoneID) labels[LabelZoneID] = subnet.zoneID;
  if (o.reservation) {
    labels[L.LabelCapacityReservationID] = o.reservation.id;
    labels[L.LabelCapacityReservationType] = o.reservation.type;
    labels[L.LabelCapacityReservationInterruptible] = String(o.reservation.interruptible);
  }
  return compatibleType(reqs, labels, it.partitions);
}

export function planLaunch(input: PlanInput): LaunchPlan {
  const reqs = input.requirements;
  const requests = parseResources(input.requests ?? {}, "spec.resources.requests");
  const byZone = new Map(input.subnets.map((s) => [s.zone, s]));
  // Zone, zone-id and capacity type are offering properties: checked per offering below, not per type.
  const typeReqs = reqs.filter((r) => !OFFERING_KEYS.has(normalizeLabelKey(r.key)));
  const candidates = input.catalog.filter(
    (it) => compatibleType(typeReqs, it.labels, it.partitions) && fits(requests, it.allocatable),
  );
  if (candidates.length === 0) {
    throw new NoLaunchOptionError(
      `no instance type satisfies the NodeClaim's requirements and resource requests (${JSON.stringify(input.requests ?? {})})`,
    );
  }
  const allowed = allowedCapacityTypes(reqs, ["reserved", "spot", "on-demand"]);
  if (allowed.length === 0)
    throw new NoLaunchOptionError(
      `requirements allow no capacity type (karpenter.sh/capacity-type: reserved, spot or on-demand)`,
    );
  const optionsFor = (ct: string): LaunchOption[] => {
    const out: LaunchOption[] = [];
    for (const it of candidates) {
      for (const o of it.offerings) {
        if (o.capacityType !== ct) continue;
        const subnet = byZone.get(o.zone);
        if (!offeringAllowed(it, o, reqs, subnet, input.isUnavailable)) continue;
        out.push({
          instanceType: it,
          zone: o.zone,
          subnetId: subnet!.id,
          capacityType: ct as LaunchOption["capacityType"],
          price: o.price,
          ...(o.reservation ? { reservation: o.reservation } : {}),
        });
      }
    }
    return out;
  };
  // Karpenter's order: reserved -> spot -> on-demand, among the allowed types with available offerings.
  for (const ct of ["reserved", "spot", "on-demand"] as const) {
    if (!allowed.includes(ct)) continue;
    const opts = ct === "reserved" ? narrowReserved(optionsFor(ct)) : optionsFor(ct);
    if (opts.length === 0) continue;
    const cheapest = new Map<string, number>();
    for (const o of opts)
      cheapest.set(o.instanceType.name, Math.min(cheapest.get(o.instanceType.name) ?? Infinity, o.price));
    const types = [...cheapest.entries()]
      .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
      .slice(0, input.maxInstanceTypes ?? MAX_INSTANCE_TYPES)
      .map((e) => e[0]);
    const keep = new Set(types);
    const ordered = opts
      .filter((o) => keep.has(o.instanceType.name))
      .sort(
        (a, b) =>
          a.price - b.price || a.instanceType.name.localeCompare(b.instanceType.name) || a.zone.localeCompare(b.zone),
      );
    const instanceTypes = types.map((n) => candidates.find((c) => c.name === n)!);
    return { capacityType: ct, options: ordered, instanceTypes };
  }
  const zones = [...byZone.keys()].sort().join(", ");
  throw new NoLaunchOptionError(
    `all ${candidates.length} compatible instance types have no available ${allowed.join("/")} offering in the NodeClass's zones (${zones}); recently failed offerings are skipped for 3m`,
  );
}
