// The Events a disruption pass publishes on NodeClaims, Nodes and NodePools (Karpenter's disruption events),
// skipped when the object is already gone from the cluster state.
import type { EngineDeps } from "../kube/deps";
import { involvedNodeClaim } from "../lifecycle/constants";

export type EventType = "Normal" | "Warning";

export function nodeClaimEvent(
  deps: Pick<EngineDeps, "state" | "events">,
  name: string,
  type: EventType,
  reason: string,
  message: string,
): void {
  const nc = deps.state.nodeClaims.get(name);
  if (!nc) return;
  deps.events.publish({ involved: involvedNodeClaim(nc), type, reason, message });
}

export function nodeEvent(
  deps: Pick<EngineDeps, "state" | "events">,
  name: string,
  type: EventType,
  reason: string,
  message: string,
): void {
  const node = deps.state.nodes.get(name);
  if (!node) return;
  deps.events.publish({
    involved: { apiVersion: "v1", kind: "Node", name, uid: node.metadata.uid, namespace: "default" },
    type,
    reason,
    message,
  });
}

/**
 * Karpenter's NodePoolBlockedForDisruptionReason: a method with candidates found this pool's active budgets allowing
 * no disruption for its reason. Deduplicated per pool and reason for a minute, as Karpenter's (budgets can change
 * every minute).
 */
export function nodePoolBudgetBlockedEvent(
  deps: Pick<EngineDeps, "state" | "events">,
  pool: string,
  reason: string,
): void {
  const np = deps.state.nodePools.get(pool);
  if (!np) return;
  const uid = np.metadata.uid ?? pool;
  deps.events.publish(
    {
      involved: { apiVersion: "karpenter.sh/v1", kind: "NodePool", name: pool, uid: np.metadata.uid },
      type: "Normal",
      reason: "DisruptionBlocked",
      message: `No allowed disruptions for disruption reason ${reason} due to blocking budget`,
      dedupeValues: [uid, reason],
    },
    { dedupeMs: 60_000 },
  );
}
