// The Prometheus text exposition format (what kube-apiserver serves on /metrics), just enough to read counters:
// `name{label="value",...} 123 [timestamp]` lines, `#` comments skipped. Used by the sandbox "large" part for
// apiserver_request_total (requests by verb) and apiserver_flowcontrol_dispatched_requests_total (by flow schema).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A label value's escapes: `\\`, `\"` and `\n`. */
function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

/** Every sample of `metric` (every sample when omitted) in `text`. Lines that are not samples are skipped. */
export function parsePrometheusText(text: string, metric?: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    if (metric !== undefined && name !== metric) continue;
    const labels: Record<string, string> = {};
    let rest = line.slice(nameEnd);
    if (rest.startsWith("{")) {
      // label="value" pairs; a value may contain `,`, `}` and escaped quotes.
      const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
      let i = 1;
      for (;;) {
        re.lastIndex = i;
        const m = re.exec(rest);
        if (!m) break;
        labels[m[1]!] = unescape(m[2]!);
        i = re.lastIndex;
      }
      const close = rest.indexOf("}", i);
      if (close < 0 || rest.slice(i, close).trim()) continue; // malformed label set
      rest = rest.slice(close + 1);
    }
    const [v] = rest.trim().split(/\s+/);
    if (v === undefined || v === "") continue;
    const value = v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v);
    if (Number.isNaN(value) && v !== "NaN") continue;
    out.push({ name, labels, value });
  }
  return out;
}

/** The samples' values summed by one label's value (a missing label counts as ""). */
export function sumBy(samples: Sample[], label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const k = s.labels[label] ?? "";
    out[k] = (out[k] ?? 0) + s.value;
  }
  return out;
}

/** after − before per key, keys with no change left out (a key only in `after` counts from 0). */
export function counterDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}
