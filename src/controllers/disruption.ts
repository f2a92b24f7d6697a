// The disruption controller (Karpenter's disruption.Controller): one pass every DISRUPTION_POLL_INTERVAL; pod
// events bound to or leaving a node restart its consolidateAfter clock (Karpenter's lastPodEventTime).
import { isTerminal } from "../apis/pods";
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
  // After a restart nothing is known about recent pod events: count the start as one (never consolidate early).
  for (const name of deps.state.nodes.keys()) runner.recordPodEvent(name);
  return {
    name: "disruption",
    runner,
    onChange({ kind, key, phase, obj, previous }) {
      if (kind === "Node" && phase === "DELETED") runner.forgetNode(key);
      if (kind !== "Pod") return;
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
