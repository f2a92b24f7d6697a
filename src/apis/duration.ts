// The one duration grammar: Go's time.ParseDuration (what Karpenter's NillableDuration and its flags use),
// plus "Never" (NillableDuration's nil). Karpenter's CRD patterns narrow some fields further (expireAfter:
// `([0-9]+(s|m|h))+|Never`); those are checked at admission, the engine accepts anything Go would.

// Go's unit table, in milliseconds (µs twice: U+00B5 and U+03BC).
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3,
  "\u03bcs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds, null for "Never", or why the value is not a duration. */
export type ParsedDuration = { ms: number | null; error?: undefined } | { ms?: undefined; error: string };

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/** Parses `[-+]?([0-9]*(\.[0-9]*)?unit)+` | "0" | "Never" in one left-to-right pass. */
export function parseDuration(value: string): ParsedDuration {
  if (value === "Never") return { ms: null };
  const bad = (why: string): ParsedDuration => ({
    error: `invalid duration "${value}": ${why}; use e.g. "30s", "5m", "1h30m"`,
  });
  let i = 0;
  let sign = 1;
  if (value[0] === "-" || value[0] === "+") {
    sign = value[0] === "-" ? -1 : 1;
    i = 1;
  }
  if (value.slice(i) === "0") return { ms: 0 };
  if (i === value.length) return bad("empty");
  let total = 0;
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
    const unit = value.slice(u, i);
    if (unit === "") return bad(`missing unit after "${value.slice(start, u)}"`);
    const ms = UNIT_MS[unit];
    if (ms === undefined) return bad(`unknown unit "${unit}"`);
    total += Number(`${whole || "0"}.${frac || "0"}`) * ms;
  }
  return { ms: sign * total };
}

/** parseDuration for a field that must hold one: throws an error naming the field. */
export function requireDuration(value: string, field: string): number | null {
  const d = parseDuration(value);
  if (d.error !== undefined) throw new Error(`${field}: ${d.error} or "Never"`);
  return d.ms;
}
