// Termination's wait for volumes (Karpenter node/termination awaitVolumeDetachment): once a node is drained, its
// instance is terminated only after the attach/detach controller has deleted the VolumeAttachments of the pods
// that left, so a StatefulSet's replacement pod can attach its volume elsewhere without waiting out the 6-minute
// force-detach. VolumeAttachments of pods that are not drained (they tolerate karpenter.sh/disrupted, are stuck
// terminating, are static) and of inline volumes are not waited for. Past the terminationGracePeriod deadline the
// wait ends: VolumesDetached=False (TerminationGracePeriodElapsed) and termination goes on.
import type { NodeClaim } from "../apis/generated/nodeclaims";
import { isOwnedByNode } from "../disruption/candidates";
import { toPodInfo } from "../disruption/snapshot";
import type { KubeObject } from "../kube/client";
import type { ReconcileResult } from "../kube/workqueue";
import { claimKey, type PodVolume } from "../scheduling/volumes";
import type { Pod } from "../scheduling/types";
import { Condition, sameConditions, setCondition } from "./conditions";
import type { LifecycleDeps } from "./nodeClaimLifecycle";
import { isStuckTerminating } from "./termination/drainNode";
import { toleratesDisruptedTaint } from "./termination/drainPlan";
import { writeNodeClaimConditions } from "./nodeClaimConditions";
import { involvedNode } from "./constants";

export const VolumesDetached = "VolumesDetached";

/** The node's VolumeAttachments termination must see deleted (Karpenter's filterVolumeAttachments). */
export function blockingVolumeAttachments(
  deps: Pick<LifecycleDeps, "state">,
  nodeName: string,
  now: number,
): KubeObject[] {
  const attachments = deps.state.volumeAttachmentsOnNode(nodeName);
  if (attachments.length === 0) return [];
  const staying = new Set<string>();
  for (const p of deps.state.podsOnNode(nodeName)) {
    const info = toPodInfo(p, []);
    const drainable =
      !toleratesDisruptedTaint(info) && !isStuckTerminating(info, new Date(now)) && !isOwnedByNode(info);
    if (drainable) continue;
    for (const v of (p.spec?.volumes ?? []) as PodVolume[]) {
      const key = claimKey(p as unknown as Pod, v);
      const pv = key === undefined ? undefined : deps.state.persistentVolumeClaims.get(key)?.spec?.volumeName;
      if (pv) staying.add(pv);
    }
  }
  return attachments
    .filter((va) => {
      const pv = va.spec?.source?.persistentVolumeName as string | undefined;
      return pv !== undefined && !staying.has(pv);
    })
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/**
 * One step of the wait: undefined when termination may go on, else when to look again. Records VolumesDetached on
 * the NodeClaim (Unknown while waiting, True once detached, False when the grace period cut the wait short).
 */
export async function awaitVolumeDetachment(
  deps: LifecycleDeps,
  nc: NodeClaim,
  node: KubeObject,
  now: number,
  deadline: number | undefined,
): Promise<ReconcileResult | undefined> {
  const pending = blockingVolumeAttachments(deps, node.metadata.name, now);
  const elapsed = deadline !== undefined && now > deadline;
  let status: Condition["status"] = "True";
  let reason = VolumesDetached;
  if (pending.length && !elapsed) {
    status = "Unknown";
    reason = "AwaitingVolumeDetachment";
    const names = pending.map((va) => va.metadata.name);
    deps.events.publish({
      involved: involvedNode(node),
      type: "Normal",
      reason: "AwaitingVolumeDetachment",
      message: `Awaiting deletion of bound volumeattachments (${names.slice(0, 5).join(", ")}${names.length > 5 ? ` and ${names.length - 5} other(s)` : ""})`,
    });
  } else if (pending.length) {
    status = "False";
    reason = "TerminationGracePeriodElapsed";
    deps.log.info(
      { NodeClaim: { name: nc.metadata.name }, Node: { name: node.metadata.name }, volumeattachments: pending.length },
      "terminationGracePeriod elapsed: terminating without waiting for volumes to detach",
    );
  }
  const current = nc.status?.conditions as Condition[] | undefined;
  const next = setCondition(current, VolumesDetached, status, reason, status === "True" ? "" : reason, now);
  if (!sameConditions(current, next)) {
    await writeNodeClaimConditions(deps, nc as KubeObject, next, now);
  }
  return status === "Unknown" ? { requeueAfterMs: 1000 } : undefined;
}
