// A reimplementation of github.com/mitchellh/hashstructure/v2 (FormatV2, FNV-1 64), which Karpenter uses for its
// drift hashes (karpenter.sh/nodepool-hash, karpenter.k8s.aws/ec2nodeclass-hash). Go hashes typed structs, so the
// caller describes the Go type of the JSON it holds (struct and field names, declaration order, `hash` tags): the
// Go field name, not the JSON name, goes into the hash, and a struct's fields are folded in declaration order.
// Matching Karpenter bit for bit is what lets a cluster taken over from Karpenter keep its nodes.

import { parseDuration } from "./duration";

export type GoType =
  | { kind: "string" }
  | { kind: "int64" }
  | { kind: "int32" }
  | { kind: "bool" }
  /** time.Duration held as a Go duration string ("5m", "1h30m"); hashed as int64 nanoseconds. */
  | { kind: "duration" }
  /** metav1.Time held as an RFC 3339 string; hashed as time.Time.MarshalBinary (location Local = UTC). */
  | { kind: "time" }
  /** resource.Quantity; only hashable through a `hash:"string"` tag (its canonical String()). */
  | { kind: "quantity" }
  | { kind: "ptr"; elem: GoType }
  | { kind: "slice"; elem: GoType }
  | { kind: "map"; key: GoType; value: GoType }
  | { kind: "struct"; name: string; fields: GoField[] };

export interface GoField {
  /** Go field name (what is hashed). */
  go: string;
  /** JSON key the value is read from; omitted for an embedded struct whose fields are inlined in the JSON. */
  json?: string;
  type: GoType;
  tag?: "ignore" | "string" | "set";
}

export interface HashOptions {
  slicesAsSets?: boolean;
  ignoreZeroValue?: boolean;
  zeroNil?: boolean;
}

const MASK = (1n << 64n) - 1n;
const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;

/** FNV-1 (multiply, then xor), as Go's hash/fnv New64. */
function fnv1(bytes: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const b of bytes) h = ((h * FNV_PRIME) & MASK) ^ BigInt(b);
  return h;
}

function le(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt.asUintN(bytes * 8, value);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const utf8 = new TextEncoder();
const hashString = (s: string): bigint => fnv1(utf8.encode(s));
const hashInt = (v: bigint, bytes: number): bigint => fnv1(le(v, bytes));

function ordered(a: bigint, b: bigint): bigint {
  const buf = new Uint8Array(16);
  buf.set(le(a, 8), 0);
  buf.set(le(b, 8), 8);
  return fnv1(buf);
}
const finish = (a: bigint): bigint => fnv1(le(a, 8));

/** A Go duration string in integer nanoseconds (src/apis/duration.ts's parser); "Never" is not one. */
function goDurationNs(s: string): bigint {
  const d = parseDuration(s);
  if (d.ns === undefined) throw new Error(`invalid Go duration ${JSON.stringify(s)}`);
  return d.ns;
}

/** time.Time.MarshalBinary (v1 layout) for a Local=UTC time: seconds since year 1, nanoseconds, offset 0. */
function timeBinary(iso: string): Uint8Array {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`invalid time ${JSON.stringify(iso)}`);
  const frac = /\.(\d+)/.exec(iso)?.[1] ?? "";
  const nsec = frac ? Number((frac + "000000000").slice(0, 9)) : 0;
  const sec = BigInt(Math.floor(ms / 1000)) + 62135596800n;
  const out = new Uint8Array(15);
  out[0] = 1;
  for (let i = 0; i < 8; i++) out[1 + i] = Number((sec >> BigInt(8 * (7 - i))) & 0xffn);
  for (let i = 0; i < 4; i++) out[9 + i] = (nsec >>> (8 * (3 - i))) & 0xff;
  out[13] = 0;
  out[14] = 0;
  return out;
}

const isNil = (v: unknown): boolean => v === undefined || v === null;

/** reflect.Value.IsZero for the value the JSON decodes to. */
function isZero(t: GoType, v: unknown): boolean {
  switch (t.kind) {
    case "ptr":
    case "slice":
    case "map":
      return isNil(v);
    case "string":
      return isNil(v) || v === "";
    case "int64":
    case "int32":
      return isNil(v) || Number(v) === 0;
    case "bool":
      return isNil(v) || v === false;
    case "duration":
      return isNil(v) || goDurationNs(String(v)) === 0n;
    case "time":
      return isNil(v);
    case "quantity":
      return isNil(v);
    case "struct":
      return t.fields.every((f) => isZero(f.type, fieldValue(f, v)));
  }
}

function fieldValue(f: GoField, parent: unknown): unknown {
  if (isNil(parent)) return undefined;
  return f.json === undefined ? parent : (parent as Record<string, unknown>)[f.json];
}

/** Hash of a JSON value interpreted as Go type `t`, exactly as hashstructure.Hash(v, FormatV2, opts). */
export function goHash(t: GoType, value: unknown, opts: HashOptions = {}): bigint {
  return visit(t, value, opts, false);
}

function visit(t: GoType, v: unknown, opts: HashOptions, set: boolean): bigint {
  // Pointers: a nil pointer is the zero value of its element type under ZeroNil, else the int zero.
  while (t.kind === "ptr") {
    if (isNil(v) && !opts.zeroNil) return hashInt(0n, 8);
    t = t.elem;
  }
  switch (t.kind) {
    case "string":
      return hashString(isNil(v) ? "" : String(v));
    case "int64":
      return hashInt(BigInt(isNil(v) ? 0 : Math.trunc(Number(v))), 8);
    case "int32":
      return hashInt(BigInt(isNil(v) ? 0 : Math.trunc(Number(v))), 4);
    case "bool":
      return hashInt(v === true ? 1n : 0n, 1);
    case "duration":
      return hashInt(isNil(v) ? 0n : goDurationNs(String(v)), 8);
    case "time":
      return isNil(v) ? fnv1(timeBinary("0001-01-01T00:00:00Z")) : fnv1(timeBinary(String(v)));
    case "quantity":
      throw new Error('resource.Quantity is only hashable through a hash:"string" tag');
    case "slice": {
      const items = isNil(v) ? [] : (v as unknown[]);
      let h = 0n;
      for (const item of items) {
        const cur = visit(t.elem, item, opts, false);
        h = set || opts.slicesAsSets ? h ^ cur : ordered(h, cur);
      }
      return set ? finish(h) : h;
    }
    case "map": {
      let h = 0n;
      for (const [k, val] of Object.entries((v ?? {}) as Record<string, unknown>))
        h ^= ordered(visit(t.key, k, opts, false), visit(t.value, val, opts, false));
      return finish(h);
    }
    case "struct": {
      let h = hashString(t.name);
      for (const f of t.fields) {
        if (f.tag === "ignore") continue;
        const fv = fieldValue(f, v);
        if (opts.ignoreZeroValue && isZero(f.type, fv)) continue;
        let ft = f.type;
        let inner = fv;
        if (f.tag === "string") {
          inner = stringerValue(ft, fv);
          ft = { kind: "string" };
        }
        const fieldHash = ordered(hashString(f.go), visit(ft, inner, opts, f.tag === "set"));
        h = finish(h ^ fieldHash);
      }
      return h;
    }
  }
}

function stringerValue(t: GoType, v: unknown): string {
  let base = t;
  while (base.kind === "ptr") base = base.elem;
  if (base.kind === "quantity") return canonicalQuantity(isNil(v) ? "0" : String(v));
  if (base.kind === "string") return isNil(v) ? "" : String(v);
  throw new Error(`hash:"string" on a ${base.kind} that is not a fmt.Stringer`);
}

// ---- resource.Quantity.String(): Kubernetes' canonical form ----

const BIN_SUFFIX = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const DEC_SUFFIX: Record<number, string> = {
  [-9]: "n",
  [-6]: "u",
  [-3]: "m",
  0: "",
  3: "k",
  6: "M",
  9: "G",
  12: "T",
  15: "P",
  18: "E",
};
const BIN_POW: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DEC_POW: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** The canonical string Kubernetes prints for a quantity ("1024Mi" → "1Gi", "1.5Gi" → "1536Mi", "2000M" → "2G"). */
export function canonicalQuantity(q: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(q.trim());
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new Error(`invalid quantity ${JSON.stringify(q)}`);
  const neg = m[1] === "-";
  const frac = m[3] ?? "";
  // value = mant × 10^exp10 × 2^exp2
  let mant = BigInt((m[2] || "0") + frac);
  let exp10 = -frac.length;
  let exp2 = 0;
  let format: "BinarySI" | "DecimalSI" | "DecimalExponent" = "DecimalSI";
  if (m[4]) {
    exp10 += Number(m[4].slice(1));
    format = "DecimalExponent";
  } else if (m[5] && BIN_POW[m[5]] !== undefined) {
    exp2 = BIN_POW[m[5]]!;
    format = "BinarySI";
  } else {
    exp10 += DEC_POW[m[5] ?? ""]!;
  }
  if (mant === 0n) return format === "DecimalExponent" ? "0" : "0";
  mant *= 2n ** BigInt(exp2);
  // Normalise to mant × 10^exp10 with no trailing zeros in mant.
  while (mant % 10n === 0n) {
    mant /= 10n;
    exp10++;
  }
  if (format === "BinarySI") {
    const abs = exp10 >= 0 ? mant * 10n ** BigInt(exp10) : undefined;
    if (abs !== undefined && abs >= 1024n) {
      let n = abs;
      let i = 0;
      while (i < 6 && n % 1024n === 0n) {
        n /= 1024n;
        i++;
      }
      return `${neg ? "-" : ""}${n}${BIN_SUFFIX[i]}`;
    }
    format = "DecimalSI"; // below 1024 or fractional: shown as DecimalSI, as Kubernetes does
  }
  // Decimal: exponent rounded down to a multiple of 3 (suffix), mantissa integer. Kubernetes rounds sub-nano up.
  if (exp10 < -9) {
    const scale = 10n ** BigInt(-9 - exp10);
    mant = (mant + scale - 1n) / scale;
    exp10 = -9;
  }
  let e3 = Math.floor(exp10 / 3) * 3;
  if (format === "DecimalSI" && e3 > 18) e3 = 18;
  mant *= 10n ** BigInt(exp10 - e3);
  const suffix = format === "DecimalExponent" ? (e3 === 0 ? "" : `e${e3}`) : DEC_SUFFIX[e3]!;
  return `${neg ? "-" : ""}${mant}${suffix}`;
}
