// The one rule every status condition writer shares (Karpenter/Kubernetes convention): lastTransitionTime moves
// only when the status flips, so re-reconciling an unchanged object never churns it; and the one Condition type.

export type ConditionStatus = "True" | "False" | "Unknown";

/** metav1.Condition, as capsicum's status writers set it. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** A condition as read from an object another writer may have filled (only type and status are certain). */
export type ObservedCondition = Pick<Condition, "type" | "status"> & Partial<Condition>;

export function transitionTime(
  prev: { status: string; lastTransitionTime?: string } | undefined,
  status: string,
  now: number | string,
): string {
  if (prev && prev.status === status && prev.lastTransitionTime) return prev.lastTransitionTime;
  return typeof now === "string" ? now : new Date(now).toISOString();
}
