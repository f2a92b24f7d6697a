// The one duration grammar: Go's time.ParseDuration (what Karpenter's NillableDuration and its flags use),
// plus "Never" (NillableDuration's nil). Karpenter's CRD patterns narrow some fields further (expireAfter:
// `([0-9]+(s|m|h))+|Never`); those are checked at admission, the engine accepts anything Go would. The result
// carries Go's integer nanoseconds too: the drift hash folds durations in as int64 nanoseconds.

// Go's unit table, in nanoseconds (µs twice: U+00B5 and U+03BC).
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NS = 1n << 63n;

/** Milliseconds (and Go's integer nanoseconds), null for "Never", or why the value is not a duration. */
export type ParsedDuration =
  | { ms: number | null; ns?: bigint; error?: undefined }
  | { ms?: undefined; ns?: undefined; error: string };

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/** Parses `[-+]?([0-9]*(\.[0-9]*)?unit)+` | "0" | "Never" in one left-to-right pass, as Go's ParseDuration. */
export function parseDuration(value: string): ParsedDuration {
  if (value === "Never") return { ms: null };
  const bad = (why: string): ParsedDuration => ({
    error: `invalid duration "${value}": ${why}; use e.g. "30s", "5m", "1h30m"`,
  });
  const ok = (ns: bigint): ParsedDuration => ({ ms: Number(ns) / 1e6, ns });
  let i = 0;
  let neg = false;
  if (value[0] === "-" || value[0] === "+") {
    neg = value[0] === "-";
    i = 1;
  }
  if (value.slice(i) === "0") return ok(0n);
  if (i === value.length) return bad("empty");
  let total = 0n;
  while (i < value.length) {
    const start = i;
    while (isDigit(value[i])) i++;
    const whole = value.slice(start, i);
    let frac = "";
    if (value[i] === ".") {
      const f = ++i;
      while (isDigit(value[i])) i++;
      frac = value.slice(f, i);
    }
    if (whole === "" && frac === "") return bad("expected a number");
    const u = i;
    while (i < value.length && value[i] !== "." && !isDigit(value[i])) i++;
    const unitName = value.slice(u, i);
    if (unitName === "") return bad(`missing unit after "${value.slice(start, u)}"`);
    const unit = UNIT_NS[unitName];
    if (unit === undefined) return bad(`unknown unit "${unitName}"`);
    let v = BigInt(whole || "0") * unit;
    // Go's leadingFraction keeps digits while they fit in int64, then adds float64(f) * (unit / scale), truncated.
    let f = 0n;
    let scale = 1;
    for (const d of frac) {
      const next = f * 10n + BigInt(d);
      if (next > MAX_NS) break;
      f = next;
      scale *= 10;
    }
    if (f > 0n) v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
    total += v;
    if (total > MAX_NS) return bad("out of range (Go durations end at about 292 years)");
  }
  if (!neg && total === MAX_NS) return bad("out of range (Go durations end at about 292 years)");
  return ok(neg ? -total : total);
}

/** parseDuration for a field that must hold one: throws an error naming the field. */
export function requireDuration(value: string, field: string): number | null {
  const d = parseDuration(value);
  if (d.error !== undefined) throw new Error(`${field}: ${d.error} or "Never"`);
  return d.ms;
}
