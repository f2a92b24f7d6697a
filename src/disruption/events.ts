// The Events a disruption pass publishes on NodeClaims and Nodes (Karpenter's disruption events), skipped when the
// object is already gone from the cluster state.
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
