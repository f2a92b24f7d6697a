// Small async lookups the admission capability needs, with a short TTL cache so a burst of NodePool applies
// (Argo CD syncs) or of pod creations (a Deployment scaling out) costs one apiserver GET per key and TTL: callers
// that ask while a lookup is in flight share it. The getter is injected, so this stays free of pepr/kfc.

export interface Clock {
  now(): number;
}
const systemClock: Clock = { now: () => Date.now() };

/** Keys cached at most; past it, expired entries are dropped first, then the oldest (one entry per namespace). */
export const MAX_CACHED_KEYS = 1024;

/**
 * Wraps `get(name)` (which throws an error with `status` 404 when absent) into a cached existence check:
 * true = exists, false = 404, undefined = could not tell (network/RBAC error; callers should not warn then).
 * `get` may also resolve undefined for "absent".
 */
export function cachedExistence(get: (name: string) => Promise<unknown>, ttlMs = 10_000, clock: Clock = systemClock) {
  return ttlCache<boolean | undefined>(
    async (name) => {
      try {
        return (await get(name)) !== undefined;
      } catch (e) {
        const status =
          (e as { status?: number; statusCode?: number })?.status ?? (e as { statusCode?: number })?.statusCode;
        return status === 404 ? false : undefined;
      }
    },
    (value) => value !== undefined, // "could not tell" is asked again next time
    ttlMs,
    clock,
  );
}

/** Caches a value-producing async loader per key for ttlMs (errors are not cached). */
export function cachedLoader<T>(load: (key: string) => Promise<T>, ttlMs = 10_000, clock: Clock = systemClock) {
  return ttlCache<T>(load, () => true, ttlMs, clock);
}

function ttlCache<T>(
  load: (key: string) => Promise<T>,
  keep: (value: T) => boolean,
  ttlMs: number,
  clock: Clock,
): (key: string) => Promise<T> {
  const cache = new Map<string, { at: number; value: T }>();
  const inFlight = new Map<string, Promise<T>>();
  const remember = (key: string, value: T) => {
    cache.delete(key); // re-inserted last: Map order is then age order
    if (cache.size >= MAX_CACHED_KEYS) {
      const now = clock.now();
      for (const [k, e] of cache) if (now - e.at >= ttlMs) cache.delete(k);
      while (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string);
    }
    cache.set(key, { at: clock.now(), value });
  };
  return (key: string): Promise<T> => {
    const hit = cache.get(key);
    if (hit && clock.now() - hit.at < ttlMs) return Promise.resolve(hit.value);
    const pending = inFlight.get(key);
    if (pending) return pending;
    const p = load(key).then(
      (value) => {
        inFlight.delete(key);
        if (keep(value)) remember(key, value);
        return value;
      },
      (e: unknown) => {
        inFlight.delete(key);
        throw e;
      },
    );
    inFlight.set(key, p);
    return p;
  };
}
