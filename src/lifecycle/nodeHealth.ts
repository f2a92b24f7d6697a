// Node repair (Karpenter's node.health controller, feature gate NodeRepair): a Node whose condition has matched
// one of the cloud provider's repair policies for its toleration duration is force-replaced. Its NodeClaim gets
// the termination-timestamp annotation set to now (so the drain ignores PDBs and do-not-disrupt, as Karpenter's
// forceful termination does) and is deleted; the provisioner replaces it as for any deleted NodeClaim. Repair
// stops while more than 20% of the NodePool's Nodes (of the cluster's, for a NodeClaim without NodePool) are
// unhealthy: replacing them all at once would only take the workload down with them.
import { rfc3339 } from "../apis/goTime";
import type { ObservedCondition } from "../apis/conditions";
import type { NodeClaim } from "../apis/generated/nodeclaims";
import { LabelCapacityType, LabelNodePool } from "../apis/labels";
import type { RepairPolicy } from "../cloudprovider/types";
import { KubeObject, Kinds, isNotFound, jsonPointerEscape, rvGuard } from "../kube/client";
import type { EngineDeps } from "../kube/deps";
import { countNodeClaimDisrupted } from "../disruption/disruptedMetric";
import { TerminationTimestampAnnotation, involvedNode, nodeClaimRef } from "./constants";

export const ALLOWED_UNHEALTHY_PERCENT = 20;
/** Karpenter re-checks a repair blocked by the unhealthy cap every 5 minutes. */
export const REPAIR_BLOCKED_REQUEUE_MS = 5 * 60_000;
/** Karpenter's NodeRepairBlocked events are de-duplicated for 15 minutes. */
const REPAIR_BLOCKED_DEDUPE_MS = 15 * 60_000;

export type NodeHealthDeps = Pick<EngineDeps, "client" | "state" | "clock" | "log" | "metrics" | "events"> & {
  policies: readonly RepairPolicy[];
};

/** A Node's status condition (core/v1 NodeCondition): the one condition model's read-side shape. */
type NodeCondition = ObservedCondition;

function condition(node: KubeObject, type: string): NodeCondition | undefined {
  return ((node.status?.conditions ?? []) as NodeCondition[]).find((c) => c.type === type);
}

/** The matching condition whose toleration ends first (Karpenter's findUnhealthyConditions). */
export function unhealthyCondition(
  node: KubeObject,
  policies: readonly RepairPolicy[],
): { condition: NodeCondition; repairAt: number } | undefined {
  let found: { condition: NodeCondition; repairAt: number } | undefined;
  for (const p of policies) {
    const c = condition(node, p.conditionType);
    if (!c || c.status !== p.conditionStatus) continue;
    // A condition without a transition time counts from the zero time, as Go's zero metav1.Time does.
    const since = Date.parse(c.lastTransitionTime ?? "");
    const repairAt = (Number.isFinite(since) ? since : 0) + p.tolerationMs;
    if (!found || repairAt < found.repairAt) found = { condition: c, repairAt };
  }
  return found;
}

/** A Node matching any policy now, however long (the unhealthy cap counts these). */
function matchesAnyPolicy(node: KubeObject, policies: readonly RepairPolicy[]): boolean {
  return policies.some((p) => condition(node, p.conditionType)?.status === p.conditionStatus);
}

/** At most 20% of the nodes (rounded up, as a PDB's percentages) may be unhealthy. */
export function withinUnhealthyCap(nodes: KubeObject[], policies: readonly RepairPolicy[]): boolean {
  const unhealthy = nodes.filter((n) => matchesAnyPolicy(n, policies)).length;
  return unhealthy <= Math.ceil((nodes.length * ALLOWED_UNHEALTHY_PERCENT) / 100);
}

/** Karpenter's pretty.ToSnakeCase, for the metric's condition label ("AcceleratedHardwareReady" → accelerated_hardware_ready). */
export function toSnakeCase(s: string): string {
  return s
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/** One reconcile of a Node; returns when to look again (ms), or undefined. */
export async function reconcileNodeHealth(deps: NodeHealthDeps, nodeName: string): Promise<number | undefined> {
  const node = deps.state.nodes.get(nodeName);
  if (!node) return undefined;
  const nodeClaim = deps.state.stateNodeForNode(nodeName)?.nodeClaim;
  if (!nodeClaim) return undefined;
  const unhealthy = unhealthyCondition(node, deps.policies);
  if (!unhealthy) return undefined;
  const now = deps.clock.now();
  if (now < unhealthy.repairAt) return unhealthy.repairAt - now;

  const pool = nodeClaim.metadata.labels?.[LabelNodePool];
  const nodes = [...deps.state.nodes.values()];
  if (pool !== undefined) {
    if (
      !withinUnhealthyCap(
        nodes.filter((n) => n.metadata.labels?.[LabelNodePool] === pool),
        deps.policies,
      )
    ) {
      if (deps.state.nodePools.has(pool))
        blocked(deps, node, `more than ${ALLOWED_UNHEALTHY_PERCENT}% nodes are unhealthy in the nodepool`);
      return REPAIR_BLOCKED_REQUEUE_MS;
    }
  } else if (!withinUnhealthyCap(nodes, deps.policies)) {
    // Karpenter's wording, typo included, so alerts written against it keep matching.
    blocked(deps, node, `more then ${ALLOWED_UNHEALTHY_PERCENT}% nodes are unhealthy in the cluster`);
    return REPAIR_BLOCKED_REQUEUE_MS;
  }

  // As Karpenter: the annotation first, so a NodeClaim already terminating under a long terminationGracePeriod
  // is forced too; then the delete, unless it is already deleting.
  if (!(await annotateTerminationTimestamp(deps, nodeClaim, now))) return undefined;
  if (nodeClaim.metadata.deletionTimestamp) return undefined;
  try {
    await deps.client.delete(Kinds.NodeClaim, nodeClaim.metadata.name!);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  deps.log.info(
    { Node: { name: nodeName }, ...nodeClaimRef(nodeClaim), condition: unhealthy.condition.type },
    "deleting unhealthy node",
  );
  const labels = node.metadata.labels ?? {};
  countNodeClaimDisrupted(deps.metrics, "unhealthy", node);
  deps.metrics.nodeClaimsUnhealthyDisrupted.inc({
    condition: toSnakeCase(unhealthy.condition.type),
    nodepool: labels[LabelNodePool] ?? "",
    capacity_type: labels[LabelCapacityType] ?? "",
    image_id: (nodeClaim.status?.imageID as string | undefined) ?? "",
  });
  return undefined;
}

function blocked(deps: NodeHealthDeps, node: KubeObject, message: string): void {
  deps.events.publish(
    {
      involved: involvedNode(node),
      type: "Warning",
      reason: "NodeRepairBlocked",
      message,
    },
    { dedupeMs: REPAIR_BLOCKED_DEDUPE_MS },
  );
}

/**
 * Sets karpenter.sh/nodeclaim-termination-timestamp to now unless it already lies in the past (`ifAbsent`: unless
 * it is set at all, as Karpenter's interruption handler): the drain then deletes every pod at once, whatever the
 * NodePool's terminationGracePeriod. False when the NodeClaim is gone.
 */
export async function annotateTerminationTimestamp(
  deps: Pick<EngineDeps, "client" | "state" | "log">,
  nc: NodeClaim,
  now: number,
  o: { ifAbsent?: boolean } = {},
): Promise<boolean> {
  const recorded = nc.metadata.annotations?.[TerminationTimestampAnnotation];
  if (o.ifAbsent && recorded !== undefined) return true;
  const current = Date.parse(recorded ?? "");
  if (Number.isFinite(current) && current < now) return true;
  const value = rfc3339(now);
  if (nc.metadata.annotations?.[TerminationTimestampAnnotation] === value) return true;
  try {
    const out = await deps.client.patch<KubeObject>(Kinds.NodeClaim, nc.metadata.name!, [
      rvGuard(nc.metadata.resourceVersion),
      nc.metadata.annotations
        ? { op: "add", path: `/metadata/annotations/${jsonPointerEscape(TerminationTimestampAnnotation)}`, value }
        : { op: "add", path: "/metadata/annotations", value: { [TerminationTimestampAnnotation]: value } },
    ]);
    deps.state.apply("NodeClaim", out, "MODIFIED");
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  deps.log.info({ ...nodeClaimRef(nc), [TerminationTimestampAnnotation]: value }, "annotated nodeclaim");
  return true;
}
