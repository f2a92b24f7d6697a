// Processes one batch of interruption messages. Crash-safety: a message is deleted only after every action it
// implies succeeded, so a crash (or a failed API call) leaves it on the queue to be redelivered; actions are
// idempotent (cordoning an already-disrupting NodeClaim is a no-op), so duplicates are harmless. Unknown or
// malformed messages and events for instances we do not manage are logged and deleted. `actOnInterruption` is the
// action on one event, shared with the instance-status controller (Karpenter's InterruptionHandler).
import { parseInterruptionMessage, type InterruptionEvent } from "./messages";
import { mapConcurrently } from "../../../kube/parallelize";

/** Messages of one receive handled at once (Karpenter's interruption controller: 10). */
const MESSAGE_PARALLELISM = 10;

export interface QueueMessage {
  messageId?: string;
  body: string;
  receiptHandle?: string;
}

/** The NodeClaim behind an instance, as far as interruption handling needs it. */
export interface InterruptedNodeClaim {
  name: string;
  instanceType: string;
  zone: string;
  capacityType: string;
  /** Its karpenter.k8s.aws/capacity-reservation-id label (reserved NodeClaims). */
  reservationID?: string;
  /** Already being deleted/disrupted: nothing more to do. */
  deleting?: boolean;
}

/** Event reasons and messages as in Karpenter AWS's interruption events (pkg/controllers/interruption/events). */
export const INTERRUPTION_EVENTS = {
  SpotInterrupted: "Spot interruption warning was triggered",
  SpotRebalanceRecommendation: "Spot rebalance recommendation was triggered",
  InstanceUnhealthy: "An unhealthy warning was triggered for the instance",
  InstanceStopping: "Instance is stopping",
  InstanceTerminating: "Instance is terminating",
  CapacityReservationInstanceInterrupted: "Capacity Reservation interruption warning was triggered",
} as const;
export type InterruptionReason = keyof typeof INTERRUPTION_EVENTS;

/** What acting on an interruption needs from the cluster, whichever source (SQS, DescribeInstanceStatus) reported it. */
export interface InterruptionActions {
  nodeClaimForInstance(instanceId: string): Promise<InterruptedNodeClaim | undefined>;
  /**
   * Taint/cordon, pre-spin a replacement and delete the NodeClaim (the termination finalizer drains it); `kind` is
   * Karpenter's message kind, the reason karpenter_nodeclaims_disrupted_total counts it under.
   */
  cordonAndDisrupt(nodeClaim: InterruptedNodeClaim, reason: InterruptionReason, kind: string): Promise<void>;
  /**
   * Karpenter's ForcefulTermination (failed instance/system status checks): the termination timestamp set to now
   * unless already set, so the drain ignores PDBs; the instance is broken and a graceful drain may never finish.
   */
  forceTermination?(nodeClaim: InterruptedNodeClaim): Promise<void>;
  /** ICE-cache the offering so the replacement is not launched into the same spot pool. */
  markUnavailable(instanceType: string, zone: string, capacityType: string): void | Promise<void>;
  /** The reservation is being reclaimed: no launch into it until EC2's next count (Karpenter's MarkUnavailable). */
  markReservationUnavailable?(reservationID: string): void;
  recordEvent?(nodeClaim: InterruptedNodeClaim, reason: InterruptionReason, message: string): void | Promise<void>;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface InterruptionDeps<M extends QueueMessage = QueueMessage> extends InterruptionActions {
  receive(): Promise<M[]>;
  deleteMessage(message: M): Promise<void>;
}

export type MessageOutcome =
  /** `found`: at least one instance had a NodeClaim (Karpenter's handleMessage result). */
  | { status: "handled"; event: InterruptionEvent; actions: string[]; found: boolean }
  | { status: "ignored"; event: InterruptionEvent; reason: string }
  | { status: "failed"; event: InterruptionEvent; error: string };

export interface BatchResult {
  received: number;
  deleted: number;
  outcomes: MessageOutcome[];
}

function reasonFor(event: InterruptionEvent): InterruptionReason | undefined {
  switch (event.kind) {
    case "spotInterruption":
      return "SpotInterrupted";
    case "rebalanceRecommendation":
      return "SpotRebalanceRecommendation";
    case "scheduledChange":
    case "instanceStatus":
    case "systemStatus":
    case "eventStatus":
      return "InstanceUnhealthy";
    case "capacityReservationInterruption":
      return "CapacityReservationInstanceInterrupted";
    case "stateChange":
      return event.state === "stopping" || event.state === "stopped" ? "InstanceStopping" : "InstanceTerminating";
    default:
      return undefined;
  }
}

export class InterruptionHandler<M extends QueueMessage = QueueMessage> {
  constructor(private readonly deps: InterruptionDeps<M>) {}

  /** Receive one batch (long poll), handle each message, delete the ones fully handled. */
  async processBatch(): Promise<BatchResult> {
    const messages = await this.deps.receive();
    const result: BatchResult = { received: messages.length, deleted: 0, outcomes: [] };
    // Up to 10 messages at once, as Karpenter (workqueue.ParallelizeUntil(ctx, 10, ...)); outcomes in queue order.
    result.outcomes = await mapConcurrently(messages, MESSAGE_PARALLELISM, async (m) => {
      const outcome = await this.handle(m);
      if (outcome.status === "failed") return outcome; // stays on the queue; redelivered after the visibility timeout
      try {
        await this.deps.deleteMessage(m);
        result.deleted++;
      } catch (err) {
        this.deps.log?.warn(
          { messageId: m.messageId, err: String(err) },
          "failed to delete interruption message; it will be redelivered",
        );
      }
      return outcome;
    });
    return result;
  }

  async handle(message: M): Promise<MessageOutcome> {
    const event = parseInterruptionMessage(message.body);
    if (event.kind === "unknown" || event.kind === "noop") {
      const reason = event.reason;
      this.deps.log?.info({ messageId: message.messageId, kind: event.kind, reason }, "ignoring interruption message");
      return { status: "ignored", event, reason };
    }
    return actOnInterruption(this.deps, event, { messageId: message.messageId });
  }
}

/** Karpenter's message kind for an event: the reason its disruptions are counted under. */
export function karpenterKind(event: ActionableEvent): string {
  switch (event.kind) {
    case "spotInterruption":
      return "spot_interrupted";
    case "rebalanceRecommendation":
      return "rebalance_recommendation";
    case "scheduledChange":
      return "scheduled_change";
    case "capacityReservationInterruption":
      return "capacity_reservation_interrupted";
    case "stateChange":
      return event.state === "stopping" || event.state === "stopped" ? "instance_stopped" : "instance_terminated";
    case "instanceStatus":
      return "instance_status";
    case "systemStatus":
      return "system_status";
    case "eventStatus":
      return "event_status";
  }
}

export type ActionableEvent = Exclude<InterruptionEvent, { kind: "unknown" } | { kind: "noop" }>;

/**
 * Acts on every instance of one actionable event (Karpenter's InterruptionHandler.handleMessage, shared by the SQS
 * and instance-status controllers). `dryRun` only resolves the NodeClaims (`found`) and acts on none.
 */
export async function actOnInterruption(
  deps: InterruptionActions,
  event: ActionableEvent,
  o: { messageId?: string; dryRun?: boolean } = {},
): Promise<MessageOutcome> {
  const { messageId } = o;
  const reason = reasonFor(event)!;
  const forceful = event.kind === "instanceStatus" || event.kind === "systemStatus";
  const actions: string[] = [];
  let found = false;
  try {
    for (const instanceId of event.instanceIds) {
      const nc = await deps.nodeClaimForInstance(instanceId);
      if (!nc) {
        actions.push(`${instanceId}: not managed`);
        continue;
      }
      found = true;
      if (o.dryRun) {
        actions.push(`${instanceId}: dry run, nodeclaim ${nc.name} left alone`);
        continue;
      }
      await deps.recordEvent?.(nc, reason, INTERRUPTION_EVENTS[reason]);
      if (event.kind === "spotInterruption" && nc.capacityType === "spot") {
        await deps.markUnavailable(nc.instanceType, nc.zone, "spot");
        actions.push(`${instanceId}: marked ${nc.instanceType}/${nc.zone}/spot unavailable`);
      }
      if (event.kind === "capacityReservationInterruption" && nc.reservationID && deps.markReservationUnavailable) {
        deps.markReservationUnavailable(nc.reservationID);
        actions.push(`${instanceId}: marked capacity reservation ${nc.reservationID} unavailable`);
      }
      if (event.kind === "rebalanceRecommendation") {
        actions.push(`${instanceId}: event only`);
        continue;
      }
      // As Karpenter: the termination timestamp even on a NodeClaim already deleting, so a long
      // terminationGracePeriod does not keep a broken instance draining.
      if (forceful) await deps.forceTermination?.(nc);
      if (nc.deleting) {
        actions.push(`${instanceId}: nodeclaim ${nc.name} already disrupting`);
        continue;
      }
      await deps.cordonAndDisrupt(nc, reason, karpenterKind(event));
      actions.push(`${instanceId}: cordoned and disrupting nodeclaim ${nc.name}`);
    }
  } catch (err) {
    deps.log?.warn(
      { messageId, kind: event.kind, err: String(err) },
      "interruption action failed; message kept for retry",
    );
    return { status: "failed", event, error: String(err instanceof Error ? err.message : err) };
  }
  deps.log?.info({ messageId, kind: event.kind, actions }, "handled interruption message");
  return { status: "handled", event, actions, found };
}
