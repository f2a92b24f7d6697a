// NodePool static-template hash, recorded as `karpenter.sh/nodepool-hash` on the NodePool and on every NodeClaim it
// launches. As in Karpenter, the hash covers spec.template except fields tagged hash:"ignore" (requirements, and
// the NodeClaim-only resources), treats slices as sets (taint order does not matter) and ignores zero values, so
// defaulting an empty field never drifts a fleet. Editing spec.disruption/limits/weight never changes it.
import { createHash } from "node:crypto";
import type { NodePoolLike } from "./types";

export const NODEPOOL_HASH_ANNOTATION = "karpenter.sh/nodepool-hash";
export const NODEPOOL_HASH_VERSION_ANNOTATION = "karpenter.sh/nodepool-hash-version";
export const NODEPOOL_HASH_VERSION = "v3";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Canonical form: sorted keys, zero values dropped, arrays as sorted sets of their canonical strings. */
function canonical(value: unknown): Json | undefined {
  if (value === null || value === undefined || value === "" || value === 0 || value === false) return undefined;
  if (Array.isArray(value)) {
    const items = value
      .map(canonical)
      .filter((v): v is Json => v !== undefined)
      .map((v) => JSON.stringify(v));
    if (items.length === 0) return undefined;
    return [...new Set(items)].sort().map((s) => JSON.parse(s) as Json);
  }
  if (typeof value === "object") {
    const out: { [k: string]: Json } = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = canonical((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value as Json;
}

/** The hashed projection of a NodePool: template metadata + template spec minus requirements. */
export function hashedTemplate(nodePool: NodePoolLike): Json | undefined {
  const {
    requirements: _requirements,
    resources: _resources,
    ...rest
  } = nodePool.spec.template.spec as Record<string, unknown>;
  return canonical({ metadata: nodePool.spec.template.metadata ?? {}, spec: rest });
}

/** Deterministic decimal hash string (64 bits of SHA-256) of the NodePool's static template fields. */
export function nodePoolHash(nodePool: NodePoolLike): string {
  const digest = createHash("sha256")
    .update(JSON.stringify(hashedTemplate(nodePool) ?? {}))
    .digest();
  return digest.readBigUInt64BE(0).toString(10);
}

/** Annotations the provisioner stamps on a NodeClaim (and the NodePool controller on the NodePool). */
export function nodePoolHashAnnotations(nodePool: NodePoolLike): Record<string, string> {
  return {
    [NODEPOOL_HASH_ANNOTATION]: nodePoolHash(nodePool),
    [NODEPOOL_HASH_VERSION_ANNOTATION]: NODEPOOL_HASH_VERSION,
  };
}
