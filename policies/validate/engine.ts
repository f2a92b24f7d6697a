// Shared pipeline: default (as the apiserver does before admission), then schema (ajv), CEL twins, extra checks.
import { definitionFor, openAPISchemaFor, type KindName } from "../schemas";
import { celErrors } from "./celCheck";
import { applyDefaults } from "./defaults";
import { schemaErrors } from "./schemaCheck";
import { nameErrors, unknownFieldErrors } from "./unknownFields";
import type { FieldError, ValidationResult } from "./types";

export interface Layered {
  defaulted: any;
  errors: FieldError[];
}

/** Schema + CEL layers for any kind. The object is defaulted first, like the apiserver does before webhooks run. */
export function baseLayers(kind: KindName, obj: unknown, oldObject: unknown): Layered {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    return { defaulted: {}, errors: [{ path: "", message: `expected a ${kind} object`, source: "schema" }] };
  }
  const defaulted = applyDefaults(kind, obj);
  const oldDefaulted = oldObject && typeof oldObject === "object" ? applyDefaults(kind, oldObject) : undefined;
  const errors = [
    ...nameErrors(obj as Record<string, unknown>),
    ...unknownFieldErrors(openAPISchemaFor(definitionFor(kind)), obj),
    ...schemaErrors(kind, defaulted),
  ];
  const cel = celErrors(openAPISchemaFor(definitionFor(kind)), defaulted, oldDefaulted, "");
  errors.push(...cel);
  return { defaulted, errors };
}

/**
 * The admission policy in one place. Schema and CEL errors (exactly what Karpenter's CRDs reject) deny. Everything
 * only capsicum knows (source "check", and the warnings) is a finding: a warning by default, so valid Karpenter YAML
 * is never blocked; in strict mode (ADMISSION_MODE=strict, `capsicum validate --strict`) findings deny too.
 */
export function result(
  errors: FieldError[],
  warnings: string[],
  ctx: { strict?: boolean; checksDeny?: boolean } = {},
): ValidationResult {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const k = `${e.path}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  // v1alpha5: Karpenter itself validated those kinds in its webhook, so its webhook's checks keep denying.
  if (ctx.checksDeny) return { allowed: unique.length === 0, errors: unique, warnings: [...new Set(warnings)] };
  const denials = unique.filter((e) => e.source !== "check");
  const checkFindings = unique.filter((e) => e.source === "check");
  const warned = [...new Set([...checkFindings.map(formatOne), ...warnings])];
  const findings: FieldError[] = [
    ...checkFindings,
    ...warnings.filter((w) => !warnedAlready(w, checkFindings)).map(parseWarning),
  ];
  if (ctx.strict) {
    const all = [...denials, ...findings];
    return { allowed: all.length === 0, errors: all, warnings: [], findings };
  }
  return { allowed: denials.length === 0, errors: denials, warnings: warned, findings };
}

const formatOne = (e: FieldError): string => (e.path ? `${e.path}: ${e.message}` : e.message);
const warnedAlready = (w: string, fs: FieldError[]): boolean => fs.some((f) => formatOne(f) === w);

/** Warnings are kubectl-style strings `path: message`; split them back for structured output. */
export function parseWarning(w: string): FieldError {
  const m = /^((?:spec|metadata|status)(?:[.[][^\s:]*)?): (.*)$/s.exec(w);
  return m ? { path: m[1]!, message: m[2]!, source: "check" } : { path: "", message: w, source: "check" };
}

/**
 * One kubectl-readable string. A single error prints as `path: message`; several are numbered
 * (`2 errors: (1) path: message (2) path: message`) because messages themselves may contain "; ".
 */
export function formatDenial(errors: readonly FieldError[]): string {
  const line = (e: FieldError) => (e.path ? `${e.path}: ${e.message}` : e.message);
  if (errors.length === 1) return line(errors[0]!);
  return `${errors.length} errors: ` + errors.map((e, i) => `(${i + 1}) ${line(e)}`).join(" ");
}
