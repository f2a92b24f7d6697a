import { Kinds, KubeObject } from "../../../src/kube/client";
import { KubeError } from "../../../src/kube/client";
import { FakeCloud, InsufficientCapacityError, cond, miniCluster, nodeClass, nodePool, registerNode, setNodeReady } from "./fakes";

const nodeClaim = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, labels: { "karpenter.sh/nodepool": "default" } },
  spec: {
    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
    requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }],
    resources: { requests: { cpu: "1" } },
    taints: [{ key: "dedicated", value: "batch", effect: "NoSchedule" }],
    startupTaints: [{ key: "cilium.io/agent-not-ready", effect: "NoExecute" }],
    expireAfter: "720h",
    ...spec,
  },
});

async function cluster() {
  return miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
}

describe("NodeClaim lifecycle", () => {
  it("adds the termination finalizer, launches the instance and records it in status and labels", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    const nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(nc.metadata.finalizers).toContain("karpenter.sh/termination");
    expect(cond(nc, "Launched")).toBe("True");
    expect(cond(nc, "Registered")).toBe("Unknown");
    expect(cond(nc, "Ready")).toBe("Unknown");
    expect(nc.status).toMatchObject({ providerID: "aws:///us-east-1a/i-00000001", imageID: "ami-123", allocatable: { cpu: "1930m" } });
    expect(nc.metadata.labels).toMatchObject({ "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": "us-east-1a", "karpenter.sh/capacity-type": "spot", "karpenter.sh/nodepool": "default" });
    const launched = mc.logs.messages("launched nodeclaim");
    expect(launched).toHaveLength(1);
    expect(launched[0]).toMatchObject({ level: "INFO", NodeClaim: { name: "default-abcde" }, "provider-id": "aws:///us-east-1a/i-00000001", "instance-type": "m5.large", zone: "us-east-1a", "capacity-type": "spot", allocatable: { cpu: "1930m" } });
  });

  it("registers the Node: syncs labels and taints, removes the unregistered taint, owns and finalizes it", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "ip-10-0-0-1.ec2.internal");
    await mc.tick(0);
    const node = (await mc.client.get(Kinds.Node, "ip-10-0-0-1.ec2.internal"))!;
    expect(node.metadata.labels).toMatchObject({ "karpenter.sh/registered": "true", "karpenter.sh/nodepool": "default", "node.kubernetes.io/instance-type": "m5.large" });
    expect(node.spec.taints).toEqual([{ key: "dedicated", value: "batch", effect: "NoSchedule" }, { key: "cilium.io/agent-not-ready", effect: "NoExecute" }]);
    expect(node.metadata.finalizers).toEqual(["karpenter.sh/termination"]);
    expect(node.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "NodeClaim", name: "default-abcde" })]);
    const nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Registered")).toBe("True");
    expect(nc.status.nodeName).toBe("ip-10-0-0-1.ec2.internal");
    expect(mc.logs.messages("registered nodeclaim")).toHaveLength(1);
  });

  it("initializes only once the Node is Ready and the startup taints are gone", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1");
    await mc.tick(0);
    await setNodeReady(mc.client, "n1");
    await mc.tick(0);
    let nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Initialized")).toBe("Unknown");
    expect(nc.status.conditions.find((c: { type: string }) => c.type === "Initialized").reason).toBe("StartupTaintsExist");
    await setNodeReady(mc.client, "n1", n => { n.spec.taints = n.spec.taints.filter((t: { key: string }) => t.key !== "cilium.io/agent-not-ready"); });
    await mc.tick(0);
    nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Initialized")).toBe("True");
    expect(cond(nc, "Ready")).toBe("True");
    expect((await mc.client.get(Kinds.Node, "n1"))!.metadata.labels!["karpenter.sh/initialized"]).toBe("true");
  });

  it("initializes only once the known ephemeral taints (not-ready, uninitialized...) are gone too, as Karpenter", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1");
    await mc.tick(0);
    // Ready, startup taints gone, but the node lifecycle controller has not yet removed its not-ready taint.
    await setNodeReady(mc.client, "n1", n => {
      n.spec.taints = [...n.spec.taints.filter((t: { key: string }) => t.key !== "cilium.io/agent-not-ready"), { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }];
    });
    await mc.tick(0);
    let nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Initialized")).toBe("Unknown");
    expect(nc.status.conditions.find((c: { type: string }) => c.type === "Initialized")).toMatchObject({
      reason: "KnownEphemeralTaintsExist",
      // Karpenter's formatTaint: key:effect when the taint has no value.
      message: 'KnownEphemeralTaint "node.kubernetes.io/not-ready:NoSchedule" still exists',
    });
    await setNodeReady(mc.client, "n1", n => { n.spec.taints = n.spec.taints.filter((t: { key: string }) => t.key !== "node.kubernetes.io/not-ready"); });
    await mc.tick(0);
    nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Initialized")).toBe("True");
  });

  it("a startup taint is matched by key and effect, not value (corev1 MatchTaint), and named as the Node has it", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde", { startupTaints: [{ key: "example.com/agent", value: "starting", effect: "NoSchedule" }] }));
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1");
    await mc.tick(0);
    // The agent rewrote the taint's value instead of removing it: initialization still waits.
    await setNodeReady(mc.client, "n1", n => {
      n.spec.taints = [...n.spec.taints.filter((t: { key: string }) => t.key !== "example.com/agent"), { key: "example.com/agent", value: "other", effect: "NoSchedule" }];
    });
    await mc.tick(0);
    let nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(nc.status.conditions.find((c: { type: string }) => c.type === "Initialized")).toMatchObject({
      status: "Unknown", reason: "StartupTaintsExist", message: 'StartupTaint "example.com/agent=other:NoSchedule" still exists',
    });
    // Same key, another effect: not the startup taint.
    await setNodeReady(mc.client, "n1", n => {
      n.spec.taints = [...n.spec.taints.filter((t: { key: string }) => t.key !== "example.com/agent"), { key: "example.com/agent", value: "starting", effect: "PreferNoSchedule" }];
    });
    await mc.tick(0);
    nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Initialized")).toBe("True");
  });

  it("registration keeps a Node taint of the NodeClaim taint's key and effect with its own value (Karpenter's Taints.Merge)", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    await mc.client.create(Kinds.Node, {
      metadata: { name: "n1", labels: { "kubernetes.io/hostname": "n1" } },
      spec: { providerID: "aws:///us-east-1a/i-00000001", taints: [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }, { key: "dedicated", value: "other", effect: "NoSchedule" }] },
      status: { allocatable: { cpu: "1930m", memory: "7Gi", pods: "29" }, capacity: { cpu: "2", memory: "8Gi", pods: "29" }, conditions: [{ type: "Ready", status: "False" }] },
    });
    await mc.tick(0);
    const node = (await mc.client.get(Kinds.Node, "n1"))!;
    expect(node.spec.taints).toEqual([{ key: "dedicated", value: "other", effect: "NoSchedule" }, { key: "cilium.io/agent-not-ready", effect: "NoExecute" }]);
  });

  it("deletes a NodeClaim whose Node never registers within 15 minutes, terminating its instance", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    await mc.tick(14 * 60_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeDefined();
    await mc.tick(60_000);
    await mc.tick(10_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
    expect(mc.cloud.running()).toHaveLength(0);
  });

  it("deletes a NodeClaim once it is older than expireAfter", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde", { expireAfter: "1h" }));
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1", true);
    await setNodeReady(mc.client, "n1", n => { n.spec.taints = []; });
    await mc.tick(0);
    await mc.tick(59 * 60_000);
    expect((await mc.client.get(Kinds.NodeClaim, "default-abcde"))?.metadata.deletionTimestamp).toBeUndefined();
    await mc.tick(60_000);
    await mc.tick(10_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
    expect(await mc.client.get(Kinds.Node, "n1")).toBeUndefined();
    expect(mc.cloud.running()).toHaveLength(0);
  }, 120_000); // an hour of simulated minute ticks: ~25 s on a loaded 2-core machine

  it("on deletion cordons, evicts pods, terminates the instance, deletes the Node and only then drops the finalizer", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1", true);
    await mc.tick(0);
    await mc.client.create(Kinds.Pod, { metadata: { name: "web", namespace: "default", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u", controller: true }] }, spec: { nodeName: "n1", containers: [] }, status: { phase: "Running" } });
    let blocked = true;
    mc.client.evictionBlocked = () => blocked;
    await mc.client.delete(Kinds.NodeClaim, "default-abcde");
    await mc.tick(0);
    const node = (await mc.client.get(Kinds.Node, "n1"))!;
    expect(node.spec.taints).toContainEqual({ key: "karpenter.sh/disrupted", effect: "NoSchedule" });
    expect(mc.cloud.running()).toHaveLength(1); // PDB blocks the drain, so the instance stays
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeDefined();
    blocked = false;
    for (let i = 0; i < 5; i++) await mc.tick(2_000);
    expect(mc.client.calls.some(c => c.method === "evict" && c.name === "web")).toBe(true);
    expect(mc.cloud.running()).toHaveLength(0);
    expect(await mc.client.get(Kinds.Node, "n1")).toBeUndefined();
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
    expect(mc.logs.messages("deleted nodeclaim")).toHaveLength(1);
  });

  it("a new instance's Node with the same name (a reused private IP) survives the old NodeClaim's termination", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "ip-10-0-0-7.ec2.internal", true);
    await mc.tick(0);
    // While the old instance terminates, its Node goes and another instance given the same IP registers a Node
    // of the same name (EC2 reuses private IPs; node names are derived from them).
    const terminate = mc.cloud.delete.bind(mc.cloud);
    let swapped = false;
    mc.cloud.delete = async (nc) => {
      await terminate(nc);
      if (!swapped) {
        swapped = true;
        const old = (await mc.client.get(Kinds.Node, "ip-10-0-0-7.ec2.internal"))!;
        await mc.client.replace(Kinds.Node, { ...old, metadata: { ...old.metadata, finalizers: [] } });
        await mc.client.delete(Kinds.Node, "ip-10-0-0-7.ec2.internal");
        await registerNode(mc.client, "aws:///us-east-1b/i-00000099", "ip-10-0-0-7.ec2.internal", true);
      }
    };
    await mc.client.delete(Kinds.NodeClaim, "default-abcde");
    for (let i = 0; i < 8; i++) await mc.tick(5_000);
    expect(swapped).toBe(true);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
    const survivor = await mc.client.get(Kinds.Node, "ip-10-0-0-7.ec2.internal");
    expect(survivor?.spec.providerID).toBe("aws:///us-east-1b/i-00000099");
  });

  it("deletes the NodeClaim (and the instance) when someone deletes its Node", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1", true);
    await mc.tick(0);
    await mc.client.delete(Kinds.Node, "n1");
    for (let i = 0; i < 4; i++) await mc.tick(5_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
    expect(mc.cloud.running()).toHaveLength(0);
  });

  it("deletes the NodeClaim on insufficient capacity so the next provisioning pass re-plans", async () => {
    const mc = await cluster();
    mc.cloud.failCreate = new InsufficientCapacityError("all offerings ICE'd");
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    await mc.tick(1000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
    expect(mc.client.events.some(e => e.reason === "InsufficientCapacityError")).toBe(true);
  });

  it("a crash after launch but before status is written does not launch a second instance", async () => {
    const mc = await cluster();
    // The finalizer is already there, so the next NodeClaim patch is the label write that follows create().
    mc.client.failNext("patch", new KubeError(500, "connection reset"), "NodeClaim");
    await mc.client.create(Kinds.NodeClaim, { ...nodeClaim("default-abcde"), metadata: { name: "default-abcde", labels: { "karpenter.sh/nodepool": "default" }, finalizers: ["karpenter.sh/termination"] } });
    await mc.tick(0);
    expect(mc.cloud.createCalls).toBeGreaterThanOrEqual(1);
    expect(mc.cloud.running()).toHaveLength(1);
    await mc.restart();
    await mc.tick(5_000);
    const nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Launched")).toBe("True");
    expect(mc.cloud.createCalls).toBeGreaterThanOrEqual(2);
    expect(mc.cloud.running()).toHaveLength(1);
    expect(mc.cloud.running()[0]!.providerID).toBe(nc.status.providerID);
  });

  it("deleting a NodeClaim whose launch never reached status still terminates its instance", async () => {
    const mc = await cluster();
    // The instance exists (tagged with the NodeClaim) but the NodeClaim's status never got its providerID, and the
    // NodeClaim is deleted before any reconcile writes it.
    mc.cloud.orphan("default-fghij", 0);
    await mc.client.create(Kinds.NodeClaim, { ...nodeClaim("default-fghij"), metadata: { name: "default-fghij", labels: { "karpenter.sh/nodepool": "default" }, finalizers: ["karpenter.sh/termination"] } });
    await mc.client.delete(Kinds.NodeClaim, "default-fghij");
    // Well inside the garbage collector's grace period: the finalizer itself must terminate the instance.
    await mc.tick(5_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-fghij")).toBeUndefined();
    expect(mc.cloud.running()).toHaveLength(0);
  });

  it("restarting at every step leaves exactly one instance per NodeClaim", async () => {
    const cloudClock = await cluster();
    const { client, clock, cloud } = cloudClock;
    await client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    // Fail the status write right after the instance was created.
    client.failNext("patchStatus", new KubeError(500, "apiserver went away"), "NodeClaim");
    client.failNext("patchStatus", new KubeError(500, "apiserver went away"), "NodeClaim");
    await cloudClock.tick(0);
    expect(cloud.createCalls).toBeGreaterThanOrEqual(1);
    let mc = cloudClock;
    for (let i = 0; i < 3; i++) {
      await mc.controllers.stop();
      mc = await miniCluster({ clock, client, cloud });
      await mc.tick(2_000);
    }
    await registerNode(client, cloud.running()[0]!.providerID, "n1", true);
    await mc.tick(0);
    await mc.restart();
    await mc.tick(1_000);
    const nc = (await client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Registered")).toBe("True");
    expect(cloud.running()).toHaveLength(1);
    expect(new Set([...cloud.instances.values()].map(i => i.nodeClaim)).size).toBe(1);
    expect(cloud instanceof FakeCloud).toBe(true);
  });

  it("initializes without extended resources the NodeClaim did not request (pod-eni of the type may come later)", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde", { startupTaints: [] }));
    await mc.tick(0);
    // The launch reported the type's pod-eni in allocatable; the Node has not registered it (yet).
    const launched = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    await mc.client.patchStatus(Kinds.NodeClaim, "default-abcde", { ...launched.status, allocatable: { ...launched.status.allocatable, "vpc.amazonaws.com/pod-eni": "9" } });
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1", true);
    await mc.tick(0);
    expect(cond(await mc.client.get(Kinds.NodeClaim, "default-abcde"), "Initialized")).toBe("True");
  });

  it("waits for a requested extended resource to be registered before initializing", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde", { startupTaints: [], resources: { requests: { cpu: "1", "nvidia.com/gpu": "1" } } }));
    await mc.tick(0);
    await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1", true);
    await mc.tick(0);
    let nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Initialized")).toBe("Unknown");
    expect(nc.status.conditions.find((c: { type: string }) => c.type === "Initialized")).toMatchObject({ reason: "ResourceNotRegistered", message: 'Resource "nvidia.com/gpu" was requested but not registered' });
    await setNodeReady(mc.client, "n1", n => { n.status.allocatable["nvidia.com/gpu"] = "0"; });
    await mc.tick(0);
    expect(cond(await mc.client.get(Kinds.NodeClaim, "default-abcde"), "Initialized")).toBe("Unknown");
    await setNodeReady(mc.client, "n1", n => { n.status.allocatable["nvidia.com/gpu"] = "1"; });
    await mc.tick(0);
    nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Initialized")).toBe("True");
  });

  it("deletes a NodeClaim whose launch keeps failing after the 5m launch timeout, with an Event naming the error", async () => {
    const mc = await cluster();
    const denied = Object.assign(new Error("You are not authorized to perform this operation. (ec2:CreateFleet)"), { name: "UnauthorizedOperation" });
    mc.cloud.failCreateAlways = denied;
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    await mc.tick(0);
    let nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(nc.status.conditions.find((c: { type: string }) => c.type === "Launched")).toMatchObject({ status: "False", reason: "UnauthorizedOperation" });
    for (let t = 0; t < 4 * 60_000; t += 10_000) await mc.tick(10_000);
    nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(nc).toBeDefined();
    expect(nc.metadata.deletionTimestamp).toBeUndefined();
    const callsBefore = mc.cloud.createCalls;
    expect(callsBefore).toBeGreaterThan(5); // it kept retrying
    for (let t = 0; t < 70_000; t += 10_000) await mc.tick(10_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
    const ev = mc.client.events.find(e => e.reason === "LaunchTimeout");
    expect(ev?.message).toMatch(/within 5m \(UnauthorizedOperation\): You are not authorized/);
    expect(mc.logs.messages("terminating due to timeout")).toHaveLength(1);
    expect(mc.cloud.running()).toHaveLength(0);
  });

  it("a NodeClaim whose NodeClass never becomes Ready is deleted after the launch timeout", async () => {
    const mc = await cluster();
    const { NodeClassNotReadyError } = await import("../../../src/cloudprovider/types");
    mc.cloud.failCreateAlways = new NodeClassNotReadyError('EC2NodeClass "default" is not ready: no service CIDR');
    await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
    for (let t = 0; t <= 5 * 60_000 + 20_000; t += 10_000) await mc.tick(10_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
    expect(mc.client.events.some(e => e.reason === "NodeClassNotReady")).toBe(true);
    expect(mc.client.events.find(e => e.reason === "LaunchTimeout")?.message).toMatch(/NodeClassNotReady.*no service CIDR/);
  });
});
