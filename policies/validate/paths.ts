import type { Schema } from "../schemas/types";

// Field-path helpers: kubectl prints `spec.a[0].b` and `labels[key]`.

export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${key}]`;
}

/** ajv instancePath (`/spec/limits/cpu`) to kubectl path (`spec.limits[cpu]`), guided by the schema. */
export function pointerToPath(pointer: string, root: Schema): string {
  const segs = pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  let out = "";
  let schema: Schema | undefined = root;
  for (const seg of segs) {
    if (schema?.type === "array" || (schema === undefined && /^[0-9]+$/.test(seg))) {
      out = childPath(out, Number(seg));
      schema = schema?.items;
    } else if (schema?.properties?.[seg]) {
      out = childPath(out, seg);
      schema = schema.properties[seg];
    } else {
      out = `${out}[${seg}]`;
      schema = typeof schema?.additionalProperties === "object" ? schema.additionalProperties : undefined;
    }
  }
  return out;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** Closest candidate within `max` edits (ties broken alphabetically for determinism). */
export function closest(word: string, candidates: Iterable<string>, max = 3): string | undefined {
  let best: string | undefined;
  let bestD = max + 1;
  for (const c of [...candidates].sort()) {
    const d = editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= max ? best : undefined;
}
