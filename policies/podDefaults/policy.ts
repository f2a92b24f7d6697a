// The pod-defaulting policy: a ConfigMap named `capsicum-pod-defaults` (in the pod's namespace, or cluster-wide
// in the module namespace). See policies/README.md for the format.
import YAML from "yaml";
import { parseQuantity } from "../../src/apis/quantity";

export const POLICY_CONFIGMAP_NAME = "capsicum-pod-defaults";
export const DEFAULTED_ANNOTATION = "capsicum.dev/defaulted";
/** Namespaces never defaulted, whatever the policy says. */
export const ALWAYS_SKIPPED_NAMESPACES = ["kube-system"];

export interface NodeRequirementDefault {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface PodDefaultsPolicy {
  /** Namespaces the policy applies to; ["*"] = all (minus excluded). */
  namespaces: string[];
  excludeNamespaces: string[];
  /** Requests to set on containers that have none for that resource (and no limit the apiserver would copy). */
  requests: { cpu?: string; memory?: string };
  nodeRequirements: NodeRequirementDefault[];
}

export class PolicyError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${POLICY_CONFIGMAP_NAME} ${field}: ${message}`);
    this.name = "PolicyError";
  }
}

const list = (s: string | undefined): string[] =>
  (s ?? "")
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** Parses the ConfigMap `data`; throws PolicyError naming the key and the fix. */
export function parsePodDefaultsConfigMap(
  data: Record<string, string> | undefined,
  moduleNamespace = "pepr-system",
): PodDefaultsPolicy {
  const d = data ?? {};
  const requests: PodDefaultsPolicy["requests"] = {};
  for (const [key, res] of [
    ["defaultCpuRequest", "cpu"],
    ["defaultMemoryRequest", "memory"],
  ] as const) {
    const v = d[key]?.trim();
    if (!v) continue;
    try {
      if (parseQuantity(v, key) <= 0) throw new Error("not positive");
    } catch {
      throw new PolicyError(`data.${key}`, `invalid quantity "${v}"; use e.g. ${res === "cpu" ? "100m" : "128Mi"}`);
    }
    requests[res] = v;
  }
  let nodeRequirements: NodeRequirementDefault[] = [];
  if (d.nodeRequirements?.trim()) {
    let parsed: unknown;
    try {
      parsed = YAML.parse(d.nodeRequirements);
    } catch (e) {
      throw new PolicyError("data.nodeRequirements", `is not valid YAML: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed))
      throw new PolicyError("data.nodeRequirements", "must be a YAML list of {key, operator, values}");
    nodeRequirements = parsed.map((r: any, i: number) => {
      if (!r || typeof r.key !== "string" || !r.key)
        throw new PolicyError(`data.nodeRequirements[${i}].key`, "is required");
      if (!["In", "NotIn", "Exists", "DoesNotExist"].includes(r.operator)) {
        throw new PolicyError(
          `data.nodeRequirements[${i}].operator`,
          `"${r.operator}" is not supported; use In, NotIn, Exists or DoesNotExist`,
        );
      }
      const values = Array.isArray(r.values) ? r.values.map(String) : undefined;
      if ((r.operator === "In" || r.operator === "NotIn") && !values?.length) {
        throw new PolicyError(`data.nodeRequirements[${i}].values`, `operator ${r.operator} needs at least one value`);
      }
      return values ? { key: r.key, operator: r.operator, values } : { key: r.key, operator: r.operator };
    });
  }
  const namespaces = list(d.namespaces);
  return {
    namespaces: namespaces.length ? namespaces : ["*"],
    excludeNamespaces: [...new Set([...ALWAYS_SKIPPED_NAMESPACES, moduleNamespace, ...list(d.excludeNamespaces)])],
    requests,
    nodeRequirements,
  };
}

export function appliesTo(policy: PodDefaultsPolicy, namespace: string): boolean {
  if (policy.excludeNamespaces.includes(namespace) || ALWAYS_SKIPPED_NAMESPACES.includes(namespace)) return false;
  return policy.namespaces.includes("*") || policy.namespaces.includes(namespace);
}
