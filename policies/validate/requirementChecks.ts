// capsicum-only requirement checks (beyond Karpenter's CEL): value counts per operator, known values for
// enumerated well-known labels, and "did you mean" for misspelt well-known keys.
import {
  LabelArch,
  LabelCapacityType,
  LabelInstanceTenancy,
  LabelOS,
  NormalizedLabels,
  WellKnownLabels,
} from "../../src/apis/labels";
import { childPath, closest } from "./paths";
import type { FieldError } from "./types";

/** Well-known labels whose values are a closed set (Karpenter HasKnownValues plus arch/os). */
export const KNOWN_VALUES: Record<string, string[]> = {
  [LabelCapacityType]: ["spot", "on-demand", "reserved"],
  [LabelInstanceTenancy]: ["default", "dedicated"],
  [LabelArch]: ["amd64", "arm64"],
  [LabelOS]: ["linux", "windows"],
};

/** Domains whose keys we know completely: an unknown key there is almost certainly a typo. */
const WELL_KNOWN_DOMAINS = [
  "karpenter.k8s.aws",
  "karpenter.sh",
  "kubernetes.io",
  "node.kubernetes.io",
  "topology.kubernetes.io",
  "topology.k8s.aws",
];
const ALL_KNOWN_KEYS = [
  ...WellKnownLabels,
  ...Object.keys(NormalizedLabels),
  "karpenter.k8s.aws/ec2nodeclass",
  "karpenter.k8s.aws/nitro-sandbox",
  "kubernetes.io/hostname",
];

export interface RequirementLike {
  key?: unknown;
  operator?: unknown;
  values?: unknown;
  minValues?: unknown;
}

export function unknownKeySuggestion(key: string): string | undefined {
  if (ALL_KNOWN_KEYS.includes(key)) return undefined;
  const domain = key.includes("/") ? key.slice(0, key.indexOf("/")) : "";
  if (!WELL_KNOWN_DOMAINS.includes(domain)) {
    // a misspelt domain (karpenter.k8s.aws vs karpenter.k8.aws) is also worth a hint
    const near = closest(key, ALL_KNOWN_KEYS, 2);
    return near;
  }
  return closest(key, ALL_KNOWN_KEYS, 4);
}

export function requirementErrors(reqs: unknown, path: string): { errors: FieldError[]; warnings: string[] } {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  if (!Array.isArray(reqs)) return { errors, warnings };
  reqs.forEach((raw: RequirementLike, i) => {
    if (raw === null || typeof raw !== "object") return;
    const p = childPath(path, i);
    const key = typeof raw.key === "string" ? raw.key : "";
    const op = raw.operator;
    const values = Array.isArray(raw.values) ? (raw.values as unknown[]) : [];
    const err = (field: string, message: string) => errors.push({ path: field, message, source: "check" });

    if ((op === "Exists" || op === "DoesNotExist") && values.length > 0) {
      err(
        childPath(p, "values"),
        `operator ${op} takes no values, got ${JSON.stringify(values)}; remove values or use operator In`,
      );
    }
    if (op === "NotIn" && values.length === 0) {
      err(childPath(p, "values"), "operator NotIn needs at least one value; add values or remove this requirement");
    }
    if (raw.minValues !== undefined && op !== "In" && op !== "Exists" && op !== "NotIn") {
      err(
        childPath(p, "minValues"),
        `minValues has no meaning with operator ${String(op)}; use it with In, NotIn or Exists`,
      );
    }
    const suggestion = key ? unknownKeySuggestion(key) : undefined;
    if (suggestion) err(childPath(p, "key"), `unknown well-known label "${key}"; did you mean "${suggestion}"?`);
    if (NormalizedLabels[key])
      warnings.push(`${childPath(p, "key")}: "${key}" is deprecated; use "${NormalizedLabels[key]}"`);

    const known = KNOWN_VALUES[NormalizedLabels[key] ?? key];
    if (known && (op === "In" || op === "NotIn")) {
      const bad = values.filter((v) => typeof v === "string" && !known.includes(v)) as string[];
      if (bad.length > 0) {
        const hint = bad.map((b) => closest(b, known, 3)).find((x) => x !== undefined);
        err(
          childPath(p, "values"),
          `invalid values: ${JSON.stringify(bad)} for key: ${key}, expected one of: ${JSON.stringify(known)}${hint ? `; did you mean "${hint}"?` : ""}`,
        );
      }
    }
  });
  return { errors, warnings };
}
