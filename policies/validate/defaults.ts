// Structural defaulting as the apiserver does it: a missing property with a `default` gets a copy of it (and the
// copy is itself defaulted), only where the parent object exists.
import { definitionFor, openAPISchemaFor, type KindName } from "../schemas";
import type { Schema } from "../schemas/types";

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function fill(schema: Schema, value: unknown): void {
  if (schema.properties && isObject(value)) {
    for (const [k, sub] of Object.entries(schema.properties)) {
      if (value[k] === undefined && sub.default !== undefined) value[k] = structuredClone(sub.default);
      if (value[k] !== undefined) fill(sub, value[k]);
    }
  } else if (schema.items && Array.isArray(value)) {
    for (const x of value) fill(schema.items, x);
  } else if (typeof schema.additionalProperties === "object" && isObject(value)) {
    for (const k of Object.keys(value)) fill(schema.additionalProperties, value[k]);
  }
}

/** Returns a defaulted deep copy of `obj` (input untouched): Karpenter's CRD defaults for the kind. */
export function applyDefaults<T>(kind: KindName, obj: T): T {
  const copy = structuredClone(obj);
  fill(openAPISchemaFor(definitionFor(kind)), copy);
  return copy;
}
