// The interruption handler bound to the cluster (instance → NodeClaim via state, cordon + delete, ICE cache,
// message deletion), and the controllers running the SQS loop when INTERRUPTION_QUEUE is set and stopping it.
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { request } from "node:http";
import { startControllers } from "../../../../src/controllers";
import { Kinds } from "../../../../src/kube/client";
import { EventRecorder } from "../../../../src/kube/events";
import { MemoryKubeClient } from "../../../../src/kube/memoryClient";
import { makeInterruptionHandler, nodeClaimForInstance } from "../../../../src/cloudprovider/aws/interruption/controller";
import { createLogger, silentLogger } from "../../../../src/log";
import { Metrics } from "../../../../src/metrics";
import { FakeCloud, LogCapture, miniCluster, nodeClass, nodePool, pendingPod, registerNode, setNodeReady, testSettings } from "../../lifecycle/fakes";
import { FakeClock } from "../../../../src/kube/clock";

const spotWarning = (instanceId: string) => JSON.stringify({
  version: "0", id: "e-1", "detail-type": "EC2 Spot Instance Interruption Warning", source: "aws.ec2", account: "1", time: "2025-01-01T00:00:00Z",
  region: "us-east-1", resources: [`arn:aws:ec2:us-east-1:1:instance/${instanceId}`], detail: { "instance-id": instanceId, "instance-action": "terminate" },
});

describe("interruption controller", () => {
  it("maps the instance to its NodeClaim, cordons the node, deletes the NodeClaim, ICE-caches the spot offering and deletes the message", async () => {
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    await mc.client.create(Kinds.Pod, pendingPod("p0"));
    await mc.tick(1_500);
    const nc = mc.client.objects(Kinds.NodeClaim)[0]!;
    const pid = nc.status.providerID as string;
    await registerNode(mc.client, pid, "n1");
    await mc.tick(10);
    await setNodeReady(mc.client, "n1");
    await mc.tick(10);
    const instanceId = pid.split("/").pop()!;
    expect(nodeClaimForInstance(mc.controllers.state, instanceId)?.name).toBe(nc.metadata.name);

    const marked: string[] = [];
    const deleted: string[] = [];
    const queue = {
      messages: [{ messageId: "m1", body: spotWarning(instanceId), receiptHandle: "r1" }, { messageId: "m2", body: "not json", receiptHandle: "r2" }, { messageId: "m3", body: spotWarning("i-0000dead"), receiptHandle: "r3" }],
      async receive() { const m = this.messages; this.messages = []; return m; },
      async deleteMessage(m: { receiptHandle?: string }) { deleted.push(m.receiptHandle!); },
    };
    let disrupted = 0;
    const metrics = new Metrics();
    const handler = makeInterruptionHandler({
      client: mc.client, state: mc.controllers.state, log: silentLogger(), metrics, events: new EventRecorder(mc.client, { clock: mc.clock }),
      markUnavailable: (t, z, c) => marked.push(`${t}/${z}/${c}`), onDisrupted: () => disrupted++,
    }, queue);
    const nodeTaints: unknown[] = [];
    mc.client.watch((kind, obj) => { if (kind.kind === "Node") nodeTaints.push(...(obj.spec?.taints ?? [])); });
    const res = await handler.processBatch();
    expect(res.deleted).toBe(3); // handled, malformed and unmanaged messages are all deleted
    expect(deleted.sort()).toEqual(["r1", "r2", "r3"]);
    expect(marked).toEqual([`${nc.metadata.labels!["node.kubernetes.io/instance-type"]}/us-east-1a/spot`]);
    expect(disrupted).toBe(1);
    const after = mc.client.objects(Kinds.NodeClaim).find(c => c.metadata.name === nc.metadata.name);
    expect(after === undefined || after.metadata.deletionTimestamp !== undefined).toBe(true);
    expect(nodeTaints).toContainEqual({ key: "karpenter.sh/disrupted", effect: "NoSchedule" });
    expect(mc.client.events.some(e => e.reason === "SpotInterrupted")).toBe(true);
    expect(await metrics.registry.metrics()).toMatch(/karpenter_interruption_received_messages_total\{message_type="spot_interrupted"\} 2/);
    expect(await metrics.registry.metrics()).not.toMatch(/karpenter_interruption_received_messages_total\{message_type="(unknown|no_op)"\}/); // "not json": uncounted
    // Disruptions counted under the message's kind, as Karpenter's deleteNodeClaim (not one "interruption" reason).
    expect(await metrics.registry.metrics()).toMatch(/karpenter_nodeclaims_disrupted_total\{[^}]*reason="spot_interrupted"[^}]*\} 1/);
    // The drain runs through the finalizer; the instance is terminated.
    for (let i = 0; i < 5; i++) await mc.tick(5_000);
    expect(mc.cloud.running().map(i => i.providerID)).not.toContain(pid);
  });

  it("keeps a message whose action failed on the queue (redelivered later)", async () => {
    const client = new MemoryKubeClient();
    const mc = await miniCluster({ client, seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    await mc.client.create(Kinds.Pod, pendingPod("p0"));
    await mc.tick(1_500);
    const nc = mc.client.objects(Kinds.NodeClaim)[0]!;
    const id = (nc.status.providerID as string).split("/").pop()!;
    const deleted: string[] = [];
    const queue = {
      messages: [{ messageId: "m1", body: spotWarning(id), receiptHandle: "r1" }],
      async receive() { const m = this.messages; this.messages = []; return m; },
      async deleteMessage(m: { receiptHandle?: string }) { deleted.push(m.receiptHandle!); },
    };
    mc.client.failNext("delete", new Error("apiserver down"), "NodeClaim");
    const handler = makeInterruptionHandler({ client: mc.client, state: mc.controllers.state, log: silentLogger(), metrics: new Metrics(), events: new EventRecorder(mc.client) }, queue);
    const res = await handler.processBatch();
    expect(res.outcomes[0]!.status).toBe("failed");
    expect(deleted).toEqual([]);
  });
});

describe("controllers", () => {
  it("poll the interruption queue when INTERRUPTION_QUEUE is set and stop the long poll promptly", async () => {
    const clock = new FakeClock();
    let receives = 0;
    const sqs = {
      send: jest.fn(async (cmd: unknown, opts?: { abortSignal?: AbortSignal }) => {
        if (cmd instanceof GetQueueUrlCommand) return { QueueUrl: "http://sqs.local/q" };
        if (cmd instanceof DeleteMessageCommand) return {};
        if (cmd instanceof ReceiveMessageCommand) {
          receives++;
          // A long poll that only ends when aborted, like SQS with WaitTimeSeconds=20 and no messages.
          return new Promise((_, reject) => opts?.abortSignal?.addEventListener("abort", () => reject(new Error("aborted"))));
        }
        return {};
      }),
    };
    const logs = new LogCapture();
    const c = await startControllers(testSettings({ INTERRUPTION_QUEUE: "capsicum", METRICS_PORT: "0" }), {
      client: new MemoryKubeClient(clock), cloud: new FakeCloud(clock), clock, sqs: sqs as never, log: createLogger({ level: "debug", destination: logs }),
    });
    await new Promise(r => setImmediate(r));
    expect(receives).toBe(1);
    expect(c.metricsPort).toBeUndefined(); // METRICS_PORT=0 disables the server
    const t0 = Date.now();
    await c.stop();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(logs.messages("failed polling interruption queue")).toHaveLength(0);
  });

  it("serve the registry at /metrics on METRICS_PORT", async () => {
    const clock = new FakeClock();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const c = await startControllers(testSettings({ METRICS_PORT: String(port) }), { client: new MemoryKubeClient(clock), cloud: new FakeCloud(clock), clock, log: silentLogger() });
    try {
      expect(c.metricsPort).toBe(port);
      const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        request({ host: "127.0.0.1", port, path: "/metrics" }, res => {
          let text = "";
          res.on("data", d => (text += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        }).on("error", reject).end();
      });
      expect(body.status).toBe(200);
      expect(body.text).toMatch(/karpenter_cluster_state_synced 1/);
    } finally {
      await c.stop();
    }
  });
});
