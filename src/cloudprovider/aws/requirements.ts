// NodeClaim requirements evaluated against the labels an instance type + offering would give a node, with the one
// requirement model (src/apis/requirements.ts). Only keys the candidate defines, or well-known cloud keys it lacks,
// constrain it: a requirement on a custom label (e.g. team=a) is satisfied by the node's labels, not by the
// instance type.
import {
  isWellKnownLabel,
  normalizeLabelKey,
  LabelNodePool,
  LabelCapacityType,
  LabelPlacementGroupPartition,
} from "../../apis/labels";
import { Requirement as Model, RequirementError, type NodeSelectorRequirement } from "../../apis/requirements";

export type Requirement = NodeSelectorRequirement;

/**
 * Whether a label value (undefined: absent) satisfies r. A requirement the model rejects (unknown operator, bad
 * bound) is an error here: a NodeClaim carrying one cannot be launched faithfully, and the message names the fix.
 */
export function requirementAllows(r: Requirement, value: string | undefined): boolean {
  return toModel(r).allows(value);
}

// planLaunch checks the same requirement objects against every instance type and offering: parse each once.
const parsed = new WeakMap<Requirement, Model>();
function toModel(r: Requirement): Model {
  let m = parsed.get(r);
  if (!m) {
    const p = Model.parse(r, `requirement ${r.key}`);
    if (p instanceof RequirementError) throw p;
    parsed.set(r, (m = p));
  }
  return m;
}

function constrains(key: string, labels: Record<string, string>): boolean {
  if (key in labels) return true;
  return isWellKnownLabel(key) && key !== LabelNodePool;
}

export function compatible(reqs: Requirement[], labels: Record<string, string>): boolean {
  for (const r of reqs) {
    const key = normalizeLabelKey(r.key);
    if (!constrains(key, labels)) continue;
    if (!toModel(r).allows(labels[key])) return false;
  }
  return true;
}

/**
 * compatible(), for a type in a partition placement group: its placement-group-partition requirement is satisfied
 * when any of the group's partitions is allowed (Karpenter's multi-valued type requirement).
 */
export function compatibleType(reqs: Requirement[], labels: Record<string, string>, partitions?: string[]): boolean {
  if (!partitions) return compatible(reqs, labels);
  const onPartition = reqs.filter((r) => normalizeLabelKey(r.key) === LabelPlacementGroupPartition);
  if (onPartition.length === 0) return compatible(reqs, labels);
  const rest = reqs.filter((r) => !onPartition.includes(r));
  return compatible(rest, labels) && partitions.some((p) => onPartition.every((r) => requirementAllows(r, p)));
}

/** Capacity types the requirements allow, from the given universe. */
export function allowedCapacityTypes(reqs: Requirement[], universe: string[] = ["spot", "on-demand"]): string[] {
  return universe.filter((ct) =>
    reqs.filter((r) => normalizeLabelKey(r.key) === LabelCapacityType).every((r) => requirementAllows(r, ct)),
  );
}
