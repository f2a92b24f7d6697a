// Karpenter's ReservationManager for one solve: how many more NodeClaims each capacity reservation can take (its
// offerings' ReservationCapacity, the least when NodePools disagree) and which reservations each planned NodeClaim
// holds. As in Karpenter's NodeClaim.offeringsToReserve, a claim holds every compatible reservation with room
// (pessimistically: any of them could be the one launched into) from the moment it opens, re-evaluated as each pod
// narrows it; its NodeClaim is then pinned to `reserved` and those reservation ids.
import * as L from "../apis/labels";
import type { Requirements } from "../apis/requirements";
import type { InstanceType } from "../cloudprovider/types";

/**
 * Fallback (Karpenter's default, and disruption's): a claim that finds no reservation with room is planned in its
 * other capacity types. Strict (Karpenter's provisioner, DisableReservedCapacityFallback): the pod waits instead.
 */
export type ReservedOfferingMode = "Fallback" | "Strict";

// Karpenter's ReservedOfferingError messages: the pod is neither relaxed nor sent to a lower-weight NodePool, and
// its scheduling decision is deferred to a later solve (when the reservations it wants may have room again).
export const RESERVATIONS_TAKEN =
  "one or more instance types with compatible reserved offerings are available, but could not be reserved";
export const RESERVATIONS_LOST =
  "satisfying updated nodeclaim constraints would remove all compatible reserved offering options";

export function isReservedOfferingError(reason: string): boolean {
  return reason === RESERVATIONS_TAKEN || reason === RESERVATIONS_LOST;
}

export class ReservationManager {
  private readonly capacity = new Map<string, number>();
  private readonly holdings = new Map<string, Set<string>>();

  constructor(
    catalogs: Iterable<InstanceType[]>,
    readonly mode: ReservedOfferingMode = "Fallback",
  ) {
    for (const types of catalogs)
      for (const it of types)
        for (const o of it.offerings) {
          if (!o.reservation) continue;
          const cur = this.capacity.get(o.reservation.id);
          if (cur === undefined || o.reservation.capacity < cur)
            this.capacity.set(o.reservation.id, o.reservation.capacity);
        }
  }

  get empty(): boolean {
    return this.capacity.size === 0;
  }

  held(claim: string): string[] {
    return [...(this.holdings.get(claim) ?? [])].sort();
  }

  /**
   * The reservations the claim would hold with these options and requirements (idempotent: ones it holds stay
   * reservable), or, in strict mode, the ReservedOfferingError reason when it would hold none although some
   * reservation is compatible, or although it held some before.
   */
  toReserve(claim: string, options: InstanceType[], reqs: Requirements): string[] | string {
    if (this.empty) return [];
    const zone = reqs.get(L.LabelTopologyZone);
    const ct = reqs.get(L.LabelCapacityType);
    const id = reqs.get(L.LabelCapacityReservationID);
    const type = reqs.get(L.LabelCapacityReservationType);
    const intr = reqs.get(L.LabelCapacityReservationInterruptible);
    const mine = this.holdings.get(claim);
    let compatible = false;
    const ids = new Set<string>();
    if (!ct || ct.has(L.CapacityTypeReserved))
      for (const it of options)
        for (const o of it.offerings) {
          const r = o.reservation;
          if (!r || !o.available || (zone && !zone.has(o.zone))) continue;
          if ((id && !id.has(r.id)) || (type && !type.has(r.type)) || (intr && !intr.has(String(r.interruptible))))
            continue;
          compatible = true;
          if (mine?.has(r.id) || (this.capacity.get(r.id) ?? 0) > 0) ids.add(r.id);
        }
    if (this.mode === "Strict" && ids.size === 0) {
      if (compatible) return RESERVATIONS_TAKEN;
      if (mine?.size) return RESERVATIONS_LOST;
    }
    return [...ids].sort();
  }

  /** The claim now holds exactly `ids` (from toReserve): new ones take a slot, dropped ones give theirs back. */
  hold(claim: string, ids: string[]): void {
    const mine = this.holdings.get(claim) ?? new Set<string>();
    const next = new Set(ids);
    for (const r of mine) if (!next.has(r)) this.capacity.set(r, this.capacity.get(r)! + 1);
    for (const r of next) if (!mine.has(r)) this.capacity.set(r, this.capacity.get(r)! - 1);
    if (next.size) this.holdings.set(claim, next);
    else this.holdings.delete(claim);
  }

  release(claim: string): void {
    this.hold(claim, []);
  }
}
