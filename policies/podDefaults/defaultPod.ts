// Pure pod defaulting: fills what the pod leaves open, never overrides, idempotent (a second pass finds nothing to do).
import { ALWAYS_SKIPPED_NAMESPACES, DEFAULTED_ANNOTATION, appliesTo, type PodDefaultsPolicy } from "./policy";

export interface PodLike {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: {
    nodeSelector?: Record<string, string>;
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          nodeSelectorTerms?: Array<{
            matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
            matchFields?: unknown[];
          }>;
        };
      } & Record<string, unknown>;
    } & Record<string, unknown>;
    containers?: Array<
      {
        name: string;
        resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
      } & Record<string, unknown>
    >;
  } & Record<string, unknown>;
}

export interface DefaultPodResult<P> {
  patchedPod: P;
  changes: string[];
}

/** Keys the pod already constrains: nodeSelector keys and keys in ANY required node-affinity term. */
export function constrainedKeys(pod: PodLike): Set<string> {
  const keys = new Set(Object.keys(pod.spec?.nodeSelector ?? {}));
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) for (const e of t.matchExpressions ?? []) keys.add(e.key);
  return keys;
}

export function defaultPod<P extends PodLike>(
  pod: P,
  policy: PodDefaultsPolicy,
  moduleNamespace = "pepr-system",
): DefaultPodResult<P> {
  const ns = pod.metadata?.namespace ?? "default";
  if (ns === moduleNamespace || ALWAYS_SKIPPED_NAMESPACES.includes(ns) || !appliesTo(policy, ns)) {
    return { patchedPod: pod, changes: [] };
  }
  const out = structuredClone(pod);
  const spec = (out.spec ??= {} as NonNullable<P["spec"]>);
  const changes: string[] = [];

  for (const c of spec.containers ?? []) {
    for (const res of ["cpu", "memory"] as const) {
      const want = policy.requests[res];
      if (!want) continue;
      // a limit without a request makes the apiserver copy the limit into the request: leave it alone
      if (c.resources?.requests?.[res] !== undefined || c.resources?.limits?.[res] !== undefined) continue;
      c.resources ??= {};
      c.resources.requests ??= {};
      c.resources.requests[res] = want;
      changes.push(`containers[${c.name}].resources.requests.${res}=${want}`);
    }
  }

  const taken = constrainedKeys(out);
  for (const r of policy.nodeRequirements) {
    if (taken.has(r.key)) continue;
    const expr = r.values
      ? { key: r.key, operator: r.operator, values: [...r.values] }
      : { key: r.key, operator: r.operator };
    spec.affinity ??= {};
    spec.affinity.nodeAffinity ??= {};
    const req = (spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution ??= {});
    const terms = (req.nodeSelectorTerms ??= []);
    // Terms are ORed: the default must hold in every term, so append it to each (or create the only one).
    if (terms.length === 0) terms.push({ matchExpressions: [] });
    for (const t of terms) (t.matchExpressions ??= []).push(structuredClone(expr));
    taken.add(r.key);
    changes.push(`nodeAffinity.${r.key} ${r.operator}${r.values ? ` [${r.values.join(",")}]` : ""}`);
  }

  if (changes.length === 0) return { patchedPod: pod, changes };
  out.metadata ??= {};
  out.metadata.annotations ??= {};
  const previous = out.metadata.annotations[DEFAULTED_ANNOTATION];
  out.metadata.annotations[DEFAULTED_ANNOTATION] = previous ? `${previous}; ${changes.join("; ")}` : changes.join("; ");
  return { patchedPod: out, changes };
}
