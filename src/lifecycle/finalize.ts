// Deletion path behind the `karpenter.sh/termination` finalizer: cordon (taint karpenter.sh/disrupted:NoSchedule),
// drain through the termination step function, wait for the drained pods' VolumeAttachments to go (volumeDetachment),
// honour terminationGracePeriod, terminate the instance until the
// cloud says NotFound, delete the Node, and only then drop the finalizer. Each call does the next missing step
// and returns; the work queue calls again (on events or after requeueAfterMs), so a crash anywhere just resumes.
import { rfc3339 } from "../apis/goTime";
import type { NodeClaim } from "../apis/generated/nodeclaims";
import { NodeClaimNotFoundError } from "../cloudprovider/types";
import { JsonPatchOp, KubeObject, Kinds, isNotFound, jsonPointerEscape, rvGuard } from "../kube/client";
import { isNodeReady } from "../kube/clusterState";
import { ReconcileResult } from "../kube/workqueue";
import { addDisruptedTaint } from "../disruption/taints";
import { parseDuration } from "../apis/duration";
import { Condition, InstanceTerminating, setCondition } from "./conditions";
import type { LifecycleDeps } from "./nodeClaimLifecycle";
import { awaitVolumeDetachment } from "./volumeDetachment";
import {
  TaintDisrupted,
  TerminationFinalizer,
  TerminationTimestampAnnotation,
  involvedNode,
  involvedNodeClaim,
  nodeClaimRef,
  nodePoolOf,
} from "./constants";
import { writeNodeClaimConditions } from "./nodeClaimConditions";

/** One drain step for a node: evict what can be evicted now; `drained` once no evictable pods remain. */
export type Drainer = (
  node: KubeObject,
  nodeClaim: NodeClaim,
  now: number,
  deadline?: number,
) => Promise<{ drained: boolean; requeueAfterMs?: number; /** pods still to leave */ waiting?: number }>;

/** The NodeClaim condition Karpenter's termination controller keeps while it drains the Node. */
export const Drained = "Drained";

/** Drained=Unknown (Draining) while pods are waiting to be evicted, True once they are gone; written on change. */
async function markDrained(deps: LifecycleDeps, nc: NodeClaim, drained: boolean, now: number): Promise<NodeClaim> {
  const conds = nc.status?.conditions as Condition[] | undefined;
  const cur = conds?.find((c) => c.type === Drained);
  if (drained ? cur?.status === "True" : cur?.status === "Unknown" && cur.reason === "Draining") return nc;
  const next = drained
    ? setCondition(conds, Drained, "True", Drained, "", now)
    : setCondition(conds, Drained, "Unknown", "Draining", "Draining", now);
  try {
    return (await writeNodeClaimConditions(deps, nc as unknown as KubeObject, next, now)) as unknown as NodeClaim;
  } catch (e) {
    if (isNotFound(e)) return nc;
    throw e;
  }
}

async function instanceGone(deps: LifecycleDeps, providerID: string | undefined): Promise<boolean> {
  if (!providerID) return false;
  try {
    const inst = await deps.cloud.get(providerID);
    return inst.state === "terminated";
  } catch (e) {
    if (e instanceof NodeClaimNotFoundError) return true;
    throw e;
  }
}

/** NodeClaims whose drain was counted in karpenter_nodes_drained_total (once per termination, not per pass). */
const drainedOnce = new Set<string>();

/** The zone label of the Node, else the NodeClaim's (Karpenter's metrics zone label). */
function zoneOf(node: KubeObject | undefined, nc: NodeClaim): string {
  return (
    node?.metadata.labels?.["topology.kubernetes.io/zone"] ?? nc.metadata.labels?.["topology.kubernetes.io/zone"] ?? ""
  );
}

export async function finalizeNodeClaim(deps: LifecycleDeps, nc: NodeClaim): Promise<ReconcileResult | void> {
  if (!nc.metadata.finalizers?.includes(TerminationFinalizer)) return;
  const now = deps.clock.now();
  const name = nc.metadata.name!;
  const node = deps.state.nodeForProviderID(nc.status?.providerID);

  // terminationGracePeriod: the absolute deadline is recorded once so restarts do not extend it. A recorded one
  // counts whatever the spec says, as in Karpenter: node repair sets it to now to force the drain.
  const tgp = nc.spec.terminationGracePeriod
    ? (parseDuration(nc.spec.terminationGracePeriod).ms ?? undefined)
    : undefined;
  const recorded = Date.parse(nc.metadata.annotations?.[TerminationTimestampAnnotation] ?? "");
  let deadline: number | undefined = Number.isFinite(recorded) ? recorded : undefined;
  if (deadline === undefined && tgp !== undefined) {
    deadline = (Date.parse(nc.metadata.deletionTimestamp ?? "") || now) + tgp;
    const ops: JsonPatchOp[] = [rvGuard(nc.metadata.resourceVersion)];
    ops.push(
      nc.metadata.annotations
        ? {
            op: "add",
            path: `/metadata/annotations/${jsonPointerEscape(TerminationTimestampAnnotation)}`,
            value: new Date(deadline).toISOString(),
          }
        : {
            op: "add",
            path: "/metadata/annotations",
            value: { [TerminationTimestampAnnotation]: new Date(deadline).toISOString() },
          },
    );
    const out = await deps.client.patch<KubeObject>(Kinds.NodeClaim, name, ops);
    deps.state.apply("NodeClaim", out, "MODIFIED");
    nc = out as unknown as NodeClaim;
  }

  if (deadline !== undefined) {
    // Karpenter's TerminationGracePeriodExpiring, on the NodeClaim and its Node, once per dedupe window.
    const message = `All pods will be deleted by ${rfc3339(deadline)}`;
    deps.events.publish({
      involved: involvedNodeClaim(nc),
      type: "Warning",
      reason: "TerminationGracePeriodExpiring",
      message,
      dedupeValues: [name],
    });
    if (node)
      deps.events.publish({
        involved: involvedNode(node),
        type: "Warning",
        reason: "TerminationGracePeriodExpiring",
        message,
        dedupeValues: [node.metadata.name!],
      });
  }
  if (node) {
    // Cordon: nothing new lands here while we drain.
    await addDisruptedTaint(deps.client, deps.state, node.metadata.name, deps.log, nodeClaimRef(nc));
    const fresh = deps.state.nodes.get(node.metadata.name) ?? node;
    // A NotReady node whose instance is already gone (spot reclaim, terminated from the console) has no kubelet
    // to confirm evictions: draining it would hang. Karpenter skips the drain then; so do we.
    if (!isNodeReady(fresh) && (await instanceGone(deps, nc.status?.providerID ?? fresh.spec?.providerID))) {
      deps.log.info(
        { Node: { name: fresh.metadata.name }, ...nodeClaimRef(nc) },
        "skipping drain, instance is already terminated",
      );
    } else {
      const res = await deps.drain(fresh, nc, now, deadline);
      if (!res.drained) {
        // As Karpenter's NodeFailedToDrain: one Warning per Node and dedupe window while the drain waits.
        deps.events.publish({
          involved: involvedNode(fresh),
          type: "Warning",
          reason: "FailedDraining",
          message: `Failed to drain node, ${res.waiting ?? 0} pods are waiting to be evicted`,
          dedupeValues: [fresh.metadata.name!],
        });
        await markDrained(deps, nc, false, now);
        return { requeueAfterMs: res.requeueAfterMs ?? 1000 };
      }
      nc = await markDrained(deps, deps.state.nodeClaims.get(name) ?? nc, true, now);
      if (!drainedOnce.has(name)) {
        drainedOnce.add(name);
        deps.metrics.nodesDrained.inc({ nodepool: nodePoolOf(nc) });
      }
      // Drained: the instance goes only once the volumes of the pods that left are detached (or the deadline).
      const waiting = await awaitVolumeDetachment(deps, deps.state.nodeClaims.get(name) ?? nc, fresh, now, deadline);
      if (waiting) return waiting;
      nc = deps.state.nodeClaims.get(name) ?? nc;
    }
  }

  // Terminate the instance; Karpenter keeps calling Delete until the provider answers NotFound. Without a
  // providerID (deleted while its launch had not reached status) the provider finds it by the NodeClaim tag.
  {
    try {
      await deps.cloud.delete(nc as never);
      const conds = setCondition(
        nc.status?.conditions as Condition[],
        InstanceTerminating,
        "True",
        InstanceTerminating,
        "Instance is terminating",
        now,
      );
      if (
        !(nc.status?.conditions as Condition[] | undefined)?.some(
          (c) => c.type === InstanceTerminating && c.status === "True",
        )
      ) {
        await writeNodeClaimConditions(deps, nc as KubeObject, conds, now);
      }
      return { requeueAfterMs: 5000 };
    } catch (e) {
      if (!(e instanceof NodeClaimNotFoundError)) throw e;
    }
    // The instance is gone: how long the provider took since InstanceTerminating was first set.
    const terminating = (nc.status?.conditions as Condition[] | undefined)?.find(
      (c) => c.type === InstanceTerminating && c.status === "True",
    );
    const since = Date.parse(terminating?.lastTransitionTime ?? "");
    if (Number.isFinite(since))
      deps.metrics.nodeClaimsInstanceTerminationDuration.observe(
        { nodepool: nodePoolOf(nc) },
        Math.max(0, (now - since) / 1000),
      );
  }

  // The instance is gone: remove the Node (dropping our finalizer on it first), then our own finalizer.
  // A Node of that name with another providerID is a new instance given the same private IP (so the same name):
  // ours is already gone, and the new one must not be deleted with it (the delete also carries our Node's UID).
  const byName = node ? deps.state.nodes.get(node.metadata.name) : undefined;
  if (node && (!byName || byName.spec?.providerID === node.spec?.providerID)) {
    const cur = byName ?? node;
    if (cur.metadata.finalizers?.includes(TerminationFinalizer)) {
      try {
        const out = await deps.client.patch<KubeObject>(Kinds.Node, cur.metadata.name, [
          rvGuard(cur.metadata.resourceVersion),
          {
            op: "add",
            path: "/metadata/finalizers",
            value: cur.metadata.finalizers.filter((f) => f !== TerminationFinalizer),
          },
        ]);
        deps.state.apply(
          "Node",
          out,
          out.metadata.deletionTimestamp && !out.metadata.finalizers?.length ? "DELETED" : "MODIFIED",
        );
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    await deps.client.delete(Kinds.Node, cur.metadata.name, undefined, { uid: cur.metadata.uid });
    deps.log.info({ Node: { name: cur.metadata.name }, ...nodeClaimRef(nc) }, "deleted node");
    deps.metrics.nodesTerminated.inc({ nodepool: nodePoolOf(nc), zone: zoneOf(cur, nc) });
    const born = Date.parse(cur.metadata.creationTimestamp ?? "");
    if (Number.isFinite(born))
      deps.metrics.nodesLifetimeDuration.observe({ nodepool: nodePoolOf(nc) }, Math.max(0, (now - born) / 1000));
  }
  const fresh = deps.state.nodeClaims.get(name) ?? nc;
  try {
    await deps.client.patch<KubeObject>(Kinds.NodeClaim, name, [
      rvGuard(fresh.metadata.resourceVersion),
      {
        op: "add",
        path: "/metadata/finalizers",
        value: (fresh.metadata.finalizers ?? []).filter((f) => f !== TerminationFinalizer),
      },
    ]);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const deletedAt = Date.parse(nc.metadata.deletionTimestamp ?? "");
  if (Number.isFinite(deletedAt)) {
    const seconds = Math.max(0, (now - deletedAt) / 1000);
    deps.metrics.nodeClaimsTerminationDuration.observe({ nodepool: nodePoolOf(nc) }, seconds);
    if (node) deps.metrics.nodesTerminationDuration.observe({ nodepool: nodePoolOf(nc) }, seconds);
  }
  drainedOnce.delete(name);
  deps.metrics.nodeClaimsTerminated.inc({
    nodepool: nodePoolOf(nc),
    capacity_type: nc.metadata.labels?.["karpenter.sh/capacity-type"] ?? "",
    zone: zoneOf(node, nc),
  });
  deps.log.info(
    {
      ...nodeClaimRef(nc),
      "provider-id": nc.status?.providerID,
      Node: node ? { name: node.metadata.name } : undefined,
    },
    "deleted nodeclaim",
  );
  deps.events.publish({
    involved: involvedNodeClaim(nc),
    type: "Normal",
    reason: "Finalized",
    message: `Finalized ${TerminationFinalizer}`,
  });
}
