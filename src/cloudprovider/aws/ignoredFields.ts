// EC2NodeClass fields capsicum accepts (Karpenter's CRD admits them) but does not honour in full. Never silent:
// each one set is named in the capsicum condition FieldsSupported=False (reason FieldNotHonoured; Ready is not
// affected, the rest of the class launches as Karpenter would).
import type { EC2NodeClassLike } from "./nodeClass";

export const FIELDS_CONDITION = "FieldsSupported";
export const FIELD_NOT_HONOURED_REASON = "FieldNotHonoured";

/** "spec.<field>: what is not done" for every field set on the class that capsicum does not fully honour. */
export function ignoredFields(spec: EC2NodeClassLike["spec"]): string[] {
  // placementGroupSelector and cpuOptions.nestedVirtualization are honoured as Karpenter v1.14 does
  // (placementGroups.ts, compatibility.ts); a field accepted but not honoured in future is listed here.
  void spec;
  return [];
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
