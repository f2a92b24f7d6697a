// `reserved` offerings from the EC2NodeClass's status.capacityReservations, as Karpenter AWS's
// ReservedCapacityResolver: one per reservation of the instance type, in the reservation's zone, priced at the
// on-demand price / 10,000,000 (the capacity is already paid for, yet consolidation keeps its order), available only
// while the reservation has room, is in one of the class's zones and is not an expiring capacity block.
import type { InstanceType, Offering } from "../types";
import type { CapacityReservationStatus } from "./capacityReservations";

/** Karpenter's divisor: reserved capacity is "free" but keeps the relative order of on-demand prices. */
export const RESERVED_PRICE_DIVISOR = 10_000_000;

export function reservedOffering(
  it: InstanceType,
  r: CapacityReservationStatus,
  availableCount: number,
  zones: Set<string>,
): Offering {
  const od = it.offerings.find((o) => o.capacityType === "on-demand");
  return {
    zone: r.availabilityZone,
    capacityType: "reserved",
    // Without an on-demand price the offering is still usable (price 0), as Karpenter's.
    price: od ? od.price / RESERVED_PRICE_DIVISOR : 0,
    available: availableCount !== 0 && zones.has(r.availabilityZone) && r.state !== "expiring",
    reservation: {
      id: r.id,
      type: r.reservationType,
      interruptible: r.interruptible,
      capacity: availableCount,
    },
  };
}

const memo = new WeakMap<InstanceType[], { key: string; value: InstanceType[] }>();

/**
 * The types with a reserved offering appended per matching reservation (other types are returned as they are).
 * The types' offerings are already those of the class's zones: a reservation elsewhere is unavailable. Memoized
 * per input array and availability, so the scheduler's per-array caches survive while nothing changed.
 */
export function withReservedOfferings(
  types: InstanceType[],
  reservations: CapacityReservationStatus[],
  availableCount: (id: string) => number,
): InstanceType[] {
  if (reservations.length === 0) return types;
  const counts = reservations.map((r) => [r.id, availableCount(r.id)] as const);
  const key = JSON.stringify([reservations, counts]);
  const hit = memo.get(types);
  if (hit?.key === key) return hit.value;
  const byType = new Map<string, CapacityReservationStatus[]>();
  for (const r of reservations) byType.set(r.instanceType, [...(byType.get(r.instanceType) ?? []), r]);
  const count = new Map(counts);
  const value = types.map((it) => {
    const rs = byType.get(it.name);
    if (!rs) return it;
    const zones = new Set(it.offerings.map((o) => o.zone));
    return { ...it, offerings: [...it.offerings, ...rs.map((r) => reservedOffering(it, r, count.get(r.id)!, zones))] };
  });
  memo.set(types, { key, value });
  return value;
}
