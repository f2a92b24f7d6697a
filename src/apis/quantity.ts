// Kubernetes resource quantities <-> numbers. Internally cpu is integer millicores and every other resource is
// an integer count of its base unit (bytes, pods, devices); both round up, as Kubernetes does for requests.

export class QuantityError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    hint: string,
  ) {
    super(`${field}: invalid quantity ${JSON.stringify(value)} — ${hint}`);
    this.name = "QuantityError";
  }
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY_RE =
  /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Parses "500m", "1Gi", "1.5", "2e3", 4 ... into a plain number of base units (cores for cpu, bytes for memory). */
export function parseQuantity(q: string | number, field = "quantity"): number {
  if (typeof q === "number") {
    if (!Number.isFinite(q)) throw new QuantityError(field, q, 'use a finite number such as 2 or "500m"');
    return q;
  }
  if (typeof q !== "string") throw new QuantityError(field, q, 'use a string such as "500m", "1Gi" or a number');
  const m = QUANTITY_RE.exec(q.trim());
  if (!m) throw new QuantityError(field, q, 'use a Kubernetes quantity such as "500m", "2", "1Gi", "512Mi" or "2e3"');
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? "";
  return base * (BINARY[suffix] ?? DECIMAL[suffix]!);
}

/**
 * Karpenter's resources.IsZero on a quantity that may be missing: absent or empty is zero; an unparsable one is
 * not (something is there; the apiserver never stores one in a Node or a NodeClaim, so this only decides which
 * way an invalid test or hand-written object leans: it is kept, not replaced).
 */
export function isZeroQuantity(q: string | number | undefined): boolean {
  if (q === undefined || q === "") return true;
  try {
    return parseQuantity(q) === 0;
  } catch {
    return false;
  }
}

/** Rounds a float up to an integer while forgiving binary floating-point noise (0.1*3*1000 = 300.00000000000006). */
function ceilClean(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-6 ? r : Math.ceil(v);
}

/** Internal integer value of one resource: cpu in millicores, everything else in base units. */
export function parseResource(name: string, q: string | number, field = name): number {
  const v = parseQuantity(q, field);
  return ceilClean(name === "cpu" ? v * 1000 : v);
}

export type ResourceMap = Record<string, number>;

/** Parses a ResourceList ({cpu: "500m", memory: "1Gi"}) into internal integers. */
export function parseResources(list: Record<string, string | number> | undefined, field = "resources"): ResourceMap {
  const out: ResourceMap = {};
  if (!list) return out;
  for (const [k, v] of Object.entries(list)) out[k] = parseResource(k, v, `${field}.${k}`);
  return out;
}

export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Canonical byte quantity: the largest binary suffix that divides exactly ("1Gi", "1536Mi"), else plain bytes. */
export function formatBytes(bytes: number): string {
  if (bytes === 0) return "0";
  for (const s of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
    const f = BINARY[s]!;
    if (bytes % f === 0) return `${bytes / f}${s}`;
  }
  return String(bytes);
}

const BYTE_RESOURCES = new Set(["memory", "ephemeral-storage", "storage"]);

/** Formats an internal value of `name` as a canonical Kubernetes quantity string. */
export function formatResource(name: string, value: number): string {
  if (name === "cpu") return formatCpu(value);
  if (BYTE_RESOURCES.has(name) || name.startsWith("hugepages-")) return formatBytes(value);
  return String(value);
}

export function formatResources(r: ResourceMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = formatResource(k, r[k]!);
  return out;
}

export function addResources(a: ResourceMap, b: ResourceMap): ResourceMap {
  const out: ResourceMap = { ...a };
  for (const k in b) out[k] = (out[k] ?? 0) + b[k]!;
  return out;
}

/** Element-wise max (init containers vs app containers). */
export function maxResources(a: ResourceMap, b: ResourceMap): ResourceMap {
  const out: ResourceMap = { ...a };
  for (const k in b) out[k] = Math.max(out[k] ?? 0, b[k]!);
  return out;
}

export function subtractResources(a: ResourceMap, b: ResourceMap): ResourceMap {
  const out: ResourceMap = { ...a };
  for (const k in b) out[k] = (out[k] ?? 0) - b[k]!;
  return out;
}

/** True when every requested resource fits in `available` (missing available = 0). */
export function fits(requests: ResourceMap, available: ResourceMap): boolean {
  for (const k in requests) if (requests[k]! > 0 && requests[k]! > (available[k] ?? 0)) return false;
  return true;
}
