// What the apiserver rejects before any schema rule when a client asks for strict field validation (kubectl's
// default since 1.27): fields the structural schema does not declare, and a missing or malformed metadata.name.
// The webhook never sees either (the apiserver rejects or prunes them first); `capsicum validate` needs both to
// give the apiserver's verdict offline.
import type { Schema } from "../schemas/types";
import { childPath, closest } from "./paths";
import type { FieldError } from "./types";

const OBJECT_META = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function unknownFieldErrors(schema: Schema, value: unknown, path = "", out: FieldError[] = []): FieldError[] {
  if (schema["x-kubernetes-preserve-unknown-fields"]) return out;
  if (isObject(value) && schema.properties) {
    for (const k of Object.keys(value)) {
      const sub = schema.properties[k];
      const p = childPath(path, k);
      if (!sub) {
        if (path === "" && (k === "apiVersion" || k === "kind")) continue;
        const near = closest(k, Object.keys(schema.properties), 3);
        const fix = near
          ? `did you mean "${near}"?`
          : `remove it; fields here: ${Object.keys(schema.properties).join(", ")}`;
        out.push({ path: p, message: `unknown field "${p}"; ${fix}`, source: "schema" });
      } else if (path === "" && k === "metadata") {
        if (isObject(value[k]))
          for (const mk of Object.keys(value[k] as object))
            if (!OBJECT_META.has(mk))
              out.push({ path: `metadata.${mk}`, message: `unknown field "metadata.${mk}"`, source: "schema" });
      } else unknownFieldErrors(sub, value[k], p, out);
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((x, i) => unknownFieldErrors(schema.items!, x, childPath(path, i), out));
  } else if (isObject(value) && typeof schema.additionalProperties === "object") {
    for (const k of Object.keys(value)) unknownFieldErrors(schema.additionalProperties, value[k], `${path}[${k}]`, out);
  }
  return out;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** metadata.name as the apiserver checks it for these cluster-scoped custom resources (a DNS-1123 subdomain). */
export function nameErrors(obj: Record<string, unknown>): FieldError[] {
  const md = isObject(obj.metadata) ? obj.metadata : {};
  const name = md.name;
  if (name === undefined || name === "") {
    if (typeof md.generateName === "string" && md.generateName) return [];
    return [{ path: "metadata.name", message: "Required value: name or generateName is required", source: "schema" }];
  }
  if (typeof name !== "string")
    return [{ path: "metadata.name", message: "Invalid value: must be a string", source: "schema" }];
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    return [
      {
        path: "metadata.name",
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com'), at most 253 characters`,
        source: "schema",
      },
    ];
  return [];
}
