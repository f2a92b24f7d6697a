// Times as Karpenter prints them, from Go's time package: RFC 3339 at second precision (metav1.Time, and what
// `t.Format(time.RFC3339)` writes into Event messages), and time.Time's String() (what `%v` of a time prints).

/** Go's time.RFC3339 in UTC: whole seconds, the fraction dropped ("2025-01-01T00:02:00Z"). */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/** Go's time.Time String() in UTC ("2025-01-01 00:00:00.5 +0000 UTC"): the fraction kept, trailing zeros trimmed. */
export function goTimeString(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2025-01-01T00:00:00.500Z
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ""} +0000 UTC`;
}
