// Karpenter duration strings ("30s", "1h30m", "720h", "Never"). Kept local so the engine has no API dependency.

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses "1h30m"-style durations to milliseconds. "Never" → null (disabled). Throws a clear error on bad input,
 * naming the field, because a silently ignored typo (e.g. "1hr") would either disable or hammer disruption.
 */
export function parseDuration(value: string, field: string): number | null {
  if (value === "Never") return null;
  if (!/^([0-9]+(s|m|h))+$/.test(value)) {
    throw new Error(`${field}: invalid duration "${value}"; use e.g. "30s", "5m", "1h30m" or "Never"`);
  }
  let ms = 0;
  for (const m of value.matchAll(/([0-9]+)(s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms;
}

/** Formats milliseconds back to Karpenter's compact form, for messages. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s || (!h && !m) ? `${s}s` : ""}`;
}
