// Modelled on the AWS provider's interruption suite: karpenter_interruption_message_queue_duration_seconds observes,
// for each message it parsed and processed, the time since the event's `time`; a malformed message is deleted
// without an observation.
import { makeInterruptionHandler, receivedMessageType } from "../../../src/cloudprovider/aws/interruption/controller";
import { parseInterruptionMessage } from "../../../src/cloudprovider/aws/interruption/messages";
import { rebalance, scheduledChange, stateChange } from "../cloudprovider/interruption/events";
import { ClusterState } from "../../../src/kube/clusterState";
import { FakeClock } from "../../../src/kube/clock";
import { EventRecorder } from "../../../src/kube/events";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { silentLogger } from "../../../src/log";
import { Metrics } from "../../../src/metrics";

const spotWarning = (instanceId: string, time: string) =>
  JSON.stringify({
    version: "0", id: "e-1", "detail-type": "EC2 Spot Instance Interruption Warning", source: "aws.ec2", account: "1", time,
    region: "us-east-1", resources: [`arn:aws:ec2:us-east-1:1:instance/${instanceId}`], detail: { "instance-id": instanceId, "instance-action": "terminate" },
  });

describe("karpenter_interruption_message_queue_duration_seconds", () => {
  it("observes how long each parsed message sat on the queue, not the malformed ones", async () => {
    const clock = new FakeClock(Date.parse("2025-01-01T00:00:42Z"));
    const client = new MemoryKubeClient();
    const state = new ClusterState();
    state.markSynced();
    const metrics = new Metrics();
    const queue = {
      messages: [
        { messageId: "m1", body: spotWarning("i-0000dead", "2025-01-01T00:00:00Z"), receiptHandle: "r1" },
        { messageId: "m2", body: "not json", receiptHandle: "r2" },
      ],
      async receive() { const m = this.messages; this.messages = []; return m; },
      async deleteMessage() {},
    };
    const handler = makeInterruptionHandler({ client, state, log: silentLogger(), metrics, events: new EventRecorder(client), clock }, queue);
    const res = await handler.processBatch();
    expect(res.deleted).toBe(2);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^karpenter_interruption_message_queue_duration_seconds_count 1$/m);
    expect(text).toMatch(/^karpenter_interruption_message_queue_duration_seconds_sum 42$/m);
    expect(text).toMatch(/^karpenter_interruption_message_queue_duration_seconds_bucket\{le="40"\} 0$/m);
    expect(text).toMatch(/^karpenter_interruption_message_queue_duration_seconds_bucket\{le="50"\} 1$/m);
  });
});

describe("karpenter_interruption_received_messages_total", () => {
  it("labels each message with Karpenter's message kind; a body that is not JSON is not counted", () => {
    const type = (body: unknown) => receivedMessageType(parseInterruptionMessage(typeof body === "string" ? body : JSON.stringify(body)));
    expect(type(spotWarning("i-0000dead", "2025-01-01T00:00:00Z"))).toBe("spot_interrupted");
    expect(type(rebalance)).toBe("rebalance_recommendation");
    expect(type(scheduledChange)).toBe("scheduled_change");
    expect(type(stateChange("stopping"))).toBe("instance_stopped");
    expect(type(stateChange("stopped"))).toBe("instance_stopped");
    expect(type(stateChange("shutting-down"))).toBe("instance_terminated");
    expect(type(stateChange("terminated"))).toBe("instance_terminated");
    expect(type({ ...stateChange("x"), "detail-type": "EC2 Capacity Reservation Instance Interruption Warning" })).toBe("capacity_reservation_interrupted");
    // Karpenter's parser: no parser for the event (or a state it ignores) is a no-op message, still counted.
    expect(type(stateChange("running"))).toBe("no_op");
    expect(type({ version: "0", source: "aws.s3", "detail-type": "Object Created", detail: {} })).toBe("no_op");
    expect(type("not json")).toBeUndefined();
  });
});
