// Chaos scenario 4 (unit level): termination always finishes. When the instance is already gone the drain is
// skipped; terminationGracePeriod is a hard bound (pods still there, even Terminating ones, are force-deleted at
// the deadline); pods stuck Terminating (no kubelet to confirm) do not hang the drain.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { miniCluster, nodeClass, nodePool, registerNode } from "../lifecycle/fakes";

const nodeClaim = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, labels: { "karpenter.sh/nodepool": "default" } },
  spec: {
    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
    requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }],
    resources: { requests: { cpu: "1" } },
    ...spec,
  },
});
const pod = (name: string, node: string, grace = 30): KubeObject => ({
  metadata: { name, namespace: "default", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u", controller: true }] },
  spec: { nodeName: node, terminationGracePeriodSeconds: grace, containers: [] },
  status: { phase: "Running" },
});

async function launched(spec: Record<string, unknown> = {}) {
  const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
  await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde", spec));
  await mc.tick(0);
  const pid = mc.cloud.running()[0]!.providerID;
  await registerNode(mc.client, pid, "n1", true);
  await mc.tick(0);
  return mc;
}

/** Instances of the NodeClaim under test (the provisioner may pre-spin a replacement for its pods). */
const ours = (mc: Awaited<ReturnType<typeof launched>>) => mc.cloud.running().filter(i => i.nodeClaim === "default-abcde");

async function finished(mc: Awaited<ReturnType<typeof launched>>) {
  return (await mc.client.get(Kinds.NodeClaim, "default-abcde")) === undefined && (await mc.client.get(Kinds.Node, "n1")) === undefined;
}

describe("chaos: termination always finishes", () => {
  it("skips the drain when the instance is already gone and the node is NotReady (spot reclaim)", async () => {
    const mc = await launched();
    await mc.client.create(Kinds.Pod, pod("web", "n1"));
    mc.client.evictionBlocked = () => true; // a PDB would block this drain forever
    for (const i of mc.cloud.instances.values()) i.state = "terminated"; // reclaimed
    const n = (await mc.client.get(Kinds.Node, "n1"))!;
    n.status.conditions = [{ type: "Ready", status: "Unknown" }];
    await mc.client.replace(Kinds.Node, n);
    await mc.client.delete(Kinds.NodeClaim, "default-abcde");
    for (let i = 0; i < 3; i++) await mc.tick(1_000);
    expect(await finished(mc)).toBe(true);
    expect(mc.client.calls.filter(c => c.method === "evict")).toHaveLength(0);
    expect(mc.logs.messages("skipping drain, instance is already terminated")).toHaveLength(1);
  });

  it("still drains a Ready node even if the cloud lookup says gone (the kubelet is alive)", async () => {
    const mc = await launched();
    await mc.client.create(Kinds.Pod, pod("web", "n1"));
    mc.client.evictionBlocked = () => true;
    for (const i of mc.cloud.instances.values()) i.state = "terminated";
    await mc.client.delete(Kinds.NodeClaim, "default-abcde");
    for (let i = 0; i < 3; i++) await mc.tick(1_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeDefined();
    expect(mc.client.calls.some(c => c.method === "evict" && c.name === "web")).toBe(true);
  });

  it("says the drain waits: Drained=Unknown (Draining) on the NodeClaim and a FailedDraining Warning on the Node, then Drained=True", async () => {
    const mc = await launched();
    await mc.client.create(Kinds.Pod, pod("web-0", "n1"));
    await mc.client.create(Kinds.Pod, pod("web-1", "n1"));
    mc.client.evictionBlocked = () => true; // a PDB holds both pods
    await mc.client.delete(Kinds.NodeClaim, "default-abcde");
    for (let i = 0; i < 5; i++) await mc.tick(1_000);
    const drained = async () =>
      (await mc.client.get(Kinds.NodeClaim, "default-abcde"))?.status?.conditions?.find((c: { type: string }) => c.type === "Drained");
    expect(await drained()).toMatchObject({ status: "Unknown", reason: "Draining", message: "Draining" });
    const failed = mc.client.events.filter(e => e.reason === "FailedDraining");
    expect(failed).toHaveLength(1); // deduplicated while the drain keeps waiting
    expect(failed[0]).toMatchObject({ type: "Warning", message: "Failed to drain node, 2 pods are waiting to be evicted", involvedObject: { kind: "Node", name: "n1" } });
    // The PDB allows it now: the pods go, Drained turns True before the instance is terminated.
    const seen: string[] = [];
    mc.client.watch((kind, obj) => {
      if (kind.kind !== "NodeClaim") return;
      const d = obj.status?.conditions?.find((c: { type: string }) => c.type === "Drained");
      const terminating = obj.status?.conditions?.some((c: { type: string; status: string }) => c.type === "InstanceTerminating" && c.status === "True");
      if (d) seen.push(`${d.status}${terminating ? "+terminating" : ""}`);
    });
    mc.client.evictionBlocked = () => false;
    for (let i = 0; i < 30 && !(await finished(mc)); i++) await mc.tick(1_000);
    expect(await finished(mc)).toBe(true);
    expect(seen).toContain("True");
    for (const p of ["web-0", "web-1"])
      expect(mc.client.events.find(e => e.reason === "Evicted" && (e.involvedObject as { name: string }).name === p)).toMatchObject({ type: "Normal", message: "Evicted pod: Forceful Termination" });
    expect(seen.indexOf("True")).toBeLessThan(seen.findIndex(x => x.endsWith("+terminating")));
  });

  it("treats terminationGracePeriod as a hard bound: PDB-blocked and still-terminating pods are force-deleted at the deadline", async () => {
    const mc = await launched({ terminationGracePeriod: "2m" });
    mc.client.gracefulPodDeletion = true; // deleted pods stay Terminating until a kubelet confirms: it never does
    await mc.client.create(Kinds.Pod, pod("blocked", "n1", 30));
    await mc.client.create(Kinds.Pod, pod("slow", "n1", 600)); // evicts fine, then takes 10 min to stop
    mc.client.evictionBlocked = p => p.metadata.name === "blocked";
    await mc.client.delete(Kinds.NodeClaim, "default-abcde");
    for (let i = 0; i < 10; i++) await mc.tick(10_000); // 100 s: before the deadline nothing is forced
    expect(await finished(mc)).toBe(false);
    expect(ours(mc)).toHaveLength(1);
    expect((await mc.client.get(Kinds.Pod, "slow"))?.metadata.deletionTimestamp).toBeDefined();
    // "blocked" is deleted (gracefully) at deadline - its 30 s grace period, ignoring the PDB.
    expect((await mc.client.get(Kinds.Pod, "blocked"))?.metadata.deletionTimestamp).toBeDefined();
    for (let i = 0; i < 4; i++) await mc.tick(10_000); // past 2 m
    for (let i = 0; i < 3; i++) await mc.tick(5_000);
    expect(mc.client.calls.filter(c => c.method === "forceDelete").map(c => c.name).sort()).toEqual(["blocked", "slow"]);
    expect(mc.client.objects(Kinds.Pod)).toHaveLength(0);
    expect(ours(mc)).toHaveLength(0);
    expect(await finished(mc)).toBe(true);
    // What Karpenter tells the user on the way: the deadline on the NodeClaim and its Node, and each pod deleted
    // past its PDB with the grace period it got ("slow" at once: its own 600 s would outlast the deadline).
    const expiring = mc.client.events.filter(e => e.reason === "TerminationGracePeriodExpiring");
    // Once per 2-minute dedupe window for each (the drain took 2m15s here).
    expect(expiring.map(e => (e.involvedObject as { kind: string }).kind).sort()).toEqual(["Node", "Node", "NodeClaim", "NodeClaim"]);
    for (const e of expiring) expect(e).toMatchObject({ type: "Warning", message: expect.stringMatching(/^All pods will be deleted by \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    const disrupted = mc.client.events.find(e => e.reason === "Disrupted" && (e.involvedObject as { name: string }).name === "blocked");
    expect(mc.client.events.find(e => e.reason === "Disrupted" && (e.involvedObject as { name: string }).name === "slow")?.message).toMatch(/granted 120 seconds of grace-period of its 600 terminationGracePeriodSeconds/);
    expect(disrupted?.message).toMatch(/^Deleting the pod to accommodate the terminationTime \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC of the node\. The pod was granted (29|30) seconds of grace-period of its 30 terminationGracePeriodSeconds\. This bypasses the PDB of the pod and the do-not-disrupt annotation\.$/);
  });

  it("does not hang on a pod stuck Terminating when no terminationGracePeriod is set", async () => {
    const mc = await launched();
    mc.client.gracefulPodDeletion = true;
    await mc.client.create(Kinds.Pod, pod("stuck", "n1", 30));
    await mc.client.delete(Kinds.NodeClaim, "default-abcde");
    await mc.tick(1_000);
    expect((await mc.client.get(Kinds.Pod, "stuck"))?.metadata.deletionTimestamp).toBeDefined();
    for (let i = 0; i < 6; i++) await mc.tick(10_000); // 30 s grace + < 60 s: still waiting for the kubelet
    expect(await finished(mc)).toBe(false);
    for (let i = 0; i < 6; i++) await mc.tick(10_000); // > 1 min past its deletionTimestamp: stuck, not waited on
    expect(ours(mc)).toHaveLength(0);
    expect(await finished(mc)).toBe(true);
  });

  it("never evicts a pod that the cache still places on the node but the apiserver has moved", async () => {
    const mc = await launched();
    await mc.client.create(Kinds.Pod, pod("web", "n1"));
    await mc.tick(0);
    // The cache misses the pod's replacement (same name, new uid, other node): a stale watch.
    const live = (await mc.client.get(Kinds.Pod, "web"))!;
    const cached = mc.controllers.state.pods.get("default/web")!;
    (mc.client as unknown as { store: Map<string, Map<string, KubeObject>> }).store.get("pods")!.set("default/web", { ...live, metadata: { ...live.metadata, uid: "other" }, spec: { ...live.spec, nodeName: "n2" } });
    expect(cached.spec.nodeName).toBe("n1");
    await mc.client.delete(Kinds.NodeClaim, "default-abcde");
    for (let i = 0; i < 3; i++) await mc.tick(1_000);
    expect(mc.client.calls.filter(c => c.method === "evict" && c.name === "web")).toHaveLength(0);
    expect(await mc.client.get(Kinds.Pod, "web")).toBeDefined();
  });
});

test("deadlines in pod events print as Go's time.Time does", () => {
  const { goTimeString } = require("../../../src/apis/goTime"); // eslint-disable-line @typescript-eslint/no-require-imports
  expect(goTimeString(Date.parse("2025-01-01T00:02:00Z"))).toBe("2025-01-01 00:02:00 +0000 UTC");
  expect(goTimeString(Date.parse("2025-01-01T00:02:00.500Z"))).toBe("2025-01-01 00:02:00.5 +0000 UTC");
  expect(goTimeString(Date.parse("2025-01-01T00:02:00.012Z"))).toBe("2025-01-01 00:02:00.012 +0000 UTC");
});
