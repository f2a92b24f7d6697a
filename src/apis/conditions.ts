// The one rule every status condition writer shares (Karpenter/Kubernetes convention): lastTransitionTime moves
// only when the status flips, so re-reconciling an unchanged object never churns it.
export function transitionTime(
  prev: { status: string; lastTransitionTime?: string } | undefined,
  status: string,
  now: number | string,
): string {
  if (prev && prev.status === status && prev.lastTransitionTime) return prev.lastTransitionTime;
  return typeof now === "string" ? now : new Date(now).toISOString();
}
