// The disruption controller (Karpenter's disruption.Controller): one pass every DISRUPTION_POLL_INTERVAL; pod
// events bound to or leaving a node restart its consolidateAfter clock (Karpenter's nodeclaim.podevents: a
// pod scheduled, gone terminal or terminating; DaemonSet pods do not count), which each pass persists as the
// NodeClaim's status.lastPodEventTime.
import { isOwnedByDaemonSet, isTerminal, isTerminating } from "../apis/pods";
import type { KubeObject } from "../kube/client";
import type { CloudProvider } from "../cloudprovider/types";
import type { EngineDeps } from "../kube/deps";
import { DisruptionRunner } from "../disruption/runner";
import type { Provisioner } from "../provisioning/provisioner";
import type { DisruptionRunnerDeps } from "../disruption/runner";
import type { Settings } from "../settings";
import type { Controller } from "./controller";

export interface Disruption extends Controller {
  readonly runner: DisruptionRunner;
}

export function disruption(
  deps: EngineDeps,
  o: {
    cloud: CloudProvider;
    settings: Settings;
    provisioner: Provisioner;
    instanceTypes: DisruptionRunnerDeps["instanceTypes"];
    schedule: DisruptionRunnerDeps["schedule"];
  },
): Disruption {
  const runner = new DisruptionRunner({
    ...deps,
    cloud: o.cloud,
    instanceTypes: o.instanceTypes,
    schedule: o.schedule,
    // The provisioner's view of NodePools/instance types/daemonsets; the runner supplies pods and nodes.
    schedulingBase: async () => (await o.provisioner.schedulingInput([])).input,
    validationDelayMs: o.settings.consolidationValidationDelayMs,
    settings: { spotToSpotConsolidation: o.settings.featureGates.SpotToSpotConsolidation ?? false },
    log: deps.log.child({ controller: "disruption" }),
  });
  return {
    name: "disruption",
    runner,
    // After a restart, as Karpenter's podevents reconciling every pod: a bound pod's event is its PodScheduled
    // transition, a terminal or terminating pod's is now. With the persisted lastPodEventTime (the newer wins),
    // a restart neither resets the consolidateAfter clocks nor lets them run ahead.
    start() {
      const now = deps.clock.now();
      for (const pod of deps.state.pods.values()) {
        const at = podEventAtStart(pod, now);
        if (at !== undefined) runner.recordPodEvent(pod.spec.nodeName, at);
      }
    },
    onChange({ kind, key, phase, obj, previous }) {
      if (kind === "Node" && phase === "DELETED") runner.forgetNode(key);
      if (kind !== "Pod" || isOwnedByDaemonSet(obj)) return;
      const node = obj.spec?.nodeName as string | undefined;
      const prevNode = previous?.spec?.nodeName as string | undefined;
      if (phase === "DELETED" && prevNode) runner.recordPodEvent(prevNode);
      else if (
        node &&
        (node !== prevNode ||
          (obj.metadata.deletionTimestamp && !previous?.metadata.deletionTimestamp) ||
          (isTerminal(obj) && !isTerminal(previous)))
      )
        runner.recordPodEvent(node);
    },
    every: { ms: o.settings.disruptionPollMs, run: () => runner.tick() },
    stop: () => runner.stop(),
  };
}

/** The last event of a pod already bound when the watcher starts, or undefined when it has none to count. */
function podEventAtStart(pod: KubeObject, now: number): number | undefined {
  if (!pod.spec?.nodeName || isOwnedByDaemonSet(pod)) return undefined;
  if (isTerminal(pod) || isTerminating(pod)) return now;
  const scheduled = (
    pod.status?.conditions as Array<{ type: string; status: string; lastTransitionTime?: string }>
  )?.find((c) => c.type === "PodScheduled" && c.status === "True");
  const at = scheduled?.lastTransitionTime ? Date.parse(scheduled.lastTransitionTime) : NaN;
  return Number.isNaN(at) ? undefined : at;
}
