// The one metav1.LabelSelector matcher (topology spread and pod affinity terms, PodDisruptionBudgets): matchLabels
// AND matchExpressions with In/NotIn/Exists/DoesNotExist. A missing selector matches nothing, an empty one
// everything. An unknown operator is an error, as apimachinery's LabelSelectorAsSelector (the apiserver rejects
// such selectors, so only unvalidated input, e.g. `capsicum plan` files, meets it).

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabelSelectorError";
  }
}

export function matchesLabelSelector(
  sel: LabelSelector | undefined | null,
  labels: Record<string, string> | undefined,
): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const v = l[e.key];
    switch (e.operator) {
      case "In":
        if (v === undefined || !(e.values ?? []).includes(v)) return false;
        break;
      case "NotIn":
        if (v !== undefined && (e.values ?? []).includes(v)) return false;
        break;
      case "Exists":
        if (v === undefined) return false;
        break;
      case "DoesNotExist":
        if (v !== undefined) return false;
        break;
      default:
        throw new LabelSelectorError(
          `labelSelector.matchExpressions: unknown operator "${e.operator}" on "${e.key}"; use In, NotIn, Exists or DoesNotExist`,
        );
    }
  }
  return true;
}
