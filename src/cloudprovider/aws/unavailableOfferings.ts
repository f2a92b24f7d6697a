// Offerings (instance type x zone x capacity type) that recently failed with insufficient capacity. Launches skip
// them for 3 minutes (Karpenter's UnavailableOfferingsTTL); the scheduler and the interruption controller
// (spot interruption marks the spot offering) use the same cache.
import { TtlCache, TTL, Now } from "./ttlCache";

export class UnavailableOfferings {
  private readonly cache: TtlCache<{ reason: string }>;
  /** Bumped on every change so callers can invalidate derived instance-type lists cheaply. */
  seq = 0;

  constructor(now: Now = Date.now, ttlMs: number = TTL.unavailableOfferings) {
    this.cache = new TtlCache(ttlMs, now);
  }

  private static key(instanceType: string, zone: string, capacityType: string): string {
    return `${capacityType}:${instanceType}:${zone}`;
  }

  markUnavailable(instanceType: string, zone: string, capacityType: string, reason: string): void {
    this.cache.set(UnavailableOfferings.key(instanceType, zone, capacityType), { reason });
    this.seq++;
  }

  isUnavailable(instanceType: string, zone: string, capacityType: string): boolean {
    return this.cache.get(UnavailableOfferings.key(instanceType, zone, capacityType)) !== undefined;
  }

  /** Currently unavailable offerings, sorted, for logs and status. */
  list(): Array<{ instanceType: string; zone: string; capacityType: string; reason: string }> {
    return this.cache
      .entriesLive()
      .map(([k, v]) => {
        const [capacityType, instanceType, zone] = k.split(":") as [string, string, string];
        return { instanceType, zone, capacityType, reason: v.reason };
      })
      .sort((a, b) =>
        (a.capacityType + a.instanceType + a.zone).localeCompare(b.capacityType + b.instanceType + b.zone),
      );
  }

  /** Adapter for loadCatalog({unavailable}). */
  readonly predicate = (instanceType: string, zone: string, capacityType: string): boolean =>
    this.isUnavailable(instanceType, zone, capacityType);
}
