// NodePool admission: Karpenter's rules plus capsicum's checks (requirements, nodeClassRef, budgets, limits,
// satisfiability against the instance-type catalog).
import { parseQuantity } from "../../src/apis/quantity";
import { cronError } from "./cron";
import { baseLayers, result } from "./engine";
import { kubeletRefusal } from "./kubeletLabels";
import { closest } from "./paths";
import { unknownKeySuggestion, requirementErrors } from "./requirementChecks";
import { checkSatisfiable, type Req } from "./satisfiability";
import type { FieldError, ValidationContext, ValidationResult } from "./types";

export const KNOWN_NODE_CLASSES = [{ group: "karpenter.k8s.aws", kind: "EC2NodeClass" }];
/** Resource names a NodePool limit may use without a domain; extended resources (vendor.com/x) are always accepted. */
export const KNOWN_LIMIT_RESOURCES = ["cpu", "memory", "ephemeral-storage", "pods", "nodes", "storage"];

const REQS = "spec.template.spec.requirements";

function nodeClassRefChecks(ref: any, ctx: ValidationContext, errors: FieldError[], warnings: string[]): void {
  if (
    !ref ||
    typeof ref !== "object" ||
    typeof ref.group !== "string" ||
    typeof ref.kind !== "string" ||
    !ref.group ||
    !ref.kind
  )
    return;
  const known = KNOWN_NODE_CLASSES.some((k) => k.group === ref.group && k.kind === ref.kind);
  if (!known) {
    const valid = KNOWN_NODE_CLASSES.map((k) => `group: ${k.group}, kind: ${k.kind}`).join(" or ");
    errors.push({
      path: "spec.template.spec.nodeClassRef",
      message: `unknown node class ${ref.kind}.${ref.group}; valid: ${valid}`,
      source: "check",
    });
    return;
  }
  if (typeof ref.name === "string" && ref.name && ctx.nodeClassExists?.(ref) === false) {
    warnings.push(
      `spec.template.spec.nodeClassRef.name: ${ref.kind} "${ref.name}" does not exist yet; nodes will not launch until it is created`,
    );
  }
}

function budgetChecks(budgets: unknown, errors: FieldError[]): void {
  if (!Array.isArray(budgets)) return;
  budgets.forEach((b: any, i) => {
    if (b && typeof b.schedule === "string") {
      const why = cronError(b.schedule);
      if (why)
        errors.push({
          path: `spec.disruption.budgets[${i}].schedule`,
          message: `invalid cron schedule "${b.schedule}": ${why}; e.g. "0 9 * * 1-5" or @daily`,
          source: "check",
        });
    }
    if (b && Array.isArray(b.reasons) && b.reasons.length === 0) {
      errors.push({
        path: `spec.disruption.budgets[${i}].reasons`,
        message:
          "empty reasons list; omit reasons to apply the budget to all reasons, or list Underutilized, Empty, Drifted",
        source: "check",
      });
    }
  });
}

function limitChecks(limits: unknown, errors: FieldError[]): void {
  if (!limits || typeof limits !== "object") return;
  for (const [name, q] of Object.entries(limits as Record<string, unknown>)) {
    const path = `spec.limits[${name}]`;
    if (!name.includes("/") && !KNOWN_LIMIT_RESOURCES.includes(name)) {
      const near = closest(name, KNOWN_LIMIT_RESOURCES, 3);
      errors.push({
        path,
        message: `unknown resource "${name}"${near ? `; did you mean "${near}"?` : ""}; valid: ${KNOWN_LIMIT_RESOURCES.join(", ")} or an extended resource such as nvidia.com/gpu`,
        source: "check",
      });
      continue;
    }
    if (typeof q !== "string" && typeof q !== "number") continue; // schema layer reports it
    try {
      if (parseQuantity(q, path) < 0)
        errors.push({ path, message: `limit ${JSON.stringify(q)} is negative; use a quantity >= 0`, source: "check" });
    } catch {
      // unparseable quantities are reported by the schema layer (pattern), with the same hint
    }
  }
}

function labelChecks(labels: unknown, errors: FieldError[]): void {
  if (!labels || typeof labels !== "object") return;
  for (const key of Object.keys(labels as object).sort()) {
    const near = unknownKeySuggestion(key);
    if (near)
      errors.push({
        path: `spec.template.metadata.labels[${key}]`,
        message: `unknown well-known label "${key}"; did you mean "${near}"?`,
        source: "check",
      });
    const refused = kubeletRefusal(key);
    if (refused) errors.push({ path: `spec.template.metadata.labels[${key}]`, message: refused, source: "check" });
  }
}

export function validateNodePool(obj: unknown, ctx: ValidationContext = {}): ValidationResult {
  const { defaulted, errors } = baseLayers("NodePool", obj, ctx.oldObject);
  const warnings: string[] = [];
  const spec = defaulted.spec ?? {};
  const tmplSpec = spec.template?.spec ?? {};
  const reqs = requirementErrors(tmplSpec.requirements, REQS);
  errors.push(...reqs.errors);
  warnings.push(...reqs.warnings);
  nodeClassRefChecks(tmplSpec.nodeClassRef, ctx, errors, warnings);
  budgetChecks(spec.disruption?.budgets, errors);
  limitChecks(spec.limits, errors);
  labelChecks(spec.template?.metadata?.labels, errors);
  if (spec.replicas !== undefined && obj && (obj as any).spec?.disruption?.consolidationPolicy !== undefined) {
    warnings.push("spec.disruption.consolidationPolicy is ignored on static NodePools (spec.replicas is set)");
  }
  // Satisfiability only makes sense once the requirements themselves are well-formed.
  if (ctx.catalog && errors.length === 0 && Array.isArray(tmplSpec.requirements)) {
    const sat = checkSatisfiable(tmplSpec.requirements as Req[], ctx.catalog);
    if (!sat.ok) {
      errors.push({
        path: sat.index !== undefined ? `${REQS}[${sat.index}]` : REQS,
        message: sat.message!,
        source: "check",
      });
    }
  }
  return result(errors, warnings, ctx);
}
