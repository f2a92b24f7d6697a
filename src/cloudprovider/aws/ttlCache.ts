// A small TTL cache with an injectable clock: every AWS lookup (subnets, AMIs, SSM, profiles, ICE) keeps its
// own, so a burst of launches costs one API call per TTL instead of one per NodeClaim.
export type Now = () => number;

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: Now = Date.now,
  ) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlMs = this.ttlMs): void {
    this.entries.set(key, { value, expires: this.now() + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Live (unexpired) entries. */
  entriesLive(): Array<[string, V]> {
    const out: Array<[string, V]> = [];
    for (const [k, e] of this.entries) {
      if (e.expires > this.now()) out.push([k, e.value]);
      else this.entries.delete(k);
    }
    return out;
  }

  /** Returns the cached value or computes, stores and returns it; concurrent callers share one computation. */
  async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    let p = this.inflight.get(key);
    if (!p) {
      p = load()
        .then((v) => {
          this.set(key, v);
          return v;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }
  private readonly inflight = new Map<string, Promise<V>>();
}

export const TTL = {
  /** Karpenter's UnavailableOfferingsTTL. */
  unavailableOfferings: 3 * 60_000,
  instanceTypes: 5 * 60_000,
  instanceProfile: 15 * 60_000,
  ssm: 24 * 60 * 60_000,
  default: 60_000,
} as const;
