// interruption.instancestatus (AWS): polls DescribeInstanceStatus every minute and handles unhealthy instances as
// interruptions. Registered whenever the cloud is AWS, queue or not, as Karpenter registers it unconditionally.
import type { EC2Client } from "@aws-sdk/client-ec2";
import { listUnhealthyInstances } from "../cloudprovider/aws/instanceStatus";
import { interruptionActions, type InterruptionControllerDeps } from "../cloudprovider/aws/interruption/controller";
import {
  INSTANCE_STATUS_INTERVAL_MS,
  InstanceStatusController,
} from "../cloudprovider/aws/interruption/instanceStatusController";
import type { EngineDeps } from "../kube/deps";
import type { Controller } from "./controller";

export function instanceStatus(
  deps: EngineDeps,
  o: { ec2?: Pick<EC2Client, "send"> } & Pick<InterruptionControllerDeps, "onDisrupted">,
): Controller[] {
  const { ec2 } = o;
  if (!ec2) return [];
  const log = deps.log.child({ controller: "interruption.instancestatus" });
  const controller = new InstanceStatusController({
    list: () => listUnhealthyInstances(ec2, deps.clock.now()),
    actions: interruptionActions({ ...deps, log, onDisrupted: o.onDisrupted }),
    metrics: deps.metrics,
    log,
  });
  let inFlight: Promise<void> | undefined;
  // One poll at a time (a singleton, as Karpenter's): the start poll may still run when the timer fires.
  const run = () =>
    (inFlight ??= controller
      .reconcile()
      .catch((e) => log.error({ error: String((e as Error)?.message ?? e) }, "reconciler error"))
      .finally(() => (inFlight = undefined)));
  return [
    {
      name: "interruption.instancestatus",
      // The first poll at start (Karpenter's singleton reconciles at once), not awaited: it never holds up the others.
      start: () => void run(),
      every: { ms: INSTANCE_STATUS_INTERVAL_MS, run },
      stop: () => inFlight,
    },
  ];
}
