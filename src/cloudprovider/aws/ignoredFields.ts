// EC2NodeClass fields capsicum accepts (Karpenter's CRD admits them) but does not honour in full. Never silent:
// each one set is named in the capsicum condition FieldsSupported=False (reason FieldNotHonoured; Ready is not
// affected, the rest of the class launches as Karpenter would).
import type { EC2NodeClassLike } from "./nodeClass";

export const FIELDS_CONDITION = "FieldsSupported";
export const FIELD_NOT_HONOURED_REASON = "FieldNotHonoured";

/** "spec.<field>: what is not done" for every field set on the class that capsicum does not fully honour. */
export function ignoredFields(spec: EC2NodeClassLike["spec"]): string[] {
  const out: string[] = [];
  const pg = spec.placementGroupSelector;
  if (pg?.id || pg?.name)
    out.push(
      "spec.placementGroupSelector: launches are placed in the group, but it is not resolved through " +
        "DescribePlacementGroups (no PlacementGroupReady condition, no partition choice or placement-group labels)",
    );
  if (spec.cpuOptions?.nestedVirtualization === "enabled")
    out.push(
      "spec.cpuOptions.nestedVirtualization: the launch template enables it, but instance types are not filtered " +
        "to those that support nested virtualization",
    );
  return out;
}

/** The FieldsSupported condition part (informational: Ready does not depend on it). */
export function fieldsCondition(spec: EC2NodeClassLike["spec"]): {
  type: string;
  ok: boolean;
  reason: string;
  message: string;
} {
  const fields = ignoredFields(spec);
  return fields.length
    ? { type: FIELDS_CONDITION, ok: false, reason: FIELD_NOT_HONOURED_REASON, message: fields.join("; ") }
    : { type: FIELDS_CONDITION, ok: true, reason: FIELDS_CONDITION, message: "" };
}
