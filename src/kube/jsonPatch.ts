// Minimal RFC 6902 (add/replace/remove/test) and RFC 7386 merge patch, used by the in-memory client so unit
// tests exercise the same patches the real apiserver receives.
import { JsonPatchOp, KubeError } from "./client";
import { jsonEqual } from "../apis/jsonEqual";

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function parsePointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new KubeError(422, `invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function applyJsonPatch<T>(doc: T, ops: JsonPatchOp[]): T {
  const root: Json = structuredClone(doc);
  for (const op of ops) {
    const parts = parsePointer(op.path);
    const last = parts.pop()!;
    let parent: Json = root;
    for (const p of parts) {
      parent = Array.isArray(parent) ? parent[Number(p)] : parent?.[p];
      if (parent === undefined || parent === null) throw new KubeError(422, `path ${op.path} does not exist`);
    }
    if (op.op === "test") {
      const cur = Array.isArray(parent) ? parent[Number(last)] : parent[last];
      if (!jsonEqual(cur, op.value)) throw new KubeError(422, `test failed at ${op.path}`);
    } else if (op.op === "remove") {
      if (Array.isArray(parent)) {
        const i = Number(last);
        if (!(i >= 0 && i < parent.length)) throw new KubeError(422, `path ${op.path} does not exist`);
        parent.splice(i, 1);
      } else {
        if (!(last in parent)) throw new KubeError(422, `path ${op.path} does not exist`);
        delete parent[last];
      }
    } else if (Array.isArray(parent)) {
      const i = last === "-" ? parent.length : Number(last);
      if (op.op === "add") parent.splice(i, 0, structuredClone(op.value));
      else {
        if (!(i >= 0 && i < parent.length)) throw new KubeError(422, `path ${op.path} does not exist`);
        parent[i] = structuredClone(op.value);
      }
    } else {
      if (op.op === "replace" && !(last in parent)) throw new KubeError(422, `path ${op.path} does not exist`);
      parent[last] = structuredClone(op.value);
    }
  }
  return root;
}

export function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const out: Json = target && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
