// The cloud provider's registration hooks (Karpenter's checkRegistrationHooks): every hook is asked in parallel
// once the NodeClaim's Node has joined; registration completes only when none is pending. A hook that fails or
// asks to be retried is pending; the shortest requeue interval wins, and errors are returned together.
import type { CloudProvider, NodeClaimLike } from "../cloudprovider/types";
import type { ReconcileResult } from "../kube/workqueue";

export interface RegistrationHooksOutcome {
  /** Names of the hooks not yet satisfied (Registered stays Unknown with them as its message). */
  pending: string[];
  /** Labels the hooks set on the NodeClaim (all of them, pending or not, as Karpenter's hooks mutate in place). */
  labels: Record<string, string>;
  /** When to ask again, for pending hooks that did not fail. */
  result: ReconcileResult;
  /** The failing hooks' errors, combined. */
  error?: Error;
}

export async function checkRegistrationHooks(
  cloud: CloudProvider,
  nodeClaim: NodeClaimLike,
): Promise<RegistrationHooksOutcome> {
  const hooks = cloud.registrationHooks?.() ?? [];
  const outcome: RegistrationHooksOutcome = { pending: [], labels: {}, result: {} };
  if (hooks.length === 0) return outcome;
  const settled = await Promise.allSettled(hooks.map((h) => h.registered(nodeClaim)));
  const errors: string[] = [];
  settled.forEach((s, i) => {
    const name = hooks[i]!.name;
    if (s.status === "rejected") {
      outcome.pending.push(name);
      errors.push(`registration hook "${name}" failed, ${String((s.reason as Error)?.message ?? s.reason)}`);
      return;
    }
    Object.assign(outcome.labels, s.value.labels ?? {});
    const after = s.value.requeueAfterMs;
    if (!s.value.requeue && !after) return;
    outcome.pending.push(name);
    if (after && after > 0 && (outcome.result.requeueAfterMs === undefined || after < outcome.result.requeueAfterMs))
      outcome.result.requeueAfterMs = after;
    if (s.value.requeue) outcome.result.requeue = true;
  });
  if (errors.length) outcome.error = new Error(errors.join("; "));
  return outcome;
}
