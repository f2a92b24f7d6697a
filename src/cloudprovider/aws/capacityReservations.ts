// Capacity reservations (ODCRs and capacity blocks) for EC2NodeClass capacityReservationSelectorTerms, as Karpenter
// AWS's capacityreservation provider: one DescribeCapacityReservations query per term (active reservations only),
// cached a minute per query, expired ones dropped; plus the availability cache offerings read (the reservation's
// AvailableInstanceCount from the last sync, less our launches since, plus our terminations).
import { rfc3339 } from "../../apis/goTime";
import { DescribeCapacityReservationsCommand, EC2Client, CapacityReservation } from "@aws-sdk/client-ec2";
import type { Filter } from "./selectors";
import { TtlCache, TTL, Now } from "./ttlCache";

export interface CapacityReservationSelectorTerm {
  id?: string;
  tags?: Record<string, string>;
  ownerID?: string;
  instanceMatchCriteria?: string;
}

/** EC2NodeClass status.capacityReservations[] (the CRD's fields). */
export interface CapacityReservationStatus {
  id: string;
  availabilityZone: string;
  instanceType: string;
  ownerID: string;
  instanceMatchCriteria: string;
  reservationType: "default" | "capacity-block";
  interruptible: boolean;
  state: "active" | "expiring";
  endTime?: string;
}

/** Karpenter treats a capacity block as expiring 40 minutes before its end (EC2 reclaims it 30 minutes before). */
export const CAPACITY_BLOCK_EXPIRATION_MS = 40 * 60_000;
/** How long an availability count survives without a resync (Karpenter's CapacityReservationAvailabilityTTL). */
export const AVAILABILITY_TTL_MS = 24 * 60 * 60_000;

interface Query {
  id?: string;
  ownerID?: string;
  tags?: Record<string, string>;
  instanceMatchCriteria?: string;
}

/** An id term is its own query; tags / instanceMatchCriteria (with ownerID) another (Karpenter's QueriesFromSelectorTerms). */
export function queriesFromTerms(terms: CapacityReservationSelectorTerm[]): Query[] {
  const out: Query[] = [];
  for (const t of terms) {
    if (t.id) out.push({ id: t.id });
    if (Object.keys(t.tags ?? {}).length || t.instanceMatchCriteria)
      out.push({ ownerID: t.ownerID, tags: t.tags, instanceMatchCriteria: t.instanceMatchCriteria });
  }
  return out;
}

export function describeInput(q: Query): { CapacityReservationIds?: string[]; Filters: Filter[]; MaxResults?: number } {
  const filters: Filter[] = [{ Name: "state", Values: ["active"] }];
  if (q.id) return { Filters: filters, CapacityReservationIds: [q.id] };
  if (q.ownerID) filters.push({ Name: "owner-id", Values: [q.ownerID] });
  for (const k of Object.keys(q.tags ?? {}).sort()) {
    const v = q.tags![k]!;
    filters.push(v === "*" ? { Name: "tag-key", Values: [k] } : { Name: `tag:${k}`, Values: [v] });
  }
  if (q.instanceMatchCriteria) filters.push({ Name: "instance-match-criteria", Values: [q.instanceMatchCriteria] });
  return { Filters: filters, MaxResults: 1000 };
}

/**
 * EC2's reservation as the NodeClass status reports it; throws for an instance match criteria or reservation type
 * Karpenter does not know (such a reservation is left out of the status, with an error log).
 */
export function reservationFromEC2(cr: CapacityReservation, now: number): CapacityReservationStatus {
  const id = cr.CapacityReservationId ?? "";
  const imc = String(cr.InstanceMatchCriteria ?? "");
  if (imc !== "open" && imc !== "targeted")
    throw new Error(`capacity reservation ${id}: unsupported instance match criteria "${imc}" from EC2`);
  const rt = String(cr.ReservationType ?? "") || "default";
  if (rt !== "default" && rt !== "capacity-block")
    throw new Error(`capacity reservation ${id}: unsupported reservation type "${rt}" from EC2`);
  const end = cr.EndDate ? new Date(cr.EndDate).getTime() : undefined;
  const expiring = rt === "capacity-block" && end !== undefined && now >= end - CAPACITY_BLOCK_EXPIRATION_MS;
  return {
    id,
    availabilityZone: cr.AvailabilityZone ?? "",
    instanceType: String(cr.InstanceType ?? ""),
    ownerID: cr.OwnerId ?? "",
    instanceMatchCriteria: imc,
    reservationType: rt,
    interruptible: (cr as { Interruptible?: boolean }).Interruptible ?? false,
    state: expiring ? "expiring" : "active",
    ...(end !== undefined ? { endTime: rfc3339(end) } : {}),
  };
}

export class CapacityReservationProvider {
  private readonly queries: TtlCache<CapacityReservation[]>;
  private readonly availability: TtlCache<{ count: number; syncedAt: number }>;
  constructor(
    private readonly ec2: Pick<EC2Client, "send">,
    private readonly now: Now = Date.now,
  ) {
    this.queries = new TtlCache(TTL.default, now);
    this.availability = new TtlCache(AVAILABILITY_TTL_MS, now);
  }

  /** Every unexpired reservation any term selects, deduplicated by id. */
  async list(terms: CapacityReservationSelectorTerm[]): Promise<CapacityReservation[]> {
    const seen = new Map<string, CapacityReservation>();
    for (const q of queriesFromTerms(terms)) {
      const key = JSON.stringify(describeInput(q));
      let found = this.queries.get(key);
      if (!found) {
        found = await this.describe(q);
        this.queries.set(key, found);
        for (const r of found)
          if (r.CapacityReservationId)
            this.availability.set(r.CapacityReservationId, {
              count: r.AvailableInstanceCount ?? 0,
              syncedAt: this.now(),
            });
      }
      for (const r of found) if (r.CapacityReservationId) seen.set(r.CapacityReservationId, r);
    }
    const now = this.now();
    return [...seen.values()].filter((r) => !r.EndDate || new Date(r.EndDate).getTime() > now);
  }

  private async describe(q: Query): Promise<CapacityReservation[]> {
    const out: CapacityReservation[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.ec2.send(new DescribeCapacityReservationsCommand({ ...describeInput(q), NextToken: token }));
      } catch (e) {
        // Asking for one id that no longer exists: EC2 answers NotFound; that term simply selects nothing.
        if (q.id && /NotFound/.test((e as { name?: string }).name ?? "")) return out;
        throw new Error(`listing capacity reservations, ${(e as Error).message ?? e}`);
      }
      out.push(...(page.CapacityReservations ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  }

  /** How many more instances the reservation takes, as far as we know (0 when never synced). */
  availableCount(id: string): number {
    return this.availability.get(id)?.count ?? 0;
  }

  /** A launch into the reservation since the last sync. */
  markLaunched(id: string): void {
    const e = this.availability.get(id);
    if (e && e.count > 0) e.count--;
  }

  /** An instance of the reservation terminated (it frees a slot some time before EC2 reports it; overestimate). */
  markTerminated(id: string): void {
    const e = this.availability.get(id);
    if (e) e.count++;
  }

  /** EC2 said the reservation is full (ReservationCapacityExceeded) or it is being reclaimed. */
  markUnavailable(...ids: string[]): void {
    for (const id of ids) {
      const e = this.availability.get(id);
      if (e) e.count = 0;
    }
  }

  invalidate(): void {
    this.queries.clear();
  }
}
