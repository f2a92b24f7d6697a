// Binds the interruption handler to the cluster: instance id → NodeClaim via the cluster state, cordon (the
// karpenter.sh/disrupted taint) + delete the NodeClaim (the termination finalizer drains it; the provisioner
// pre-spins capacity for the pods of deleting nodes), ICE-cache interrupted spot offerings, record events and
// metrics. `startInterruptionController` runs the SQS long-poll loop until `stop()`.
import type { SQSClient } from "@aws-sdk/client-sqs";
import { addDisruptedTaint } from "../../../disruption/taints";
import { ClusterState } from "../../../kube/clusterState";
import { Kinds, type KubeObject } from "../../../kube/client";
import { involvedNodeClaim } from "../../../lifecycle/constants";
import { countNodeClaimDisrupted } from "../../../disruption/disruptedMetric";
import { annotateTerminationTimestamp } from "../../../lifecycle/nodeHealth";
import { realClock } from "../../../kube/clock";
import type { NodeClaim } from "../../../apis/generated/nodeclaims";
import {
  InterruptionHandler,
  karpenterKind,
  type InterruptedNodeClaim,
  type InterruptionActions,
  type InterruptionReason,
  type QueueMessage,
} from "./handler";
import { parseInterruptionMessage, type InterruptionEvent } from "./messages";
import { SqsInterruptionQueue, runInterruptionLoop } from "./sqsPoller";
import type { EngineDeps } from "../../../kube/deps";

export interface InterruptionControllerDeps
  extends Pick<EngineDeps, "client" | "state" | "log" | "metrics" | "events">,
    Partial<Pick<EngineDeps, "clock">> {
  /** The provider's ICE cache (AWS: `unavailableOfferings.markUnavailable`). */
  markUnavailable?: (instanceType: string, zone: string, capacityType: string, reason: string) => void;
  /** The provider's capacity-reservation availability (AWS: `capacityReservations.markUnavailable`). */
  markReservationUnavailable?: (reservationID: string) => void;
  /** Called after a NodeClaim was deleted so the provisioner pre-spins capacity for its pods. */
  onDisrupted?: () => void;
}

/** The NodeClaim whose providerID names this instance (aws:///<zone>/<instance-id>). */
export function nodeClaimForInstance(state: ClusterState, instanceId: string): InterruptedNodeClaim | undefined {
  for (const sn of state.stateNodes()) {
    const nc = sn.nodeClaim;
    const pid = nc?.status?.providerID as string | undefined;
    if (!pid || pid.split("/").pop() !== instanceId) continue;
    const l = nc!.metadata.labels ?? {};
    return {
      name: nc!.metadata.name!,
      instanceType: l["node.kubernetes.io/instance-type"] ?? "",
      zone: l["topology.kubernetes.io/zone"] ?? "",
      capacityType: l["karpenter.sh/capacity-type"] ?? "",
      ...(l["karpenter.k8s.aws/capacity-reservation-id"]
        ? { reservationID: l["karpenter.k8s.aws/capacity-reservation-id"] }
        : {}),
      deleting: !!nc!.metadata.deletionTimestamp,
    };
  }
  return undefined;
}

/**
 * karpenter_interruption_received_messages_total's message_type: Karpenter's message kind (`instance_stopped` /
 * `instance_terminated` for state changes); an event it has no parser for is `no_op`; a body that is not JSON
 * fails Karpenter's parse and is deleted uncounted (undefined).
 */
export function receivedMessageType(event: InterruptionEvent): string | undefined {
  if (event.kind === "unknown") return /not JSON|not a JSON object/.test(event.reason) ? undefined : "no_op";
  if (event.kind === "noop") return "no_op";
  return karpenterKind(event);
}

/** Acting on an interruption in this cluster: the part the SQS and instance-status controllers share. */
export function interruptionActions(deps: InterruptionControllerDeps): InterruptionActions {
  const { client, state, log, metrics, events } = deps;
  // As Karpenter: a Warning on the NodeClaim and on its Node, each de-duplicated per object.
  const publishOnBoth = (
    nc: NodeClaim | undefined,
    node: KubeObject | undefined,
    reason: string,
    onNodeClaim: string,
    onNode: string,
  ) => {
    if (nc)
      events.publish({
        involved: involvedNodeClaim(nc),
        type: "Warning",
        reason,
        message: onNodeClaim,
        dedupeValues: [nc.metadata.uid ?? nc.metadata.name!],
      });
    if (node)
      events.publish({
        involved: { apiVersion: "v1", kind: "Node", name: node.metadata.name!, uid: node.metadata.uid },
        type: "Warning",
        reason,
        message: onNode,
        dedupeValues: [node.metadata.uid ?? node.metadata.name!],
      });
  };
  return {
    nodeClaimForInstance: async (id) => nodeClaimForInstance(state, id),
    cordonAndDisrupt: async (ref: InterruptedNodeClaim, reason: InterruptionReason, kind: string) => {
      const paired = state.stateNodeForNodeClaim(ref.name);
      const nc = paired?.nodeClaim;
      if (!nc) return;
      const node = paired.node;
      if (node) await addDisruptedTaint(client, state, node.metadata.name, log);
      await client.delete(Kinds.NodeClaim, ref.name);
      publishOnBoth(
        nc,
        node,
        "TerminatingOnInterruption",
        "Interruption triggered termination for the NodeClaim",
        "Interruption triggered termination for the Node",
      );
      countNodeClaimDisrupted(metrics, kind, nc);
      log.info(
        { NodeClaim: { name: ref.name }, Node: node ? { name: node.metadata.name } : undefined, reason },
        "initiating delete from interruption message",
      );
      deps.onDisrupted?.();
    },
    forceTermination: async (ref) => {
      const nc = state.nodeClaims.get(ref.name);
      if (nc)
        await annotateTerminationTimestamp(deps, nc as NodeClaim, (deps.clock ?? realClock).now(), { ifAbsent: true });
    },
    markUnavailable: (it, zone, ct) => deps.markUnavailable?.(it, zone, ct, "SpotInterruption"),
    markReservationUnavailable: (id) => deps.markReservationUnavailable?.(id),
    recordEvent: (ref, reason, message) => {
      const paired = state.stateNodeForNodeClaim(ref.name);
      publishOnBoth(paired?.nodeClaim ?? state.nodeClaims.get(ref.name), paired?.node, reason, message, message);
    },
    log: { info: (o, m) => log.info(o, m), warn: (o, m) => log.warn(o, m) },
  };
}

export function makeInterruptionHandler<M extends QueueMessage>(
  deps: InterruptionControllerDeps,
  queue: { receive(): Promise<M[]>; deleteMessage(m: M): Promise<void> },
): InterruptionHandler<M> {
  const { metrics } = deps;
  return new InterruptionHandler<M>({
    ...interruptionActions(deps),
    receive: async () => {
      const ms = await queue.receive();
      for (const m of ms) {
        const type = receivedMessageType(parseInterruptionMessage(m.body));
        if (type) metrics.interruptionReceivedMessages.inc({ message_type: type });
      }
      return ms;
    },
    deleteMessage: async (m) => {
      // As Karpenter: how long a parsed message (handled or for an instance not ours) sat on the queue since its
      // event's time; a malformed or unrecognised one is deleted without it.
      const event = parseInterruptionMessage(m.body);
      const at = event.kind === "unknown" ? NaN : Date.parse(event.time ?? "");
      if (Number.isFinite(at))
        metrics.interruptionMessageQueueDuration.observe(Math.max(0, ((deps.clock?.now() ?? Date.now()) - at) / 1000));
      await queue.deleteMessage(m);
      metrics.interruptionDeletedMessages.inc();
    },
  });
}

export interface RunningInterruption {
  stop(): Promise<void>;
}

export function startInterruptionController(
  deps: InterruptionControllerDeps,
  sqs: Pick<SQSClient, "send">,
  queueName: string,
): RunningInterruption {
  const abort = new AbortController();
  const queue = new SqsInterruptionQueue(sqs, queueName, abort.signal);
  const handler = makeInterruptionHandler(deps, queue);
  deps.log.info({ queue: queueName }, "starting interruption controller");
  const loop = runInterruptionLoop(handler, {
    signal: abort.signal,
    onError: (err) =>
      deps.log.error(
        { queue: queueName, error: String((err as Error)?.message ?? err) },
        "failed polling interruption queue",
      ),
  });
  return {
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
