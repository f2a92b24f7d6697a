// Shared pipeline: default (as the apiserver does before admission), then schema (ajv), CEL twins, extra checks.
import { definitionFor, openAPISchemaFor, type KindName } from "../schemas";
import { celErrors } from "./celCheck";
import { applyDefaults } from "./defaults";
import { withHint } from "./hints";
import { schemaErrors } from "./schemaCheck";
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
  const errors = schemaErrors(kind, defaulted);
  const cel = celErrors(openAPISchemaFor(definitionFor(kind)), defaulted, oldDefaulted, "");
  for (const e of cel) errors.push({ ...e, message: withHint(e.message) });
  return { defaulted, errors };
}

export function result(errors: FieldError[], warnings: string[]): ValidationResult {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const k = `${e.path}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { allowed: unique.length === 0, errors: unique, warnings: [...new Set(warnings)] };
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
