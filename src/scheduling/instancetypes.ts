// Instance types as seen through requirements: compatibility (labels + offerings), price, minValues, truncation.
import {
  LabelCapacityReservationID,
  LabelCapacityReservationInterruptible,
  LabelCapacityReservationType,
  LabelCapacityType,
  LabelHostname,
  LabelNodePool,
  LabelPlacementGroupPartition,
  LabelTopologyZone,
  WellKnownLabels,
} from "../apis/labels";
import type { InstanceType, Offering } from "../cloudprovider/types";
import type { Requirement, Requirements } from "../apis/requirements";

/**
 * Keys an instance type has an opinion on: a type lacking such a label means "DoesNotExist" (e.g. gpu-name). The
 * capacity-reservation labels belong to offerings, not types (offeringMatches).
 */
const NOT_TYPE_KEYS = new Set([
  LabelNodePool,
  LabelHostname,
  LabelTopologyZone,
  LabelCapacityType,
  "topology.k8s.aws/zone-id",
  LabelCapacityReservationID,
  LabelCapacityReservationType,
  LabelCapacityReservationInterruptible,
]);
export function isTypeKey(key: string): boolean {
  return WellKnownLabels.has(key) && !NOT_TYPE_KEYS.has(key);
}

/** The requirements an offering is matched against: zone, capacity type and the capacity-reservation labels. */
export interface OfferingReqs {
  z?: Requirement;
  ct?: Requirement;
  rid?: Requirement;
  rtype?: Requirement;
  rint?: Requirement;
}

export function offeringReqs(reqs: Requirements): OfferingReqs {
  return {
    z: reqs.get(LabelTopologyZone),
    ct: reqs.get(LabelCapacityType),
    rid: reqs.get(LabelCapacityReservationID),
    rtype: reqs.get(LabelCapacityReservationType),
    rint: reqs.get(LabelCapacityReservationInterruptible),
  };
}

export function offeringMatches(o: Offering, reqs: Requirements): boolean {
  return offeringMatchesReq(o, offeringReqs(reqs));
}

/**
 * As Karpenter's offering requirements: a reserved offering carries its reservation's id, type and interruptible
 * labels, every other offering none of them (DoesNotExist), so `capacity-reservation-id In [cr-1]` keeps only cr-1's
 * offerings while bin-packing and pricing.
 */
export function offeringMatchesReq(o: Offering, q: OfferingReqs): boolean {
  if (!o.available || (q.z && !q.z.has(o.zone)) || (q.ct && !q.ct.has(o.capacityType))) return false;
  if (!q.rid && !q.rtype && !q.rint) return true;
  const r = o.reservation;
  return (
    (!q.rid || q.rid.allows(r?.id)) &&
    (!q.rtype || q.rtype.allows(r?.type)) &&
    (!q.rint || q.rint.allows(r ? String(r.interruptible) : undefined))
  );
}

/** Why the type cannot satisfy `reqs`, or undefined. */
export function typeIncompatibility(it: InstanceType, reqs: Requirements): string | undefined {
  for (const r of reqs.values()) {
    if (!isTypeKey(r.key)) continue;
    if (r.key === LabelPlacementGroupPartition && it.partitions) {
      if (!it.partitions.some((p) => r.has(p))) return `${r.key} partitions ${it.partitions.join(",")} not in ${r}`;
      continue;
    }
    const v = it.labels[r.key];
    if (v === undefined ? !r.allowsAbsent() : !r.has(v)) return `${r.key}=${v ?? "<absent>"} not in ${r}`;
  }
  const q = offeringReqs(reqs);
  if (!it.offerings.some((o) => offeringMatchesReq(o, q)))
    return "no available offering in the allowed zones/capacity types";
  return undefined;
}

export function cheapestOffering(it: InstanceType, reqs: Requirements, capacityType?: string): Offering | undefined {
  let best: Offering | undefined;
  const q = offeringReqs(reqs);
  for (const o of it.offerings) {
    if (!offeringMatchesReq(o, q) || (capacityType && o.capacityType !== capacityType)) continue;
    if (!best || o.price < best.price || (o.price === best.price && o.zone < best.zone)) best = o;
  }
  return best;
}

export function price(it: InstanceType, reqs: Requirements): number {
  return cheapestOffering(it, reqs)?.price ?? Infinity;
}

/** Sorts by price under reqs, then name (deterministic). */
export function sortByPrice(types: InstanceType[], reqs: Requirements): InstanceType[] {
  const p = new Map(types.map((t) => [t, price(t, reqs)]));
  return [...types].sort((a, b) => p.get(a)! - p.get(b)! || (a.name < b.name ? -1 : 1));
}

/** Distinct values of `key` across the types (zone / capacity type from matching offerings); stops at `limit`. */
export function valuesOf(types: InstanceType[], key: string, reqs: Requirements, limit = Infinity): Set<string> {
  const out = new Set<string>();
  const q = offeringReqs(reqs);
  for (const t of types) {
    if (out.size >= limit) break;
    if (key === LabelTopologyZone || key === LabelCapacityType) {
      for (const o of t.offerings)
        if (offeringMatchesReq(o, q)) out.add(key === LabelTopologyZone ? o.zone : o.capacityType);
    } else if (key === LabelPlacementGroupPartition && t.partitions) {
      for (const p of t.partitions) out.add(p);
    } else if (t.labels[key] !== undefined) out.add(t.labels[key]!);
  }
  return out;
}

/** The first minValues requirement the types cannot satisfy, as a reason, or undefined. */
export function minValuesViolation(types: InstanceType[], reqs: Requirements): string | undefined {
  for (const r of reqs.values()) {
    if (r.minValues === undefined) continue;
    const n = valuesOf(types, r.key, reqs).size;
    if (n < r.minValues)
      return `minValues ${r.minValues} on ${r.key} needs ${r.minValues} distinct values but only ${n} remain`;
  }
  return undefined;
}

/**
 * MinValuesPolicy BestEffort (Karpenter's filterInstanceTypesByRequirements with relaxMinValues): every minValues
 * the types cannot meet is lowered, in place, to the distinct values they do offer. True when one was lowered.
 */
export function relaxMinValues(types: InstanceType[], reqs: Requirements): boolean {
  let relaxed = false;
  for (const r of reqs.values()) {
    if (r.minValues === undefined) continue;
    const n = valuesOf(types, r.key, reqs).size;
    if (n < r.minValues) {
      reqs.relaxMinValues(r.key, n);
      relaxed = true;
    }
  }
  return relaxed;
}

/**
 * Keeps at most `max` types, cheapest first, while preserving minValues: if the cheapest `max` do not cover the
 * required distinct values, the cheapest type of each missing value is pulled in first.
 */
export function truncate(sorted: InstanceType[], reqs: Requirements, max: number): InstanceType[] {
  if (sorted.length <= max) return sorted;
  const head = sorted.slice(0, max);
  if (!minValuesViolation(head, reqs)) return head;
  const picked = new Set<InstanceType>();
  for (const r of reqs.values()) {
    if (r.minValues === undefined) continue;
    const seen = valuesOf([...picked], r.key, reqs);
    for (const t of sorted) {
      if (seen.size >= r.minValues) break;
      const vs = valuesOf([t], r.key, reqs);
      if ([...vs].some((v) => !seen.has(v))) {
        picked.add(t);
        vs.forEach((v) => seen.add(v));
      }
    }
  }
  for (const t of sorted) {
    if (picked.size >= max) break;
    picked.add(t);
  }
  return sorted.filter((t) => picked.has(t));
}
