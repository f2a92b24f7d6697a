// NodeClaim admission: Karpenter's rules (spec immutable) plus the requirement checks NodePools get. An update that
// leaves spec unchanged (labels, annotations, finalizers: the controller removing karpenter.sh/termination, Argo CD
// or a user labelling) is admitted without re-validating the object: rules added since it was created must never
// block its finalizer removal, and Karpenter's CRD (the apiserver) still checks it.
import { baseLayers, result } from "./engine";
import { requirementErrors } from "./requirementChecks";
import type { ValidationContext, ValidationResult } from "./types";

/** Key-order independent JSON, so an unchanged spec compares equal whatever order the client wrote it in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

const specOf = (o: unknown): unknown =>
  o && typeof o === "object" && !Array.isArray(o) ? (o as { spec?: unknown }).spec : undefined;

export function validateNodeClaim(obj: unknown, ctx: ValidationContext = {}): ValidationResult {
  if (ctx.oldObject && specOf(obj) !== undefined && canonical(specOf(obj)) === canonical(specOf(ctx.oldObject)))
    return { allowed: true, errors: [], warnings: [] };
  const { defaulted, errors } = baseLayers("NodeClaim", obj, ctx.oldObject);
  const reqs = requirementErrors(defaulted.spec?.requirements, "spec.requirements");
  return result([...errors, ...reqs.errors], reqs.warnings, ctx);
}
