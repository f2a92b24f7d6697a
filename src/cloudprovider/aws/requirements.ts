// NodeClaim requirements evaluated against the labels an instance type + offering would give a node.
// Only keys the candidate defines, or well-known cloud keys it lacks, constrain it: a requirement on a custom
// label (e.g. team=a) is satisfied by the node's labels, not by the instance type.
import { isWellKnownLabel, normalizeLabelKey, LabelNodePool, LabelCapacityType } from "../../apis/labels";

export interface Requirement {
  key: string;
  operator: string;
  values?: string[];
  minValues?: number;
}

function numeric(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

export function requirementAllows(r: Requirement, value: string | undefined): boolean {
  const vals = r.values ?? [];
  switch (r.operator) {
    case "In":
      return value !== undefined && vals.includes(value);
    case "NotIn":
      return value === undefined || !vals.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt":
    case "Gte":
    case "Lte": {
      const v = numeric(value),
        bound = numeric(vals[0]);
      if (v === undefined || bound === undefined) return false;
      return r.operator === "Gt"
        ? v > bound
        : r.operator === "Lt"
          ? v < bound
          : r.operator === "Gte"
            ? v >= bound
            : v <= bound;
    }
    default:
      throw new Error(
        `requirement ${r.key}: unknown operator "${r.operator}" (use In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte or Lte)`,
      );
  }
}

function constrains(key: string, labels: Record<string, string>): boolean {
  if (key in labels) return true;
  return isWellKnownLabel(key) && key !== LabelNodePool;
}

export function compatible(reqs: Requirement[], labels: Record<string, string>): boolean {
  for (const r of reqs) {
    const key = normalizeLabelKey(r.key);
    if (!constrains(key, labels)) continue;
    if (!requirementAllows(r, labels[key])) return false;
  }
  return true;
}

/** Capacity types the requirements allow, from the given universe. */
export function allowedCapacityTypes(reqs: Requirement[], universe: string[] = ["spot", "on-demand"]): string[] {
  return universe.filter((ct) =>
    reqs.filter((r) => normalizeLabelKey(r.key) === LabelCapacityType).every((r) => requirementAllows(r, ct)),
  );
}
