// Runs the TypeScript twins of the schema's CEL rules (x-kubernetes-validations) over an object, as the
// apiserver would: rules at every present node, transition rules (oldSelf) only on update when the old value exists.
import type { CelRule, Schema } from "../schemas/types";
import { withHint } from "./hints";
import { childPath } from "./paths";
import type { FieldError } from "./types";

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function typeMatches(schema: Schema, v: unknown): boolean {
  switch (schema.type) {
    case "object":
      return isObject(v);
    case "array":
      return Array.isArray(v);
    case "string":
      return typeof v === "string";
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "boolean":
      return typeof v === "boolean";
    default:
      return true;
  }
}

/** For a failing list/map rule, the first element that fails the rule on its own (so the path can name it). */
function offendingChild(schema: Schema, check: (s: any, o?: any) => boolean, value: unknown, path: string): string {
  if (Array.isArray(value) && value.length > 1) {
    const bad = value.map((x, i) => (safe(() => check([x])) ? -1 : i)).filter((i) => i >= 0);
    if (bad.length > 0 && bad.length < value.length) return childPath(path, bad[0]!);
  } else if (isObject(value) && !schema.properties && Object.keys(value).length > 1) {
    const keys = Object.keys(value).sort();
    const bad = keys.filter((k) => !safe(() => check({ [k]: value[k] })));
    if (bad.length > 0 && bad.length < keys.length) return `${path}[${bad[0]}]`;
  }
  return path;
}

function safe(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

/** What the apiserver prints: the messageExpression's text, else the message (as in the CRD, with its hint). */
function messageOf(rule: CelRule, value: unknown, oldValue: unknown): string {
  if (rule.messageFor) {
    try {
      return rule.messageFor(value, oldValue);
    } catch {
      // a failing messageExpression falls back to the static message, as in the apiserver
    }
  }
  return withHint(rule.message);
}

export function celErrors(
  schema: Schema,
  value: unknown,
  oldValue: unknown,
  path: string,
  out: FieldError[] = [],
): FieldError[] {
  if (value === undefined || value === null || !typeMatches(schema, value)) return out; // schema layer reports type errors
  for (const rule of schema["x-kubernetes-validations"] ?? []) {
    const transition = rule.rule.includes("oldSelf");
    if (transition && (oldValue === undefined || oldValue === null)) continue;
    let ok: boolean;
    try {
      ok = transition ? rule.check(value, oldValue) : rule.check(value);
    } catch {
      ok = false; // CEL evaluation errors (e.g. no such key) reject the object too
    }
    if (!ok) {
      const where = transition ? path : offendingChild(schema, rule.check, value, path);
      out.push({ path: where, message: messageOf(rule, value, oldValue), source: "cel" });
    }
  }
  if (schema.properties && isObject(value)) {
    const old = isObject(oldValue) ? oldValue : undefined;
    for (const [k, sub] of Object.entries(schema.properties))
      celErrors(sub, value[k], old?.[k], childPath(path, k), out);
  } else if (schema.items && Array.isArray(value)) {
    // Lists here are atomic (no map keys), so elements have no old counterpart: transition rules do not apply.
    value.forEach((x, i) => celErrors(schema.items!, x, undefined, childPath(path, i), out));
  } else if (typeof schema.additionalProperties === "object" && isObject(value)) {
    const old = isObject(oldValue) ? oldValue : undefined;
    for (const k of Object.keys(value).sort())
      celErrors(schema.additionalProperties, value[k], old?.[k], `${path}[${k}]`, out);
  }
  return out;
}
