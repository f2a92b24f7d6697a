// Static NodePools (spec.replicas): the controller keeps min(replicas, limits.nodes) NodeClaims, scales down the
// cheapest-to-lose ones, never duplicates on retries or restarts, and neither the dynamic provisioner nor
// consolidation touches the pool.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { ClusterState } from "../../../src/kube/clusterState";
import { EventRecorder } from "../../../src/kube/events";
import { FakeClock } from "../../../src/kube/clock";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { createLogger } from "../../../src/log";
import { Metrics } from "../../../src/metrics";
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import { reconcileStaticNodePool, staticNodeClaimPlan, desiredReplicas } from "../../../src/provisioning/staticProvisioner";
import { LogCapture, MiniCluster, miniCluster, nodeClass, nodePool, pendingPod, registerNode, setNodeReady, typeResources } from "../lifecycle/fakes";

const SETTINGS = { DISRUPTION_POLL_INTERVAL: "2s", CONSOLIDATION_VALIDATION_DELAY: "2s", BATCH_IDLE_DURATION: "1s", BATCH_MAX_DURATION: "2s", FEATURE_GATES: "StaticCapacity=true" };
const DISRUPTION = { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "30s", budgets: [{ nodes: "100%" }] };
const staticPool = (replicas: number, extra: Record<string, unknown> = {}): KubeObject => nodePool("static", { replicas, disruption: DISRUPTION, ...extra });

async function cluster(pools: KubeObject[]): Promise<MiniCluster> {
  const mc = await miniCluster({ settings: SETTINGS, seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); for (const p of pools) await c.create(Kinds.NodePool, p); } });
  await mc.tick(100);
  return mc;
}

const live = (mc: MiniCluster, pool = "static") =>
  mc.client.objects(Kinds.NodeClaim).filter(c => c.metadata.labels?.["karpenter.sh/nodepool"] === pool && !c.metadata.deletionTimestamp);

async function setReplicas(mc: MiniCluster, replicas: number): Promise<void> {
  const np = (await mc.client.get(Kinds.NodePool, "static"))!;
  np.spec.replicas = replicas;
  await mc.client.replace(Kinds.NodePool, np);
  await mc.tick(100);
}

/** Plays kubelet: a Ready Node for every launched NodeClaim. */
async function kubelet(mc: MiniCluster): Promise<void> {
  for (const nc of mc.client.objects(Kinds.NodeClaim)) {
    const pid = nc.status?.providerID;
    const name = `node-${nc.metadata.name}`;
    if (!pid || nc.metadata.deletionTimestamp || (await mc.client.get(Kinds.Node, name))) continue;
    await registerNode(mc.client, pid, name);
    await mc.tick(10);
    const res = typeResources(nc.metadata.labels!["node.kubernetes.io/instance-type"]!);
    await setNodeReady(mc.client, name, n => { n.status.allocatable = res.allocatable; n.status.capacity = res.capacity; });
    await mc.tick(10);
  }
}

async function settleDeletes(mc: MiniCluster): Promise<void> {
  for (let i = 0; i < 10; i++) await mc.tick(2_000);
}

describe("static NodePool controller", () => {
  it("scales a static pool from 0 to replicas with template NodeClaims, an event and log lines", async () => {
    const mc = await cluster([staticPool(3)]);
    const claims = live(mc);
    expect(claims).toHaveLength(3);
    for (const nc of claims) {
      expect(nc.metadata.name).toMatch(/^static-[a-z0-9]{5}$/);
      expect(nc.metadata.annotations!["karpenter.sh/nodepool-hash"]).toMatch(/^\d+$/);
      const types = nc.spec.requirements.find((r: { key: string }) => r.key === "node.kubernetes.io/instance-type").values as string[];
      expect(types.length).toBeGreaterThan(0);
      expect(types.length).toBeLessThanOrEqual(60);
      const category = nc.spec.requirements.find((r: { key: string }) => r.key === "karpenter.k8s.aws/instance-category");
      expect(category.values).toEqual(["c", "m", "r"]);
    }
    await mc.tick(1_000);
    expect(mc.cloud.running()).toHaveLength(3);
    expect(mc.client.events.filter(e => e.reason === "ScaledUp")).toHaveLength(1);
    expect(mc.logs.messages("created static nodeclaim")).toHaveLength(3);
  });

  it("scales down by deleting the NodeClaims with the fewest pods to move, and terminates their instances", async () => {
    const mc = await cluster([staticPool(3)]);
    await mc.tick(1_000);
    await kubelet(mc);
    const busy = live(mc)[1]!.metadata.name;
    const pod = { ...pendingPod("app-0"), spec: { ...pendingPod("app-0").spec, nodeName: `node-${busy}` }, status: { phase: "Running" } };
    await mc.client.create(Kinds.Pod, pod);
    await mc.tick(100);
    await setReplicas(mc, 1);
    expect(live(mc).map(c => c.metadata.name)).toEqual([busy]);
    expect(mc.client.events.some(e => e.reason === "ScaledDown" && /Deleting 2 nodeclaim/.test(String(e.message)))).toBe(true);
    await settleDeletes(mc);
    expect(mc.client.objects(Kinds.NodeClaim).map(c => c.metadata.name)).toEqual([busy]);
    expect(mc.cloud.running()).toHaveLength(1);
  });

  it("prefers deleting NodeClaims that are not initialized yet", async () => {
    const mc = await cluster([staticPool(2)]);
    await mc.tick(1_000);
    const [first] = live(mc);
    const pid = first!.status.providerID;
    await registerNode(mc.client, pid, `node-${first!.metadata.name}`);
    await mc.tick(10);
    await setNodeReady(mc.client, `node-${first!.metadata.name}`);
    await mc.tick(100);
    await setReplicas(mc, 1);
    expect(live(mc).map(c => c.metadata.name)).toEqual([first!.metadata.name]);
  });

  it("caps the count at limits.nodes and says so on the NodePool", async () => {
    const mc = await cluster([staticPool(5, { limits: { nodes: "2" } })]);
    expect(live(mc)).toHaveLength(2);
    expect(mc.client.events.some(e => e.reason === "NodePoolLimitReached" && (e.involvedObject as { kind: string }).kind === "NodePool")).toBe(true);
  });

  it("replaces a NodeClaim deleted out from under it", async () => {
    const mc = await cluster([staticPool(2)]);
    await mc.tick(1_000);
    const victim = live(mc)[0]!.metadata.name;
    await mc.client.delete(Kinds.NodeClaim, victim);
    await settleDeletes(mc);
    expect(live(mc)).toHaveLength(2);
    expect(live(mc).map(c => c.metadata.name)).not.toContain(victim);
  });

  it("a restart rebuilds the state first and creates nothing extra", async () => {
    const mc = await cluster([staticPool(3)]);
    const before = live(mc).map(c => c.metadata.name).sort();
    await mc.restart();
    await mc.tick(2_000);
    expect(live(mc).map(c => c.metadata.name).sort()).toEqual(before);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(3);
  });

  it("pending pods never add NodeClaims to a static pool (the dynamic provisioner skips it)", async () => {
    const mc = await cluster([staticPool(1)]);
    for (let i = 0; i < 5; i++) await mc.client.create(Kinds.Pod, pendingPod(`p-${i}`, "4"));
    await mc.tick(3_000);
    await mc.tick(3_000);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(1);
    expect(mc.client.events.some(e => e.reason === "FailedScheduling")).toBe(true);
  });

  it("consolidation never removes empty static-pool nodes", async () => {
    const mc = await cluster([staticPool(2)]);
    await mc.tick(1_000);
    await kubelet(mc);
    const names = live(mc).map(c => c.metadata.name).sort();
    for (let i = 0; i < 60; i++) await mc.tick(2_000); // 2 minutes ≫ consolidateAfter 30s
    expect(mc.client.objects(Kinds.NodeClaim).map(c => c.metadata.name).sort()).toEqual(names);
    expect(mc.logs.messages("disrupting node(s)")).toHaveLength(0);
  });

  it("drift replacement keeps the count", async () => {
    const mc = await cluster([staticPool(2)]);
    await mc.tick(1_000);
    await kubelet(mc);
    const np = (await mc.client.get(Kinds.NodePool, "static"))!;
    np.spec.template.metadata = { labels: { rev: "2" } };
    await mc.client.replace(Kinds.NodePool, np);
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 5; i++) await mc.tick(2_000);
      await kubelet(mc);
    }
    const claims = live(mc);
    expect(claims).toHaveLength(2);
    expect(claims.every(c => c.metadata.labels!.rev === "2")).toBe(true);
  });
});

describe("reconcileStaticNodePool", () => {
  async function deps(pool: KubeObject) {
    const clock = new FakeClock();
    const client = new MemoryKubeClient(clock);
    await client.create(Kinds.EC2NodeClass, nodeClass());
    await client.create(Kinds.NodePool, pool);
    const state = new ClusterState();
    for (const k of ["EC2NodeClass", "NodePool"] as const) for (const o of await client.list(Kinds[k])) state.apply(k, o, "ADDED");
    state.markSynced();
    let seq = 0;
    return {
      client, state, log: createLogger({ level: "debug", destination: new LogCapture() }), metrics: new Metrics(),
      events: new EventRecorder(client, { clock }), instanceTypes: async () => loadCatalog(), random: () => ((seq++ * 7919) % 1000) / 1000,
    };
  }

  it("a retried pass after a partial failure creates only the missing NodeClaims", async () => {
    const d = await deps(staticPool(3));
    const create = d.client.create.bind(d.client);
    let calls = 0;
    d.client.create = (async (kind: never, obj: never) => {
      if (++calls === 3) throw new Error("apiserver unavailable");
      return create(kind, obj);
    }) as typeof d.client.create;
    await expect(reconcileStaticNodePool(d, "static")).rejects.toThrow("apiserver unavailable");
    expect(d.client.objects(Kinds.NodeClaim)).toHaveLength(2);
    const again = await reconcileStaticNodePool(d, "static");
    expect(again.created).toHaveLength(1);
    expect(d.client.objects(Kinds.NodeClaim)).toHaveLength(3);
    expect((await reconcileStaticNodePool(d, "static")).created).toHaveLength(0);
  });

  it("does nothing before the cluster state is synced", async () => {
    const d = await deps(staticPool(2));
    const fresh = new ClusterState();
    const res = await reconcileStaticNodePool({ ...d, state: fresh }, "static");
    expect(res.skipped).toMatch(/not synced/);
    expect(d.client.objects(Kinds.NodeClaim)).toHaveLength(0);
  });

  it("with the StaticCapacity feature gate off, reports the fix on the NodePool and creates nothing", async () => {
    const d = await deps(staticPool(2));
    const res = await reconcileStaticNodePool({ ...d, enabled: false }, "static");
    expect(res.skipped).toMatch(/FEATURE_GATES=StaticCapacity=true/);
    expect(d.client.objects(Kinds.NodeClaim)).toHaveLength(0);
    expect(d.client.events.some(e => e.reason === "StaticCapacityDisabled")).toBe(true);
  });

  it("ignores dynamic pools", async () => {
    const d = await deps(nodePool("static"));
    const res = await reconcileStaticNodePool(d, "static");
    expect(res.created).toHaveLength(0);
    expect(d.client.objects(Kinds.NodeClaim)).toHaveLength(0);
  });
});

describe("staticNodeClaimPlan", () => {
  const catalog = loadCatalog();

  it("offers compatible types cheapest first under the template's requirements", () => {
    const plan = staticNodeClaimPlan(staticPool(1) as never, catalog);
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.instanceTypeOptions.every(t => ["c", "m", "r"].includes(t.labels["karpenter.k8s.aws/instance-category"]!))).toBe(true);
    expect(plan.capacityType).toBe("spot");
    expect(plan.pods).toHaveLength(0);
    expect(plan.instanceType).toBe(plan.instanceTypeOptions[0]!.name);
  });

  it("names the requirements when no instance type fits", () => {
    const pool = nodePool("static", { replicas: 1 }, { requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["no-such.type"] }] });
    expect(staticNodeClaimPlan(pool as never, catalog)).toMatch(/spec\.template\.spec\.requirements/);
  });

  it("desired count is min(replicas, limits.nodes) and a bad node limit names the field", () => {
    expect(desiredReplicas(staticPool(4, { limits: { nodes: 3 } }) as never)).toBe(3);
    expect(desiredReplicas(staticPool(4) as never)).toBe(4);
    expect(() => desiredReplicas(staticPool(4, { limits: { nodes: "lots" } }) as never)).toThrow(/spec\.limits\.nodes/);
  });
});
