import { Kinds, KubeObject } from "../../../src/kube/client";
import { miniCluster, nodeClass, nodePool, pendingPod, typeResources } from "../lifecycle/fakes";
import { parseResource } from "../../../src/apis/quantity";

async function inflate(replicas: number, pool: KubeObject = nodePool()) {
  const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, pool); } });
  for (let i = 0; i < replicas; i++) await mc.client.create(Kinds.Pod, pendingPod(`inflate-${i}`));
  return mc;
}

describe("provisioner", () => {
  it("creates NodeClaims for pending pods once the batch window closes", async () => {
    const mc = await inflate(10);
    await mc.tick(500);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(0);
    await mc.tick(1_000);
    const claims = mc.client.objects(Kinds.NodeClaim);
    expect(claims.length).toBeGreaterThanOrEqual(1);
    for (const nc of claims) {
      expect(nc.metadata.name).toMatch(/^default-[a-z0-9]{5}$/);
      expect(nc.metadata.labels!["karpenter.sh/nodepool"]).toBe("default");
      expect(nc.metadata.annotations!["karpenter.sh/nodepool-hash"]).toMatch(/^\d+$/);
      expect(nc.metadata.annotations!["karpenter.sh/nodepool-hash-version"]).toBe("v3");
      const it = nc.spec.requirements.find((r: { key: string }) => r.key === "node.kubernetes.io/instance-type");
      expect(it.operator).toBe("In");
      expect(it.values.length).toBeGreaterThan(0);
      expect(it.values.length).toBeLessThanOrEqual(60);
      expect(nc.spec.resources.requests.cpu).toBeDefined();
      expect(nc.spec.expireAfter).toBe("720h");
      expect(nc.spec.nodeClassRef).toEqual({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" });
    }
    const nominated = mc.client.events.filter(e => e.reason === "Nominated");
    expect(new Set(nominated.map(e => (e.involvedObject as { name: string }).name)).size).toBe(10);
    expect(nominated[0]!.message).toMatch(/^Pod should schedule on: nodeclaim\/default-/);
    expect(mc.logs.messages("created nodeclaim").length).toBe(claims.length);
  });

  it("creates one batch's NodeClaims concurrently, as Karpenter's CreateNodeClaims does", async () => {
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    // 200 vCPU each: no c/m/r type (384 vCPU at most) holds two, so the batch plans three NodeClaims.
    for (let i = 0; i < 3; i++) await mc.client.create(Kinds.Pod, pendingPod(`big-${i}`, "200"));
    let inFlight = 0;
    let most = 0;
    const create = mc.client.create.bind(mc.client);
    mc.client.create = (async (kind: typeof Kinds.NodeClaim, obj: KubeObject) => {
      if (kind !== Kinds.NodeClaim) return create(kind, obj);
      most = Math.max(most, ++inFlight);
      for (let i = 0; i < 10; i++) await Promise.resolve(); // an apiserver round trip: other creates may start
      try {
        return await create(kind, obj);
      } finally {
        inFlight--;
      }
    }) as typeof mc.client.create;
    await mc.tick(1_000);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(3);
    expect(most).toBe(3);
    const nominated = mc.client.events.filter(e => e.reason === "Nominated");
    expect(new Set(nominated.map(e => (e.involvedObject as { name: string }).name))).toEqual(new Set(["big-0", "big-1", "big-2"]));
  });

  it("never creates a second NodeClaim for pods already planned onto an in-flight NodeClaim", async () => {
    const mc = await inflate(10);
    await mc.tick(1_000);
    const first = mc.client.objects(Kinds.NodeClaim).map(n => n.metadata.name).sort();
    // kube-scheduler keeps retrying the pods: every retry is a pod update that re-opens a batch.
    for (const p of mc.client.objects(Kinds.Pod)) {
      p.status.conditions[0].message = "0/0 nodes available (retry)";
      await mc.client.replace(Kinds.Pod, { ...p, metadata: { ...p.metadata, resourceVersion: undefined } });
    }
    await mc.tick(2_000);
    expect(mc.client.objects(Kinds.NodeClaim).map(n => n.metadata.name).sort()).toEqual(first);
  });

  it("after a restart rebuilds state from the apiserver first and creates no duplicate NodeClaims", async () => {
    const mc = await inflate(10);
    await mc.tick(1_000);
    const before = mc.client.objects(Kinds.NodeClaim).length;
    await mc.restart();
    await mc.tick(2_000);
    await mc.tick(12_000);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(before);
  });

  it("stops at the NodePool cpu limit, counting in-flight NodeClaims, and tells the remaining pods why", async () => {
    const mc = await inflate(10, nodePool("default", { limits: { cpu: "2" } }));
    await mc.tick(1_000);
    await mc.tick(10_000); // periodic retry of unschedulable pods must not exceed the limit either
    const claims = mc.client.objects(Kinds.NodeClaim);
    expect(claims.length).toBeGreaterThanOrEqual(1);
    const failed = mc.client.events.filter(e => e.reason === "FailedScheduling");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.message).toMatch(/NodePool limits exceeded/);
    expect(failed[0]!.type).toBe("Warning");
  });

  it("does not provision through a NodePool whose EC2NodeClass is not Ready", async () => {
    const nc = nodeClass();
    nc.status.conditions[0].status = "False";
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nc); await c.create(Kinds.NodePool, nodePool()); } });
    await mc.client.create(Kinds.Pod, pendingPod("p0"));
    await mc.tick(1_000);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(0);
    expect(mc.client.events.find(e => e.reason === "FailedScheduling")!.message).toMatch(/nodeclass not ready for: default/);
  });

  it("keeps NodePool status.resources and status.nodes in step with its NodeClaims", async () => {
    const mc = await inflate(4);
    await mc.tick(1_000);
    await mc.tick(0);
    const claims = mc.client.objects(Kinds.NodeClaim);
    const np = (await mc.client.get(Kinds.NodePool, "default"))!;
    expect(np.status.nodes).toBe(claims.length);
    const cpu = claims.reduce((sum, c) => sum + parseResource("cpu", typeResources(c.metadata.labels!["node.kubernetes.io/instance-type"]!).capacity.cpu!), 0);
    expect(parseResource("cpu", np.status.resources.cpu)).toBe(cpu);
  });
});
