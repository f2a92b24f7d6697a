// NodeClaim admission: Karpenter's rules (spec immutable) plus the requirement checks NodePools get.
import { baseLayers, result } from "./engine";
import { requirementErrors } from "./requirementChecks";
import type { ValidationContext, ValidationResult } from "./types";

export function validateNodeClaim(obj: unknown, ctx: ValidationContext = {}): ValidationResult {
  const { defaulted, errors } = baseLayers("NodeClaim", obj, ctx.oldObject);
  const reqs = requirementErrors(defaulted.spec?.requirements, "spec.requirements");
  return result([...errors, ...reqs.errors], reqs.warnings, ctx);
}
