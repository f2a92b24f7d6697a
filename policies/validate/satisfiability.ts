// Does a NodePool's requirement set match at least one instance type with an available offering? Requirements
// are applied in order; when the candidate set becomes empty we name the requirement that emptied it and what
// the survivors just before it looked like (e.g. the largest instance-cpu value left).
import {
  LabelCapacityType,
  LabelTopologyZone,
  NormalizedLabels,
  NumericLabels,
  WellKnownLabels,
} from "../../src/apis/labels";
import { Requirement, RequirementError } from "../../src/apis/requirements";
import type { CatalogInstanceType, CatalogOffering } from "./types";

export interface Req {
  key: string;
  operator: string;
  values?: string[];
  minValues?: number;
}

const OFFERING_KEYS = new Set([LabelCapacityType, LabelTopologyZone]);

interface Candidate {
  type: CatalogInstanceType;
  offerings: CatalogOffering[];
}

function offeringValue(o: CatalogOffering, key: string): string {
  return key === LabelCapacityType ? o.capacityType : o.zone;
}

export function describeRequirement(r: Req): string {
  if (r.operator === "Exists" || r.operator === "DoesNotExist") return `${r.key} ${r.operator}`;
  return `${r.key} ${r.operator} [${(r.values ?? []).join(",")}]`;
}

/** The largest/smallest numeric values of `key` among candidates, to explain Gt/Lt eliminations. */
function rangeHint(key: string, before: Candidate[], op: string): string {
  const nums = before.map((c) => Number(c.type.labels[key])).filter((n) => Number.isFinite(n));
  if (nums.length === 0) return "";
  const short = key.replace(/^.*\//, "");
  if (op === "Gt" || op === "Gte") {
    const max = Math.max(...nums);
    const who = before.find((c) => Number(c.type.labels[key]) === max)!.type.name;
    return `; the largest ${short} among them is ${max} (${who})`;
  }
  if (op === "Lt" || op === "Lte") {
    const min = Math.min(...nums);
    const who = before.find((c) => Number(c.type.labels[key]) === min)!.type.name;
    return `; the smallest ${short} among them is ${min} (${who})`;
  }
  return "";
}

function sampleValues(key: string, before: Candidate[]): string {
  const vals = new Set<string>();
  for (const c of before) {
    if (OFFERING_KEYS.has(key)) for (const o of c.offerings) vals.add(offeringValue(o, key));
    else if (c.type.labels[key] !== undefined) vals.add(c.type.labels[key]!);
  }
  const sorted = [...vals].sort();
  if (sorted.length === 0) return `; none of them has label ${key}`;
  return `; values available for ${key}: ${sorted.slice(0, 12).join(", ")}${sorted.length > 12 ? `, … (${sorted.length} total)` : ""}`;
}

export interface SatisfiabilityResult {
  ok: boolean;
  /** Index into the requirements of the one that removed the last candidates (when !ok). */
  index?: number;
  message?: string;
  /** Instance types left at the end. */
  remaining: number;
}

/**
 * Only keys the catalog knows about constrain instance types; custom labels (team=x) are node labels Karpenter
 * applies at launch and never eliminate an instance type.
 */
/** Types with at least one available offering, computed once per catalog (admission runs this per request). */
const availableByCatalog = new WeakMap<readonly CatalogInstanceType[], Candidate[]>();
function availableCandidates(catalog: readonly CatalogInstanceType[]): Candidate[] {
  let c = availableByCatalog.get(catalog);
  if (!c) {
    c = catalog
      .map((type) => ({ type, offerings: type.offerings.filter((o) => o.available) }))
      .filter((x) => x.offerings.length > 0);
    availableByCatalog.set(catalog, c);
  }
  return c;
}

export function checkSatisfiable(reqs: readonly Req[], catalog: readonly CatalogInstanceType[]): SatisfiabilityResult {
  let cands: Candidate[] = availableCandidates(catalog);
  if (cands.length === 0)
    return { ok: false, message: "the instance-type catalog has no available offerings", remaining: 0 };
  const applied: string[] = [];
  for (let i = 0; i < reqs.length; i++) {
    const r = { ...reqs[i]!, key: NormalizedLabels[reqs[i]!.key] ?? reqs[i]!.key };
    if (!WellKnownLabels.has(r.key) || r.key === "karpenter.sh/nodepool") continue;
    // What the CRDs deny (unknown operator, bad bound) is their verdict, not a satisfiability finding.
    const m = Requirement.parse(r);
    if (m instanceof RequirementError) continue;
    const before = cands;
    if (OFFERING_KEYS.has(r.key)) {
      cands = cands
        .map((c) => ({ type: c.type, offerings: c.offerings.filter((o) => m.allows(offeringValue(o, r.key))) }))
        .filter((c) => c.offerings.length > 0);
    } else {
      cands = cands.filter((c) => m.allows(c.type.labels[r.key]));
    }
    if (cands.length === 0) {
      const prior = applied.length ? ` and ${applied.join(" and ")}` : "";
      const hint = NumericLabels.has(r.key) ? rangeHint(r.key, before, r.operator) : sampleValues(r.key, before);
      return {
        ok: false,
        index: i,
        remaining: 0,
        message: `${describeRequirement(r)}${prior} match no instance type with an available offering: it removed the last ${before.length} candidate(s)${hint}`,
      };
    }
    applied.push(describeRequirement(r));
  }
  // minValues: enough distinct values of the key must survive
  for (let i = 0; i < reqs.length; i++) {
    const r = reqs[i]!;
    if (r.minValues === undefined) continue;
    const key = NormalizedLabels[r.key] ?? r.key;
    const distinct = new Set<string>();
    for (const c of cands) {
      if (OFFERING_KEYS.has(key)) c.offerings.forEach((o) => distinct.add(offeringValue(o, key)));
      else if (c.type.labels[key] !== undefined) distinct.add(c.type.labels[key]!);
      else if (key === "node.kubernetes.io/instance-type") distinct.add(c.type.name);
    }
    if (distinct.size < r.minValues) {
      return {
        ok: false,
        index: i,
        remaining: cands.length,
        message: `minValues ${r.minValues} for ${key} cannot be met: the requirements leave only ${distinct.size} distinct value(s) (${[...distinct].sort().slice(0, 10).join(", ")}); lower minValues or widen the requirements`,
      };
    }
  }
  return { ok: true, remaining: cands.length };
}
