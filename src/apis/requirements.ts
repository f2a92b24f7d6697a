// The one requirement model (Karpenter's pkg/scheduling requirement set algebra), used by scheduling, the AWS
// launch path, drift detection and admission. Karpenter's requirement set algebra. A Requirement is a (possibly complemented) value set with optional integer
// bounds: In = {v...}, NotIn = complement{v...}, Exists = complement{}, DoesNotExist = {}, Gt/Lt = complement{} with
// bounds (Gte n == Gt n-1, Lte n == Lt n+1). Requirements is a map key -> Requirement; adding intersects.
import { isWellKnownLabel, normalizeLabelKey, WellKnownLabels } from "./labels";

export type Operator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" | "Gte" | "Lte";
export const OPERATORS: readonly Operator[] = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"];
export interface NodeSelectorRequirement {
  key: string;
  operator: Operator | string;
  values?: string[];
  minValues?: number;
}

export class RequirementError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "RequirementError";
  }
}

function parseIntStrict(v: string): number | undefined {
  return /^-?[0-9]+$/.test(v) ? Number(v) : undefined;
}

export class Requirement {
  constructor(
    readonly key: string,
    readonly complement: boolean,
    readonly values: ReadonlySet<string>,
    readonly greaterThan?: number,
    readonly lessThan?: number,
    readonly minValues?: number,
  ) {}

  /**
   * The requirement, or why it is not one: an unknown operator, In without values, or Gt/Lt/Gte/Lte without exactly
   * one integer value. Karpenter's CRDs deny all three, so they reach the engine only from unvalidated input; each
   * caller decides explicitly what such a requirement means there (`from` throws).
   */
  static parse(r: NodeSelectorRequirement, field = "requirement"): Requirement | RequirementError {
    try {
      return Requirement.from(r, field);
    } catch (e) {
      if (e instanceof RequirementError) return e;
      throw e;
    }
  }

  static from(r: NodeSelectorRequirement, field = "requirement"): Requirement {
    const key = normalizeLabelKey(r.key);
    const values = r.values ?? [];
    const bound = (): number => {
      const n = values.length === 1 ? parseIntStrict(values[0]!) : undefined;
      if (n === undefined)
        throw new RequirementError(
          `${field}.values`,
          `operator ${r.operator} on "${r.key}" needs exactly one integer value, e.g. values: ["2"]`,
        );
      return n;
    };
    switch (r.operator) {
      case "In":
        if (values.length === 0)
          throw new RequirementError(
            `${field}.values`,
            `operator In on "${r.key}" needs at least one value (use Exists to allow any value)`,
          );
        return new Requirement(key, false, new Set(values), undefined, undefined, r.minValues);
      case "NotIn":
        return new Requirement(key, true, new Set(values), undefined, undefined, r.minValues);
      case "Exists":
        return new Requirement(key, true, new Set(), undefined, undefined, r.minValues);
      case "DoesNotExist":
        return new Requirement(key, false, new Set());
      case "Gt":
        return new Requirement(key, true, new Set(), bound(), undefined, r.minValues);
      case "Gte":
        return new Requirement(key, true, new Set(), bound() - 1, undefined, r.minValues);
      case "Lt":
        return new Requirement(key, true, new Set(), undefined, bound(), r.minValues);
      case "Lte":
        return new Requirement(key, true, new Set(), undefined, bound() + 1, r.minValues);
      default:
        throw new RequirementError(
          `${field}.operator`,
          `unknown operator "${r.operator}" on "${r.key}"; use one of In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte, Lte`,
        );
    }
  }

  static in(key: string, ...values: string[]): Requirement {
    return new Requirement(normalizeLabelKey(key), false, new Set(values));
  }
  static exists(key: string): Requirement {
    return new Requirement(normalizeLabelKey(key), true, new Set());
  }
  static doesNotExist(key: string): Requirement {
    return new Requirement(normalizeLabelKey(key), false, new Set());
  }

  private withinBounds(v: string): boolean {
    if (this.greaterThan === undefined && this.lessThan === undefined) return true;
    const n = parseIntStrict(v);
    if (n === undefined) return false;
    return (
      (this.greaterThan === undefined || n > this.greaterThan) && (this.lessThan === undefined || n < this.lessThan)
    );
  }

  /** Whether a node whose label has value v satisfies this requirement. */
  has(v: string): boolean {
    return (this.complement ? !this.values.has(v) : this.values.has(v)) && this.withinBounds(v);
  }

  /**
   * Whether a node whose label is `v` (undefined: the node has no such label) satisfies this requirement, as
   * Karpenter's Compatible/StrictlyCompatible on a label set: an absent label satisfies only NotIn and
   * DoesNotExist; bounded operators need an integer value.
   */
  allows(v: string | undefined): boolean {
    return v === undefined ? this.allowsAbsent() : this.has(v);
  }

  /** Whether a node WITHOUT this label satisfies it (NotIn and DoesNotExist do). */
  allowsAbsent(): boolean {
    const op = this.operator();
    return op === "NotIn" || op === "DoesNotExist";
  }

  /** Number of allowed values; complements are effectively unbounded. */
  len(): number {
    return this.complement ? Number.MAX_SAFE_INTEGER : this.values.size;
  }

  isEmpty(): boolean {
    return !this.complement && this.values.size === 0;
  }

  operator(): Operator {
    if (this.complement) {
      if (this.greaterThan !== undefined) return "Gt";
      if (this.lessThan !== undefined) return "Lt";
      return this.values.size > 0 ? "NotIn" : "Exists";
    }
    return this.values.size > 0 ? "In" : "DoesNotExist";
  }

  intersect(o: Requirement): Requirement {
    const gt = maxDef(this.greaterThan, o.greaterThan);
    const lt = minDef(this.lessThan, o.lessThan);
    const minValues = maxDef(this.minValues, o.minValues);
    let complement: boolean;
    let values: Set<string>;
    if (this.complement && o.complement) {
      complement = true;
      values = new Set([...this.values, ...o.values]);
    } else if (this.complement) {
      complement = false;
      values = new Set([...o.values].filter((v) => !this.values.has(v)));
    } else if (o.complement) {
      complement = false;
      values = new Set([...this.values].filter((v) => !o.values.has(v)));
    } else {
      complement = false;
      values = new Set([...this.values].filter((v) => o.values.has(v)));
    }
    if (gt !== undefined && lt !== undefined && lt - gt <= 1) {
      complement = false;
      values = new Set();
    }
    const r = new Requirement(this.key, complement, values, gt, lt, minValues);
    if (!complement && (gt !== undefined || lt !== undefined)) {
      return new Requirement(this.key, false, new Set([...values].filter((v) => r.withinBounds(v))), gt, lt, minValues);
    }
    return r;
  }

  /** A value this requirement allows (deterministic), or undefined when it allows none (DoesNotExist, empty). */
  any(): string | undefined {
    if (!this.complement) return this.sortedValues().find((v) => this.withinBounds(v));
    const lo = Math.max(0, this.greaterThan === undefined ? 0 : this.greaterThan + 1);
    const hi = this.lessThan ?? Number.MAX_SAFE_INTEGER;
    for (let n = lo; n < hi && n < lo + this.values.size + 1; n++) if (!this.values.has(String(n))) return String(n);
    return undefined;
  }

  /** Sorted allowed values (only meaningful for non-complement sets). */
  sortedValues(): string[] {
    return [...this.values].sort();
  }

  toNodeSelector(): NodeSelectorRequirement {
    const op = this.operator();
    const out: NodeSelectorRequirement = { key: this.key, operator: op };
    if (op === "Gt") out.values = [String(this.greaterThan)];
    else if (op === "Lt") out.values = [String(this.lessThan)];
    else if (op !== "Exists" && op !== "DoesNotExist") out.values = this.sortedValues();
    if (this.minValues !== undefined) out.minValues = this.minValues;
    return out;
  }

  toString(): string {
    const op = this.operator();
    if (op === "Gt")
      return `${this.key} Gt ${this.greaterThan}${this.lessThan !== undefined ? ` Lt ${this.lessThan}` : ""}`;
    if (op === "Lt") return `${this.key} Lt ${this.lessThan}`;
    if (op === "Exists" || op === "DoesNotExist") return `${this.key} ${op}`;
    return `${this.key} ${op} [${this.sortedValues().join(",")}]`;
  }
}

function maxDef(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
function minDef(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

export class Requirements {
  private readonly map = new Map<string, Requirement>();

  constructor(reqs: Iterable<Requirement> = []) {
    for (const r of reqs) this.add(r);
  }

  static fromNodeSelector(reqs: NodeSelectorRequirement[] | undefined, field = "requirements"): Requirements {
    return new Requirements((reqs ?? []).map((r, i) => Requirement.from(r, `${field}[${i}]`)));
  }

  static fromLabels(labels: Record<string, string> | undefined): Requirements {
    return new Requirements(Object.entries(labels ?? {}).map(([k, v]) => Requirement.in(k, v)));
  }

  clone(): Requirements {
    const r = new Requirements();
    for (const [k, v] of this.map) r.map.set(k, v);
    return r;
  }

  /** Intersects r into this set (in place). */
  add(r: Requirement): this {
    const cur = this.map.get(r.key);
    this.map.set(r.key, cur ? cur.intersect(r) : r);
    return this;
  }

  /**
   * Lowers a requirement's minValues to `n` (in place): BestEffort's relaxation. `add` cannot, as intersecting
   * keeps the larger minValues.
   */
  relaxMinValues(key: string, n: number): this {
    const r = this.get(key);
    if (r) this.map.set(r.key, new Requirement(r.key, r.complement, r.values, r.greaterThan, r.lessThan, n));
    return this;
  }

  addAll(rs: Requirements): this {
    for (const r of rs.values()) this.add(r);
    return this;
  }

  get(key: string): Requirement | undefined {
    return this.map.get(key) ?? this.map.get(normalizeLabelKey(key));
  }
  has(key: string): boolean {
    return this.map.has(normalizeLabelKey(key));
  }
  keys(): string[] {
    return [...this.map.keys()];
  }
  values(): Requirement[] {
    return [...this.map.values()];
  }
  get size(): number {
    return this.map.size;
  }

  /**
   * Why `incoming` cannot be satisfied together with this set, or undefined when compatible.
   * Custom (not well-known) keys the incoming set requires must be defined here; well-known keys may be undefined
   * (the cloud supplies their values). Common keys must intersect, except NotIn/DoesNotExist on both sides.
   */
  compatible(incoming: Requirements, allowUndefined: ReadonlySet<string> = WellKnownLabels): string | undefined {
    for (const r of incoming.values()) {
      if (this.map.has(r.key)) continue;
      if (r.allowsAbsent() || allowUndefined.has(r.key)) continue;
      return `label "${r.key}" does not have known values (no NodePool defines it in requirements or template labels)`;
    }
    return this.intersects(incoming);
  }

  /** Common keys must have overlapping values. */
  intersects(incoming: Requirements): string | undefined {
    for (const r of incoming.values()) {
      const e = this.map.get(r.key);
      if (!e) continue;
      if (e.intersect(r).isEmpty()) {
        if (r.allowsAbsent() && e.allowsAbsent()) continue;
        return `incompatible requirements, key ${r.key}, ${r} not in ${e}`;
      }
    }
    return undefined;
  }

  /** Whether a concrete label set satisfies every requirement. Returns a reason or undefined. */
  matchLabels(labels: Record<string, string>): string | undefined {
    for (const r of this.map.values()) {
      const v = labels[r.key];
      if (!r.allows(v)) return `node label ${r.key}=${v ?? "<absent>"} does not satisfy ${r}`;
    }
    return undefined;
  }

  /**
   * The custom labels a NodeClaim created from these requirements carries, as Karpenter's Requirements.Labels():
   * every key the cloud does not supply (not well-known, not in a kubernetes.io/k8s.io/karpenter domain) that the
   * set allows a value for gets one (In: the first value; Exists/NotIn/Gt/Lt: the smallest allowed non-negative
   * integer, where Karpenter picks a random one). Without them a node could never satisfy `team Exists`, and drift
   * would roll it forever. Computed at creation, after scheduling, so an in-flight claim is not narrowed early.
   */
  customLabels(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.map.values()) {
      if (isWellKnownLabel(r.key) || /(^|\.)(kubernetes\.io|k8s\.io|karpenter\.sh|karpenter\.k8s\.aws)\//.test(r.key))
        continue;
      const v = r.any();
      if (v !== undefined) out[r.key] = v;
    }
    return out;
  }

  /** Labels implied by single-valued In requirements (what a launched node will carry for sure). */
  singleValueLabels(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.map.values()) if (!r.complement && r.values.size === 1) out[r.key] = [...r.values][0]!;
    return out;
  }

  toNodeSelector(): NodeSelectorRequirement[] {
    return [...this.map.values()]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((r) => r.toNodeSelector());
  }

  toString(): string {
    return this.values().map(String).sort().join(", ");
  }
}
