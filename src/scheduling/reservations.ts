// Karpenter's ReservationManager for one solve: how many more NodeClaims each capacity reservation can take
// (its offerings' ReservationCapacity, the least when NodePools disagree), and which reservations a planned
// NodeClaim holds. A NodeClaim holds every compatible reservation with room (Karpenter reserves pessimistically),
// and is then pinned to `reserved` and those reservation ids, so two NodeClaims never count on the same slot.
import * as L from "../apis/labels";
import type { Requirements } from "../apis/requirements";
import type { InstanceType } from "../cloudprovider/types";

export class ReservationLedger {
  private readonly remaining = new Map<string, number>();

  constructor(catalogs: Iterable<InstanceType[]>) {
    for (const types of catalogs)
      for (const it of types)
        for (const o of it.offerings) {
          if (!o.reservation) continue;
          const cur = this.remaining.get(o.reservation.id);
          if (cur === undefined || o.reservation.capacity < cur)
            this.remaining.set(o.reservation.id, o.reservation.capacity);
        }
  }

  get empty(): boolean {
    return this.remaining.size === 0;
  }

  /** Reserves, for one NodeClaim, a slot in every compatible available reservation with room; returns their ids. */
  reserve(options: InstanceType[], reqs: Requirements): string[] {
    const zone = reqs.get(L.LabelTopologyZone);
    const ct = reqs.get(L.LabelCapacityType);
    if (ct && !ct.has(L.CapacityTypeReserved)) return [];
    const id = reqs.get(L.LabelCapacityReservationID);
    const type = reqs.get(L.LabelCapacityReservationType);
    const intr = reqs.get(L.LabelCapacityReservationInterruptible);
    const ids = new Set<string>();
    for (const it of options)
      for (const o of it.offerings) {
        const r = o.reservation;
        if (!r || !o.available || (zone && !zone.has(o.zone))) continue;
        if ((id && !id.has(r.id)) || (type && !type.has(r.type)) || (intr && !intr.has(String(r.interruptible))))
          continue;
        if ((this.remaining.get(r.id) ?? 0) > 0) ids.add(r.id);
      }
    for (const r of ids) this.remaining.set(r, this.remaining.get(r)! - 1);
    return [...ids].sort();
  }
}
