// NodeOverlay admission: Karpenter's rules plus requirement checks.
import { baseLayers, result } from "./engine";
import { requirementErrors } from "./requirementChecks";
import type { ValidationContext, ValidationResult } from "./types";

export function validateNodeOverlay(obj: unknown, ctx: ValidationContext = {}): ValidationResult {
  const { defaulted, errors } = baseLayers("NodeOverlay", obj, ctx.oldObject);
  const reqs = requirementErrors(defaulted.spec?.requirements, "spec.requirements");
  return result([...errors, ...reqs.errors], reqs.warnings, ctx);
}
