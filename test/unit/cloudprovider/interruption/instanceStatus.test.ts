// Modelled on Karpenter AWS's interruption suite (instance status checks) and pkg/providers/instancestatus: the
// DescribeInstanceStatus answer is faked, the cluster is a memory apiserver mirrored into the cluster state.
import { DescribeInstanceStatusCommand, type DescribeInstanceStatusCommandInput, type InstanceStatus } from "@aws-sdk/client-ec2";
import { listUnhealthyInstances } from "../../../../src/cloudprovider/aws/instanceStatus";
import { interruptionActions } from "../../../../src/cloudprovider/aws/interruption/controller";
import { InstanceStatusController } from "../../../../src/cloudprovider/aws/interruption/instanceStatusController";
import { instanceStatus } from "../../../../src/controllers/instanceStatus";
import { Kinds, type KubeObject } from "../../../../src/kube/client";
import { FakeClock } from "../../../../src/kube/clock";
import { ClusterState } from "../../../../src/kube/clusterState";
import { EventRecorder } from "../../../../src/kube/events";
import { MemoryKubeClient } from "../../../../src/kube/memoryClient";
import { Metrics } from "../../../../src/metrics";
import { LogCapture } from "../../lifecycle/fakes";
import { createLogger } from "../../../../src/log";

const HOUR = 3_600_000;
const failed = (since: Date) => ({ Status: "impaired" as const, Details: [{ Name: "reachability" as const, Status: "failed" as const, ImpairedSince: since }] });
const initializing = { Status: "initializing" as const, Details: [{ Name: "reachability" as const, Status: "initializing" as const }] };

async function setup(o: { dryRun?: boolean; instances?: string[]; finalizer?: boolean } = {}) {
  const clock = new FakeClock(Date.parse("2026-03-02T10:00:00Z"));
  const client = new MemoryKubeClient(clock);
  const state = new ClusterState();
  client.watch((kind, obj, phase) => state.apply(kind.kind as never, obj, phase === "DELETED" ? "DELETED" : "MODIFIED"));
  state.markSynced();
  for (const id of o.instances ?? ["i-0000000000000001"]) {
    const providerID = `aws:///us-east-1a/${id}`;
    await client.create(Kinds.NodeClaim, {
      apiVersion: "karpenter.sh/v1", kind: "NodeClaim",
      metadata: { name: `nc-${id}`, labels: { "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": "on-demand" }, ...(o.finalizer ? { finalizers: ["testing/finalizer"] } : {}) },
      spec: {}, status: { providerID },
    } as KubeObject);
    await client.create(Kinds.Node, { apiVersion: "v1", kind: "Node", metadata: { name: `node-${id}` }, spec: { providerID } } as KubeObject);
  }
  let answer: InstanceStatus[] = [];
  const calls: DescribeInstanceStatusCommandInput[] = [];
  let error: Error | undefined;
  const ec2 = {
    send: async (cmd: unknown) => {
      if (!(cmd instanceof DescribeInstanceStatusCommand)) throw new Error("unexpected call");
      calls.push(cmd.input);
      if (error) throw error;
      return { InstanceStatuses: answer };
    },
  };
  const metrics = new Metrics();
  const logs = new LogCapture();
  const log = createLogger({ level: "info", destination: logs });
  const controller = new InstanceStatusController({
    list: () => listUnhealthyInstances(ec2, clock.now()),
    actions: interruptionActions({ client, state, log, metrics, events: new EventRecorder(client, { clock }), clock }),
    metrics, log, dryRun: o.dryRun,
  });
  const unhealthy = async (category: string) =>
    Number(new RegExp(`^karpenter_interruption_instance_status_unhealthy_total\\{category="${category}"\\} (\\d+)$`, "m").exec(await metrics.registry.metrics())?.[1] ?? 0);
  const disrupted = async (reason: string) =>
    Number(new RegExp(`^karpenter_nodeclaims_disrupted_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)$`, "m").exec(await metrics.registry.metrics())?.[1] ?? 0);
  return {
    clock, client, controller, calls, logs, unhealthy, disrupted,
    report: (s: InstanceStatus[]) => { answer = s; },
    fail: (e: Error | undefined) => { error = e; },
    nodeClaim: (id = "i-0000000000000001") => client.objects(Kinds.NodeClaim).find(c => c.metadata.name === `nc-${id}`),
    node: (id = "i-0000000000000001") => client.objects(Kinds.Node).find(n => n.metadata.name === `node-${id}`),
  };
}

const ID = "i-0000000000000001";

describe("interruption.instancestatus", () => {
  it("asks EC2 with three OR'd filter sets: instance status impaired, system status impaired, scheduled event codes", async () => {
    const t = await setup();
    await t.controller.reconcile();
    expect(t.calls.map(c => c.Filters)).toEqual([
      [{ Name: "instance-status.status", Values: ["impaired"] }],
      [{ Name: "system-status.status", Values: ["impaired"] }],
      [{ Name: "event.code", Values: ["instance-reboot", "system-reboot", "system-maintenance", "instance-retirement", "instance-stop"] }],
    ]);
    expect(t.calls.every(c => c.IncludeAllInstances === undefined)).toBe(true);
  });

  it("forcefully terminates the NodeClaim on a system status check failure (an initializing instance check is ignored)", async () => {
    const t = await setup();
    t.report([{ InstanceId: ID, SystemStatus: failed(new Date(t.clock.now())), InstanceStatus: initializing }]);
    await t.clock.advance(HOUR);
    await t.controller.reconcile();
    expect(t.nodeClaim()).toBeUndefined();
    expect(await t.disrupted("system_status")).toBe(1);
    expect(await t.unhealthy("SystemStatus")).toBe(1);
    expect(await t.unhealthy("InstanceStatus")).toBe(0);
    expect(t.node()!.spec.taints).toContainEqual({ key: "karpenter.sh/disrupted", effect: "NoSchedule" });
    // Karpenter's events, on the NodeClaim and on its Node.
    await new Promise(r => setImmediate(r));
    const events = t.client.events.map(e => { const o = e.involvedObject as { kind: string; name: string }; return `${o.kind}/${o.name} ${e.reason}: ${e.message}`; }).sort();
    expect(events).toEqual([
      `Node/node-${ID} InstanceUnhealthy: An unhealthy warning was triggered for the instance`,
      `Node/node-${ID} TerminatingOnInterruption: Interruption triggered termination for the Node`,
      `NodeClaim/nc-${ID} InstanceUnhealthy: An unhealthy warning was triggered for the instance`,
      `NodeClaim/nc-${ID} TerminatingOnInterruption: Interruption triggered termination for the NodeClaim`,
    ]);
  });

  it("forcefully terminates on an instance status check failure: termination timestamp set, then deleted", async () => {
    const t = await setup({ finalizer: true });
    t.report([{ InstanceId: ID, InstanceStatus: failed(new Date(t.clock.now())) }]);
    await t.clock.advance(HOUR);
    await t.controller.reconcile();
    const nc = t.nodeClaim()!;
    expect(nc.metadata.deletionTimestamp).toBeDefined();
    expect(nc.metadata.annotations?.["karpenter.sh/nodeclaim-termination-timestamp"]).toBe("2026-03-02T11:00:00Z");
    expect(await t.disrupted("instance_status")).toBe(1);
    expect(await t.unhealthy("InstanceStatus")).toBe(1);
    // Not re-annotated (nor re-deleted) on the next poll.
    const rv = nc.metadata.resourceVersion;
    await t.clock.advance(60_000);
    await t.controller.reconcile();
    expect(t.nodeClaim()!.metadata.resourceVersion).toBe(rv);
    expect(await t.disrupted("instance_status")).toBe(1);
  });

  it("cordons and drains on a scheduled event without the termination timestamp, and no threshold applies", async () => {
    const t = await setup({ finalizer: true });
    t.report([{ InstanceId: ID, Events: [{ Code: "instance-retirement" }] }]);
    await t.controller.reconcile();
    const nc = t.nodeClaim()!;
    expect(nc.metadata.deletionTimestamp).toBeDefined();
    expect(nc.metadata.annotations?.["karpenter.sh/nodeclaim-termination-timestamp"]).toBeUndefined();
    expect(await t.disrupted("event_status")).toBe(1);
    expect(await t.unhealthy("EventStatus")).toBe(1);
  });

  it("a failed check and a scheduled event together: one message per category, forceful termination wins", async () => {
    const t = await setup({ finalizer: true });
    t.report([{ InstanceId: ID, SystemStatus: failed(new Date(t.clock.now())), Events: [{ Code: "instance-retirement" }] }]);
    await t.clock.advance(HOUR);
    await t.controller.reconcile();
    expect(t.nodeClaim()!.metadata.annotations).toHaveProperty(["karpenter.sh/nodeclaim-termination-timestamp"]);
    expect(await t.unhealthy("SystemStatus")).toBe(1);
    expect(await t.unhealthy("EventStatus")).toBe(1);
  });

  it("ignores a failed check younger than two minutes (UnhealthyThreshold)", async () => {
    const t = await setup();
    t.report([{ InstanceId: ID, InstanceStatus: failed(new Date(t.clock.now())) }]);
    await t.clock.advance(119_000);
    await t.controller.reconcile();
    expect(t.nodeClaim()).toBeDefined();
    expect(await t.unhealthy("InstanceStatus")).toBe(0);
    await t.clock.advance(1_000);
    await t.controller.reconcile();
    expect(t.nodeClaim()).toBeUndefined();
  });

  it("dry run: counts the metric but deletes nothing", async () => {
    const t = await setup({ dryRun: true });
    t.report([{ InstanceId: ID, InstanceStatus: failed(new Date(t.clock.now())) }]);
    await t.clock.advance(HOUR);
    await t.controller.reconcile();
    expect(await t.unhealthy("InstanceStatus")).toBe(1);
    expect(t.nodeClaim()!.metadata.deletionTimestamp).toBeUndefined();
    expect(t.node()!.spec.taints ?? []).toEqual([]);
  });

  it("counts an instance+category once across polls, each unique instance once", async () => {
    const t = await setup({ dryRun: true, instances: [ID, "i-0000000000000002"] });
    t.report([ID, "i-0000000000000002"].map(id => ({ InstanceId: id, InstanceStatus: failed(new Date(t.clock.now())) })));
    await t.clock.advance(HOUR);
    for (let i = 0; i < 3; i++) await t.controller.reconcile();
    expect(await t.unhealthy("InstanceStatus")).toBe(2);
    expect(t.logs.messages("detected unhealthy instance owned by cluster")).toHaveLength(2);
  });

  it("counts again once an instance recovered (pruned when no longer reported) and fails again", async () => {
    const t = await setup({ dryRun: true });
    const bad = [{ InstanceId: ID, InstanceStatus: failed(new Date(t.clock.now())) }];
    t.report(bad);
    await t.clock.advance(HOUR);
    await t.controller.reconcile();
    await t.controller.reconcile();
    expect(await t.unhealthy("InstanceStatus")).toBe(1);
    t.report([]);
    await t.controller.reconcile();
    expect(await t.unhealthy("InstanceStatus")).toBe(1);
    t.report(bad);
    await t.controller.reconcile();
    expect(await t.unhealthy("InstanceStatus")).toBe(2);
  });

  it("ignores an unhealthy instance that is not ours (no NodeClaim): no action, no metric", async () => {
    const t = await setup();
    t.report([{ InstanceId: "i-00000000000000ff", InstanceStatus: failed(new Date(t.clock.now())), Events: [{ Code: "system-reboot" }] }]);
    await t.clock.advance(HOUR);
    await t.controller.reconcile();
    expect(t.nodeClaim()).toBeDefined();
    expect(await t.unhealthy("InstanceStatus")).toBe(0);
    expect(await t.unhealthy("EventStatus")).toBe(0);
  });

  it("UnauthorizedOperation logs the missing permission and does not fail the loop; other errors do", async () => {
    const t = await setup();
    t.fail(Object.assign(new Error("You are not authorized to perform this operation."), { name: "UnauthorizedOperation" }));
    await expect(t.controller.reconcile()).resolves.toBeUndefined();
    expect(t.logs.messages("ec2:DescribeInstanceStatus permission is not allowed, update the IAM policy and restart the Karpenter deployment to enable instance status health checks")).toHaveLength(1);
    t.fail(Object.assign(new Error("Request limit exceeded."), { name: "RequestLimitExceeded" }));
    await expect(t.controller.reconcile()).rejects.toThrow(/getting instance statuses, Request limit exceeded/);
    // The permission granted later: the next poll acts.
    t.fail(undefined);
    t.report([{ InstanceId: ID, Events: [{ Code: "instance-stop" }] }]);
    await t.controller.reconcile();
    expect(t.nodeClaim()).toBeUndefined();
  });

  it("merges an instance reported by several filter calls into one, and ignores passed and EBS checks", async () => {
    const since = new Date(Date.parse("2026-03-02T09:00:00Z"));
    const s: InstanceStatus = {
      InstanceId: ID, InstanceStatus: failed(since), SystemStatus: failed(since),
      AttachedEbsStatus: { Status: "impaired", Details: [{ Name: "reachability", Status: "failed", ImpairedSince: since }] },
    };
    const ok: InstanceStatus = { InstanceId: "i-2", InstanceStatus: { Status: "ok", Details: [{ Name: "reachability", Status: "passed" }] } };
    const ec2 = { send: async () => ({ InstanceStatuses: [s, ok] }) };
    const out = await listUnhealthyInstances(ec2, Date.parse("2026-03-02T10:00:00Z"));
    expect(out).toEqual([{
      instanceId: ID, impairedSince: since.getTime(),
      details: [
        { category: "InstanceStatus", name: "reachability", impairedSince: since.getTime() },
        { category: "SystemStatus", name: "reachability", impairedSince: since.getTime() },
      ],
    }]);
  });
});

describe("the interruption.instancestatus controller registration", () => {
  const deps = () => {
    const clock = new FakeClock();
    const client = new MemoryKubeClient(clock);
    return { client, state: new ClusterState(), clock, log: createLogger({ level: "info", destination: new LogCapture() }), metrics: new Metrics(), events: new EventRecorder(client, { clock }) };
  };
  it("is not registered without an EC2 client (not AWS)", () => {
    expect(instanceStatus(deps(), {})).toEqual([]);
  });
  it("polls at start and every minute, one poll at a time", async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>(r => (release = r));
    const ec2 = { send: async () => { calls++; await gate; return { InstanceStatuses: [] }; } };
    const [c] = instanceStatus(deps(), { ec2 });
    expect(c!.name).toBe("interruption.instancestatus");
    expect(c!.every!.ms).toBe(60_000);
    await c!.start!();
    const again = c!.every!.run(); // the timer firing while the start poll still waits on EC2
    await new Promise(r => setImmediate(r));
    expect(calls).toBe(1);
    release();
    await again;
    expect(calls).toBe(3); // the start poll's three filter calls, and no second poll
    await c!.every!.run();
    expect(calls).toBe(6);
  });
});

describe("instance status: parallelism", () => {
  it("handles up to 10 unhealthy instances at once, as Karpenter's workqueue.ParallelizeUntil(ctx, 10, ...)", async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `i-${String(i).padStart(17, "0")}`);
    let inFlight = 0;
    let peak = 0;
    const disrupted: string[] = [];
    const controller = new InstanceStatusController({
      list: async () => ids.map((instanceId) => ({ instanceId, impairedSince: 0, details: [{ category: "InstanceStatus" as const, name: "reachability", impairedSince: 0 }] })),
      actions: {
        nodeClaimForInstance: async (id) => ({ name: `nc-${id}`, instanceType: "m5.large", zone: "us-east-1a", capacityType: "on-demand" }),
        cordonAndDisrupt: async (nc) => {
          peak = Math.max(peak, ++inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          disrupted.push(nc.name);
        },
        markUnavailable: () => undefined,
      },
      metrics: new Metrics(),
      log: createLogger({ level: "info", destination: new LogCapture() }),
    });
    await controller.reconcile();
    expect(peak).toBe(10);
    expect(disrupted.sort()).toEqual(ids.map((id) => `nc-${id}`).sort());
  });
});
