// Karpenter AWS's interruption.instancestatus controller: every minute the instances DescribeInstanceStatus
// reports unhealthy are handled as interruption messages, one per status category, through the same actions as
// the SQS path (failed instance/system checks: forceful termination; scheduled events: cordon and drain). It
// needs no interruption queue, only ec2:DescribeInstanceStatus; without that permission it logs and keeps going.
// karpenter_interruption_instance_status_unhealthy_total counts each instance+category of ours once while it
// stays reported; once EC2 stops reporting it, it is forgotten, so a relapse counts again.
import type { Logger } from "../../../log";
import type { Metrics } from "../../../metrics";
import { isUnauthorizedOperation, type InstanceHealth, type StatusCategory } from "../instanceStatus";
import { mapConcurrently } from "../../../kube/parallelize";
import { actOnInterruption, type InterruptionActions } from "./handler";

export const INSTANCE_STATUS_INTERVAL_MS = 60_000;
/** Unhealthy instances handled at once (Karpenter's controller: workqueue.ParallelizeUntil(ctx, 10, ...)). */
const PARALLELISM = 10;

const KIND = { InstanceStatus: "instanceStatus", SystemStatus: "systemStatus", EventStatus: "eventStatus" } as const;

export interface InstanceStatusDeps {
  list(): Promise<InstanceHealth[]>;
  actions: InterruptionActions;
  metrics: Pick<Metrics, "interruptionInstanceStatusUnhealthy">;
  log: Pick<Logger, "info" | "error">;
  /** Only count and log unhealthy instances; cordon and delete nothing (Karpenter's InstanceStatusDryRun). */
  dryRun?: boolean;
}

export class InstanceStatusController {
  /** `instance/category` keys counted while EC2 keeps reporting them. */
  private readonly seen = new Set<string>();

  constructor(private readonly deps: InstanceStatusDeps) {}

  /** One poll. Throws when the call or an action failed (the loop logs it and polls again next interval). */
  async reconcile(): Promise<void> {
    const { deps } = this;
    let statuses: InstanceHealth[];
    try {
      statuses = await deps.list();
    } catch (e) {
      if (!isUnauthorizedOperation(e))
        throw new Error(`getting instance statuses, ${String((e as Error)?.message ?? e)}`);
      deps.log.error(
        { error: String((e as Error)?.message ?? e) },
        "ec2:DescribeInstanceStatus permission is not allowed, update the IAM policy and restart the Karpenter deployment to enable instance status health checks",
      );
      return;
    }
    const current = new Set<string>();
    const errors: string[] = [];
    await mapConcurrently(statuses, PARALLELISM, async (s) => {
      for (const category of new Set(s.details.map((d) => d.category))) {
        const event = {
          kind: KIND[category],
          instanceIds: [s.instanceId],
          time: new Date(s.impairedSince).toISOString(),
        };
        const outcome = await actOnInterruption(deps.actions, event, { dryRun: deps.dryRun });
        if (outcome.status === "failed") {
          errors.push(`${s.instanceId} ${category}: ${outcome.error}`);
          return; // as Karpenter: the instance's other categories wait for the next poll
        }
        if (outcome.status === "handled" && outcome.found) this.record(s.instanceId, category, current);
      }
    });
    // Forget what EC2 no longer reports, so the same instance failing again later is counted again.
    for (const key of this.seen) if (!current.has(key)) this.seen.delete(key);
    if (errors.length) throw new Error(`handling instance status check message, ${errors.join("; ")}`);
  }

  private record(instanceId: string, category: StatusCategory, current: Set<string>): void {
    const key = `${instanceId}/${category}`;
    current.add(key);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.deps.log.info({ instanceID: instanceId, category }, "detected unhealthy instance owned by cluster");
    this.deps.metrics.interruptionInstanceStatusUnhealthy.inc({ category });
  }
}
