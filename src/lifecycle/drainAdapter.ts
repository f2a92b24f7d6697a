// Binds the termination step function (src/lifecycle/termination/drainNode) to the cluster state (pods on the
// node) and the KubeClient (Eviction API, forced delete), keeping its per-node retry bookkeeping in memory.
import { involvedPod } from "./constants";
import { goTimeString } from "../apis/goTime";
import type { PodInfo } from "../disruption/types";
import { toPodInfo } from "../disruption/snapshot";
import { ClusterState } from "../kube/clusterState";
import { KubeClient, KubeError, KubeObject, Kinds, isNotFound, isTooManyRequests } from "../kube/client";
import type { Metrics } from "../metrics";
import type { EventRecorder } from "../kube/events";
import type { Logger } from "../log";
import { drainNode, DrainState, EvictionOutcome } from "./termination/drainNode";
import type { Drainer } from "./finalize";

export function makeDrainer(deps: {
  client: KubeClient;
  state: ClusterState;
  log: Logger;
  metrics?: Metrics;
  events?: EventRecorder;
}): Drainer {
  // Karpenter's pod events of a drain (EvictPod, DisruptPodDelete), one per pod and dedupe window.
  const podEvent = (pod: PodInfo, reason: string, message: string) =>
    deps.events?.publish({
      involved: involvedPod(pod),
      type: "Normal",
      reason,
      message,
      dedupeValues: [pod.name],
    });
  const progress = new Map<string, DrainState>();
  // The cache can lag or be wrong (a relist, a missed event): ask the apiserver before evicting or deleting, so
  // a pod that was replaced under the same name, or already moved, is never acted on.
  const stillOnNode = async (pod: PodInfo, nodeName: string): Promise<boolean> => {
    const live = await deps.client.get(Kinds.Pod, pod.name, pod.namespace);
    if (!live) return false;
    if (pod.uid && live.metadata.uid && live.metadata.uid !== pod.uid) return false;
    return live.spec?.nodeName === nodeName;
  };
  return async (node, nodeClaim, now, deadline) => {
    const name = node.metadata.name;
    const res = await drainNode(
      {
        listPods: async (n) => deps.state.podsOnNode(n).map((p) => toPodInfo(p, [])),
        evict: async (pod): Promise<EvictionOutcome> => {
          if (!(await stillOnNode(pod, name))) return "gone";
          try {
            await deps.client.evict(pod.name, pod.namespace);
            deps.log.info({ Pod: { name: pod.name, namespace: pod.namespace }, Node: { name } }, "evicted pod");
            deps.metrics?.podsEvictionRequests.inc({ code: "200" });
            const reason = evictionReason(nodeClaim);
            deps.metrics?.podsDrained.inc({ reason });
            podEvent(pod, "Evicted", `Evicted pod: ${reason}`);
            return "evicted";
          } catch (e) {
            if (e instanceof KubeError) deps.metrics?.podsEvictionRequests.inc({ code: String(e.status) });
            if (isTooManyRequests(e)) return "blocked";
            if (isNotFound(e)) return "gone";
            throw e;
          }
        },
        deletePod: async (pod, gracePeriodSeconds) => {
          if (!(await stillOnNode(pod, name))) return;
          await deps.client.delete(Kinds.Pod, pod.name, pod.namespace, { gracePeriodSeconds });
          if (deadline !== undefined)
            podEvent(
              pod,
              "Disrupted",
              `Deleting the pod to accommodate the terminationTime ${goTimeString(deadline)} of the node. The pod was ` +
                `granted ${gracePeriodSeconds} seconds of grace-period of its ${pod.terminationGracePeriodSeconds ?? 30} ` +
                `terminationGracePeriodSeconds. This bypasses the PDB of the pod and the do-not-disrupt annotation.`,
            );
          deps.log.info(
            {
              Pod: { name: pod.name, namespace: pod.namespace },
              Node: { name },
              "grace-period-seconds": gracePeriodSeconds,
            },
            "deleted pod past terminationGracePeriod",
          );
        },
      },
      {
        name,
        terminationStartedAt: new Date(Date.parse(nodeClaim.metadata.deletionTimestamp ?? "") || now),
        terminationGracePeriod: nodeClaim.spec.terminationGracePeriod,
        deadline: deadline !== undefined ? new Date(deadline) : undefined,
      },
      new Date(now),
      progress.get(name),
    );
    if (res.drained) progress.delete(name);
    else progress.set(name, res.state);
    return { drained: res.drained, requeueAfterMs: res.requeueAfterMs, waiting: res.remaining };
  };
}

/** Karpenter's pod eviction reason: the NodeClaim's DisruptionReason condition, else "Forceful Termination". */
function evictionReason(nc: {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string }> };
}): string {
  const c = nc.status?.conditions?.find((x) => x.type === "DisruptionReason" && x.status === "True");
  return c?.reason ?? "Forceful Termination";
}
