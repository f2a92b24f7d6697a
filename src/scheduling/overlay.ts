// NodeOverlay (karpenter.sh/v1alpha1): adjusts the price of, or adds capacity to, the instance types (per NodePool)
// matching its requirements, as Karpenter v1.14's nodeoverlay controller does:
// - overlays are evaluated highest weight first (equal weight: the name later in the alphabet first);
// - an overlay that fails runtime validation (bad price, requirements or capacity) is not applied
//   (ValidationSucceeded=False, reason RuntimeValidation);
// - an overlay that would set the price of an offering, or a capacity resource of a type, that an overlay of the
//   same weight already sets is a conflict and is not applied anywhere (reason Conflict);
// - for price the first (highest-weight) overlay of an offering wins; capacity entries merge, higher weight first.
// Matching sees the type's labels, the NodePool's template labels and its karpenter.sh/nodepool label; an offering
// matches on zone / capacity type whether or not it is available. Returns new objects; inputs are not modified.
import { LabelNodePool } from "../apis/labels";
import { parseResources, type ResourceMap } from "../apis/quantity";
import type { InstanceType, Offering } from "../cloudprovider/types";
import { isTypeKey, offeringMatches, typeIncompatibility } from "./instancetypes";
import { Requirements } from "../apis/requirements";
import type { NodeOverlay } from "./types";

type PriceFn = (price: number) => number;

interface Parsed {
  overlay: NodeOverlay;
  name: string;
  weight: number;
  reqs: Requirements;
  capacity: ResourceMap;
  price?: PriceFn;
}

export interface OverlayPool {
  name: string;
  /** The NodePool template's metadata.labels. */
  labels?: Record<string, string>;
  types: InstanceType[];
}

export interface OverlayVerdict {
  name: string;
  /** True when the overlay is applied wherever it matches. */
  valid: boolean;
  reason?: "RuntimeValidation" | "Conflict";
  message?: string;
}

function priceFn(o: NodeOverlay): PriceFn | undefined {
  const { price: abs, priceAdjustment: adj } = o.spec;
  const name = o.metadata.name;
  if (abs !== undefined && abs !== null) {
    const v = Number(abs);
    if (String(abs).trim() === "" || !Number.isFinite(v) || v < 0)
      throw new Error(`NodeOverlay ${name}: spec.price "${abs}" must be a non-negative number of $/h, e.g. "0.25"`);
    return () => v;
  }
  if (adj === undefined || adj === null) return undefined;
  const m = /^([+-]?)([0-9]*\.?[0-9]+)(%?)$/.exec(String(adj).trim());
  if (!m) throw new Error(`NodeOverlay ${name}: spec.priceAdjustment "${adj}" must look like "+10%", "-5%" or "-0.02"`);
  const sign = m[1] === "-" ? -1 : 1;
  const n = Number(m[2]);
  return (p) => Math.max(0, m[3] ? p * (1 + (sign * n) / 100) : p + sign * n);
}

function parse(o: NodeOverlay): Parsed {
  const name = o.metadata.name ?? "";
  return {
    overlay: o,
    name,
    weight: o.spec.weight ?? 0,
    reqs: Requirements.fromNodeSelector(o.spec.requirements, `NodeOverlay ${name} spec.requirements`),
    capacity: parseResources(o.spec.capacity, `NodeOverlay ${name} spec.capacity`),
    price: priceFn(o),
  };
}

/** Karpenter's OrderByWeight: larger weight first; equal weight, the name later in the alphabet first. */
function byWeight(a: Parsed, b: Parsed): number {
  return b.weight - a.weight || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

/** Does the overlay select this type of this pool (type labels, pool labels, nodepool name)? */
function selects(p: Parsed, pool: OverlayPool, it: InstanceType): boolean {
  const poolLabels: Record<string, string> = { ...(pool.labels ?? {}), [LabelNodePool]: pool.name };
  for (const r of p.reqs.values()) {
    if (isTypeKey(r.key)) continue; // checked by typeIncompatibility below
    const v = poolLabels[r.key];
    if (v !== undefined && !r.has(v)) return false;
  }
  const anyOffering = { ...it, offerings: it.offerings.map((o) => ({ ...o, available: true })) };
  return typeIncompatibility(anyOffering, p.reqs) === undefined;
}

const offeringKey = (o: Offering): string => `${o.zone}|${o.capacityType}`;
const matchingOfferings = (p: Parsed, it: InstanceType): Offering[] =>
  it.offerings.filter((o) => offeringMatches({ ...o, available: true }, p.reqs));

/** Per pool → type: which overlay prices each offering, and which overlays add capacity (in weight order). */
interface TypeUpdate {
  price: Map<string, Parsed>;
  capacity: Parsed[];
}

export class OverlayEvaluation {
  private readonly updates = new Map<string, Map<string, TypeUpdate>>();
  private readonly cache = new WeakMap<InstanceType[], { pool: string; labels: string; out: InstanceType[] }>();
  readonly verdicts: OverlayVerdict[] = [];

  constructor(overlays: NodeOverlay[], pools: OverlayPool[]) {
    const parsed: Parsed[] = [];
    for (const o of overlays) {
      try {
        parsed.push(parse(o));
      } catch (e) {
        this.verdicts.push({
          name: o.metadata.name ?? "",
          valid: false,
          reason: "RuntimeValidation",
          message: (e as Error).message,
        });
      }
    }
    parsed.sort(byWeight);
    for (const p of parsed) {
      if (this.conflicts(p, pools)) {
        this.verdicts.push({
          name: p.name,
          valid: false,
          reason: "Conflict",
          message: `conflict with another overlay of weight ${p.weight} setting the same offering price or capacity resource`,
        });
        continue;
      }
      this.store(p, pools);
      this.verdicts.push({ name: p.name, valid: true });
    }
    this.verdicts.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  private typeUpdate(pool: string, type: string, create: boolean): TypeUpdate | undefined {
    let byType = this.updates.get(pool);
    if (!byType) {
      if (!create) return undefined;
      this.updates.set(pool, (byType = new Map()));
    }
    let u = byType.get(type);
    if (!u && create) byType.set(type, (u = { price: new Map(), capacity: [] }));
    return u;
  }

  private conflicts(p: Parsed, pools: OverlayPool[]): boolean {
    const capKeys = Object.keys(p.capacity);
    for (const pool of pools)
      for (const it of pool.types) {
        if (!selects(p, pool, it)) continue;
        const u = this.typeUpdate(pool.name, it.name, false);
        if (!u) continue;
        if (p.price)
          for (const o of matchingOfferings(p, it)) if (u.price.get(offeringKey(o))?.weight === p.weight) return true;
        if (capKeys.length) {
          const last = u.capacity[u.capacity.length - 1];
          if (last && last.weight === p.weight && capKeys.some((k) => k in last.capacity)) return true;
        }
      }
    return false;
  }

  private store(p: Parsed, pools: OverlayPool[]): void {
    const hasCap = Object.keys(p.capacity).length > 0;
    if (!p.price && !hasCap) return;
    for (const pool of pools)
      for (const it of pool.types) {
        if (!selects(p, pool, it)) continue;
        const offs = p.price ? matchingOfferings(p, it) : [];
        if (offs.length === 0 && !hasCap) continue;
        const u = this.typeUpdate(pool.name, it.name, true)!;
        for (const o of offs) if (!u.price.has(offeringKey(o))) u.price.set(offeringKey(o), p);
        if (hasCap) u.capacity.push(p);
      }
  }

  /**
   * The capacity the valid overlays add to one type of one pool, as the overlays wrote it (quantities), higher
   * weight first; undefined when none does. A launched NodeClaim reports it, as Karpenter's overlaid instance type.
   */
  capacityFor(pool: string, type: string): Record<string, string> | undefined {
    const u = this.updates.get(pool)?.get(type);
    if (!u || u.capacity.length === 0) return undefined;
    const out: Record<string, string> = {};
    for (const p of u.capacity)
      for (const [k, v] of Object.entries(p.overlay.spec.capacity ?? {})) if (!(k in out)) out[k] = String(v);
    return out;
  }

  /** Whether any valid overlay adjusts anything in this pool. */
  touches(pool: string): boolean {
    return (this.updates.get(pool)?.size ?? 0) > 0;
  }

  /**
   * The pool's catalog with the overlays applied (the same array when nothing applies). Cached per input array, so
   * repeated calls with an unchanged catalog return the same array (the scheduler caches derived lists by identity).
   */
  apply(pool: { name: string; labels?: Record<string, string> }, types: InstanceType[]): InstanceType[] {
    const byType = this.updates.get(pool.name);
    if (!byType || byType.size === 0) return types;
    const labels = JSON.stringify(pool.labels ?? {});
    const hit = this.cache.get(types);
    if (hit && hit.pool === pool.name && hit.labels === labels) return hit.out;
    const out = types.map((it) => {
      const u = byType.get(it.name);
      if (!u) return it;
      const capacity = { ...it.capacity };
      const allocatable = { ...it.allocatable };
      const done = new Set<string>();
      for (const p of u.capacity)
        for (const [k, v] of Object.entries(p.capacity)) {
          if (done.has(k)) continue;
          done.add(k);
          capacity[k] = v;
          allocatable[k] = v;
        }
      const offerings = it.offerings.map((o) => {
        const p = u.price.get(offeringKey(o));
        return p?.price ? { ...o, price: p.price(o.price) } : o;
      });
      return { ...it, capacity, allocatable, offerings };
    });
    this.cache.set(types, { pool: pool.name, labels, out });
    return out;
  }
}

/**
 * One catalog's overlaid copy, for callers without NodePools (the catalog is its own pool, no pool labels).
 * Throws on an invalid overlay, naming the field (offline tools report it; the controller uses OverlayEvaluation).
 */
export function applyOverlays(
  types: InstanceType[],
  overlays: NodeOverlay[] | undefined,
  pool: { name: string; labels?: Record<string, string> } = { name: "" },
): InstanceType[] {
  if (!overlays || overlays.length === 0) return types;
  const ev = new OverlayEvaluation(overlays, [{ ...pool, types }]);
  const bad = ev.verdicts.find((v) => v.reason === "RuntimeValidation");
  if (bad) throw new Error(bad.message);
  return ev.apply(pool, types);
}
