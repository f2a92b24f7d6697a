// Small async lookups the admission capability needs, with a short TTL cache so a burst of NodePool applies
// (Argo CD syncs) costs one apiserver GET. The getter is injected, so this stays free of pepr/kfc.

export interface Clock {
  now(): number;
}
const systemClock: Clock = { now: () => Date.now() };

/**
 * Wraps `get(name)` (which throws an error with `status` 404 when absent) into a cached existence check:
 * true = exists, false = 404, undefined = could not tell (network/RBAC error; callers should not warn then).
 */
export function cachedExistence(get: (name: string) => Promise<unknown>, ttlMs = 10_000, clock: Clock = systemClock) {
  const cache = new Map<string, { at: number; value: boolean | undefined }>();
  return async (name: string): Promise<boolean | undefined> => {
    const hit = cache.get(name);
    if (hit && clock.now() - hit.at < ttlMs) return hit.value;
    let value: boolean | undefined;
    try {
      await get(name);
      value = true;
    } catch (e) {
      const status =
        (e as { status?: number; statusCode?: number })?.status ?? (e as { statusCode?: number })?.statusCode;
      value = status === 404 ? false : undefined;
    }
    if (value !== undefined) cache.set(name, { at: clock.now(), value });
    return value;
  };
}

/** Caches a value-producing async loader per key for ttlMs (errors are not cached). */
export function cachedLoader<T>(load: (key: string) => Promise<T>, ttlMs = 10_000, clock: Clock = systemClock) {
  const cache = new Map<string, { at: number; value: T }>();
  return async (key: string): Promise<T> => {
    const hit = cache.get(key);
    if (hit && clock.now() - hit.at < ttlMs) return hit.value;
    const value = await load(key);
    cache.set(key, { at: clock.now(), value });
    return value;
  };
}
