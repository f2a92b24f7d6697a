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

  private static key(instanceType: string, zone: string, capacityType: string, scope?: string): string {
    return `${capacityType}:${instanceType}:${zone}${scope ? `:${scope}` : ""}`;
  }

  /** scope: a placement group id, or "<id>:<partition>" (Karpenter's placement-group scoped ICE entries). */
  markUnavailable(instanceType: string, zone: string, capacityType: string, reason: string, scope?: string): void {
    this.cache.set(UnavailableOfferings.key(instanceType, zone, capacityType, scope), { reason });
    this.seq++;
  }

  /** Unavailable everywhere, or within one of `scopes` (the placement group, its targeted partition). */
  isUnavailable(instanceType: string, zone: string, capacityType: string, scopes: string[] = []): boolean {
    if (this.cache.get(UnavailableOfferings.key(instanceType, zone, capacityType)) !== undefined) return true;
    return scopes.some(
      (s) => this.cache.get(UnavailableOfferings.key(instanceType, zone, capacityType, s)) !== undefined,
    );
  }

  /** The predicate for a launch in a placement group (and partition). */
  predicateIn(scopes: string[]): (instanceType: string, zone: string, capacityType: string) => boolean {
    return scopes.length ? (t, z, c) => this.isUnavailable(t, z, c, scopes) : this.predicate;
  }

  /** Currently unavailable offerings, sorted, for logs and status. */
  list(): Array<{ instanceType: string; zone: string; capacityType: string; reason: string; scope?: string }> {
    return this.cache
      .entriesLive()
      .map(([k, v]) => {
        const [capacityType, instanceType, zone, ...scope] = k.split(":") as [string, string, string, ...string[]];
        return {
          instanceType,
          zone,
          capacityType,
          reason: v.reason,
          ...(scope.length ? { scope: scope.join(":") } : {}),
        };
      })
      .sort((a, b) =>
        (a.capacityType + a.instanceType + a.zone).localeCompare(b.capacityType + b.instanceType + b.zone),
      );
  }

  /** Adapter for loadCatalog({unavailable}). */
  readonly predicate = (instanceType: string, zone: string, capacityType: string): boolean =>
    this.isUnavailable(instanceType, zone, capacityType);
}
