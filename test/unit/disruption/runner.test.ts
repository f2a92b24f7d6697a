// The disruption loop wired into the controllers (fake clock, in-memory apiserver, fake cloud): emptiness after
// consolidateAfter counted from the last pod event, validation delay, do-not-disrupt, drift marking and rolling
// with replacement-before-delete, and one command at a time.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { cond, miniCluster, MiniCluster, nodeClass, nodePool, pendingPod, registerNode, setNodeReady, typeResources } from "../lifecycle/fakes";

const SETTINGS = { DISRUPTION_POLL_INTERVAL: "2s", CONSOLIDATION_VALIDATION_DELAY: "2s", BATCH_IDLE_DURATION: "1s", BATCH_MAX_DURATION: "2s" };

/** Plays kubelet + kube-scheduler: registers a Ready Node for every launched NodeClaim and binds pending pods to them. */
async function kubelet(mc: MiniCluster): Promise<void> {
  for (const nc of mc.client.objects(Kinds.NodeClaim)) {
    const pid = nc.status?.providerID;
    if (!pid || nc.metadata.deletionTimestamp) continue;
    const name = `node-${nc.metadata.name}`;
    if (!(await mc.client.get(Kinds.Node, name))) {
      await registerNode(mc.client, pid, name);
      await mc.tick(10);
      const res = typeResources(nc.metadata.labels!["node.kubernetes.io/instance-type"]!);
      await setNodeReady(mc.client, name, n => { n.status.allocatable = res.allocatable; n.status.capacity = res.capacity; });
      await mc.tick(10);
    }
  }
}

async function bindPending(mc: MiniCluster): Promise<void> {
  for (const p of mc.client.objects(Kinds.Pod)) {
    if (p.spec.nodeName) continue;
    const ncName = mc.controllers.state.nominatedNodeClaim(`default/${p.metadata.name}`);
    const nc = ncName ? mc.client.objects(Kinds.NodeClaim).find(c => c.metadata.name === ncName) : undefined;
    const node = nc ? `node-${nc.metadata.name}` : mc.client.objects(Kinds.Node).find(n => !(n.spec.taints ?? []).length)?.metadata.name;
    if (!node || !(await mc.client.get(Kinds.Node, node))) continue;
    await mc.client.replace(Kinds.Pod, { ...p, metadata: { ...p.metadata, resourceVersion: undefined }, spec: { ...p.spec, nodeName: node }, status: { phase: "Running", startTime: new Date(mc.clock.now()).toISOString(), conditions: [{ type: "PodScheduled", status: "True" }] } });
  }
  await mc.tick(10);
}

async function cluster(pods: KubeObject[], pool: KubeObject = nodePool("default", { disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "30s", budgets: [{ nodes: "100%" }] } })): Promise<MiniCluster> {
  const mc = await miniCluster({ settings: SETTINGS, seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, pool); } });
  for (const p of pods) await mc.client.create(Kinds.Pod, p);
  await mc.tick(1_500); // batch window → NodeClaims → launched
  await mc.tick(100);
  await kubelet(mc);
  await mc.tick(100);
  await bindPending(mc);
  return mc;
}

const liveClaims = (mc: MiniCluster) => mc.client.objects(Kinds.NodeClaim).filter(c => !c.metadata.deletionTimestamp);

async function deletePods(mc: MiniCluster, prefix: string): Promise<void> {
  for (const p of mc.client.objects(Kinds.Pod)) if (p.metadata.name.startsWith(prefix)) await mc.client.delete(Kinds.Pod, p.metadata.name, p.metadata.namespace);
  await mc.tick(10);
}

describe("disruption loop", () => {
  it("removes an empty node only after consolidateAfter since its last pod left, then terminates the instance", async () => {
    const mc = await cluster([pendingPod("a-0"), pendingPod("a-1")]);
    const claims = liveClaims(mc);
    expect(claims.length).toBeGreaterThan(0);
    for (const c of claims) expect(cond(c, "Initialized")).toBe("True");
    await mc.tick(60_000); // pods still there: nothing to do
    expect(liveClaims(mc)).toHaveLength(claims.length);

    await deletePods(mc, "a-");
    await mc.tick(20_000); // < consolidateAfter (30s) since the pods left
    expect(liveClaims(mc)).toHaveLength(claims.length);
    await mc.tick(20_000); // > 30s + validation delay
    for (let i = 0; i < 10; i++) await mc.tick(2_000);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(0);
    expect(mc.cloud.running()).toHaveLength(0);
    const line = mc.logs.messages("disrupting node(s)")[0]!;
    expect(line).toMatchObject({ method: "emptiness", reason: "Empty", decision: "delete" });
    expect(line["savings-per-hour"]).toBeGreaterThan(0);
    expect(mc.client.events.some(e => e.reason === "DisruptionTerminating" && /Empty\/Delete/.test(String(e.message)))).toBe(true);
    const metrics = await mc.controllers.metrics.registry.metrics();
    expect(metrics).toMatch(/karpenter_voluntary_disruption_decisions_total\{decision="delete",reason="empty",consolidation_type="empty"\} 1/);
    expect(metrics).toMatch(/karpenter_nodeclaims_disrupted_total\{nodepool="default",reason="empty"/);
    // Both timeout series exist from the start, at 0 (no consolidation search ran out of time).
    expect(metrics).toMatch(/karpenter_voluntary_disruption_consolidation_timeouts_total\{consolidation_type="multi"\} 0/);
    expect(metrics).toMatch(/karpenter_voluntary_disruption_consolidation_timeouts_total\{consolidation_type="single"\} 0/);
  });

  it("abandons the command when a pod lands on the node during the validation delay", async () => {
    const mc = await cluster([pendingPod("a-0")]);
    const [claim] = liveClaims(mc);
    await deletePods(mc, "a-");
    // Let consolidateAfter pass, then stop right after the command is computed (mid validation delay).
    for (let i = 0; i < 16; i++) {
      await mc.tick(2_000);
      if (mc.logs.messages("computed disruption command, validating").length) break;
    }
    expect(mc.logs.messages("computed disruption command, validating").length).toBe(1);
    const node = `node-${claim!.metadata.name}`;
    const p = pendingPod("b-0");
    await mc.client.create(Kinds.Pod, { ...p, spec: { ...p.spec, nodeName: node }, status: { phase: "Running" } });
    await mc.tick(2_500);
    expect(mc.logs.messages("abandoning disruption command, validation failed").length).toBe(1);
    expect(liveClaims(mc).map(c => c.metadata.name)).toContain(claim!.metadata.name);
  });

  it("keeps a node whose pod is annotated karpenter.sh/do-not-disrupt and says why", async () => {
    const p = pendingPod("keep-0", "100m");
    p.metadata.annotations = { "karpenter.sh/do-not-disrupt": "true" };
    const mc = await cluster([p, pendingPod("a-0"), pendingPod("a-1")]);
    await deletePods(mc, "a-");
    for (let i = 0; i < 40; i++) await mc.tick(2_000);
    const keeper = mc.client.objects(Kinds.Pod).find(x => x.metadata.name === "keep-0")!;
    expect(keeper.spec.nodeName).toBeDefined();
    expect(mc.client.objects(Kinds.Node).map(n => n.metadata.name)).toContain(keeper.spec.nodeName);
    const blocked = mc.client.events.filter(e => e.reason === "DisruptionBlocked");
    expect(blocked.some(e => /do-not-disrupt/.test(String(e.message)))).toBe(true);
  });

  it("ignores an invalid do-not-disrupt value with Karpenter's Warning on the pod, and says until when a duration protects", async () => {
    const bad = pendingPod("bad-0", "100m");
    bad.metadata.annotations = { "karpenter.sh/do-not-disrupt": "soon" };
    const timed = pendingPod("timed-0", "100m");
    timed.metadata.annotations = { "karpenter.sh/do-not-disrupt": "1h" };
    const mc = await cluster([bad, timed]);
    for (let i = 0; i < 3; i++) await mc.tick(2_000);
    const podEvents = (reason: string) => mc.client.events.filter(e => e.reason === reason);
    expect(podEvents("InvalidDoNotDisruptAnnotation")).toHaveLength(1); // deduplicated per pod and text
    expect(podEvents("InvalidDoNotDisruptAnnotation")[0]).toMatchObject({
      type: "Warning",
      involvedObject: { kind: "Pod", name: "bad-0", namespace: "default" },
      message: 'Invalid karpenter.sh/do-not-disrupt annotation: failed to parse "soon" as a duration: time: invalid duration "soon", ignoring annotation',
    });
    expect(podEvents("DoNotDisruptUntil")[0]).toMatchObject({
      type: "Normal",
      involvedObject: { kind: "Pod", name: "timed-0" },
      message: expect.stringMatching(/^The karpenter\.sh\/do-not-disrupt grace period will elapse at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
  });

  it("marks NodeClaims Drifted when the NodePool template changes and replaces before deleting", async () => {
    const mc = await cluster([pendingPod("a-0"), pendingPod("a-1")]);
    const original = liveClaims(mc).map(c => c.metadata.name);
    const np = (await mc.client.get(Kinds.NodePool, "default"))!;
    np.spec.template.metadata = { labels: { rev: "2" } };
    await mc.client.replace(Kinds.NodePool, np);
    await mc.tick(2_000);
    const drifted = mc.client.objects(Kinds.NodeClaim).filter(c => original.includes(c.metadata.name));
    for (const c of drifted) {
      const d = c.status.conditions.find((x: { type: string }) => x.type === "Drifted");
      expect(d).toMatchObject({ status: "True", reason: "NodePoolDrifted" });
    }
    // Validation delay, then the replacement is launched while the original still exists.
    await mc.tick(2_500);
    await mc.tick(100);
    const replacement = liveClaims(mc).find(c => !original.includes(c.metadata.name));
    expect(replacement).toBeDefined();
    expect(replacement!.metadata.labels!.rev).toBe("2");
    expect(mc.client.objects(Kinds.NodeClaim).filter(c => original.includes(c.metadata.name) && c.metadata.deletionTimestamp)).toHaveLength(0);
    const tainted = mc.client.objects(Kinds.Node).filter(n => (n.spec.taints ?? []).some((t: { key: string }) => t.key === "karpenter.sh/disrupted"));
    expect(tainted.length).toBeGreaterThan(0);
    // Replacement registers and initializes → the drifted NodeClaim is deleted.
    await kubelet(mc);
    for (let i = 0; i < 3; i++) await mc.tick(2_000);
    expect(mc.client.objects(Kinds.NodeClaim).some(c => original.includes(c.metadata.name) && c.metadata.deletionTimestamp) ||
      mc.client.objects(Kinds.NodeClaim).filter(c => original.includes(c.metadata.name)).length < original.length).toBe(true);
  });

  it("sets the DisruptionReason condition on the candidates it taints, and their drained pods are counted under that reason", async () => {
    const mc = await cluster([pendingPod("a-0"), pendingPod("a-1")]);
    const original = liveClaims(mc).map(c => c.metadata.name);
    const np = (await mc.client.get(Kinds.NodePool, "default"))!;
    np.spec.template.metadata = { labels: { rev: "2" } };
    await mc.client.replace(Kinds.NodePool, np);
    await mc.tick(2_000);
    await mc.tick(2_500);
    await mc.tick(100);
    const marked = mc.client.objects(Kinds.NodeClaim).filter(c => original.includes(c.metadata.name));
    expect(marked.length).toBeGreaterThan(0);
    for (const c of marked)
      expect(c.status.conditions.find((x: { type: string }) => x.type === "DisruptionReason")).toMatchObject({ status: "True", reason: "Drifted", message: "Drifted" });
    await kubelet(mc);
    for (let i = 0; i < 6; i++) await mc.tick(2_000);
    const metrics = await mc.controllers.metrics.registry.metrics();
    expect(metrics).toMatch(/karpenter_pods_drained_total\{reason="Drifted"\} [1-9]/);
    expect(metrics).not.toMatch(/karpenter_pods_drained_total\{reason="Forceful Termination"\}/);
  });

  it("a replacement NodeClaim is created once per command even if the launch step is retried", async () => {
    const mc = await cluster([pendingPod("a-0"), pendingPod("a-1")]);
    const np = (await mc.client.get(Kinds.NodePool, "default"))!;
    np.spec.template.metadata = { labels: { rev: "3" } };
    await mc.client.replace(Kinds.NodePool, np);
    mc.client.failNext("create", new Error("apiserver timeout"), "NodeClaim"); // first launch attempt fails → rollback
    for (let i = 0; i < 4; i++) await mc.tick(2_000);
    const failed = mc.logs.messages("disruption command failed, rolled back");
    expect(failed.length).toBe(1);
    // After the rollback the candidate is untainted and the next command launches exactly one replacement.
    for (let i = 0; i < 4; i++) await mc.tick(2_000);
    const rev3 = mc.client.objects(Kinds.NodeClaim).filter(c => c.metadata.labels?.rev === "3");
    expect(rev3).toHaveLength(1);
  });

  it("says on the NodePool that a blocking budget holds back its empty nodes, once a minute, and only for that reason", async () => {
    const blocking = nodePool("default", { disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "30s", budgets: [{ nodes: "0" }] } });
    const mc = await cluster([pendingPod("a-0"), pendingPod("a-1")], blocking);
    const claims = liveClaims(mc).length;
    const blockedEvents = () =>
      mc.client.events.filter(e => e.reason === "DisruptionBlocked" && (e.involvedObject as { kind?: string } | undefined)?.kind === "NodePool");
    await mc.tick(60_000);
    // Underutilized nodes (pods bound), no empty one yet: only consolidation's reason is reported.
    expect(blockedEvents().map(e => e.message)).toEqual(["No allowed disruptions for disruption reason Underutilized due to blocking budget"]);
    await deletePods(mc, "a-");
    for (let i = 0; i < 20; i++) await mc.tick(2_000);
    expect(liveClaims(mc)).toHaveLength(claims);
    const messages = blockedEvents().map(e => e.message);
    expect(messages).toContain("No allowed disruptions for disruption reason Empty due to blocking budget");
    expect(blockedEvents().filter(e => /reason Empty/.test(String(e.message)))).toHaveLength(1); // 30 s: deduplicated
    expect(blockedEvents()[0]).toMatchObject({ type: "Normal", involvedObject: { name: "default" } });
    const emptyCount = () => blockedEvents().filter(e => /reason Empty/.test(String(e.message))).reduce((n, e) => n + Number(e.count ?? 1), 0);
    for (let i = 0; i < 20; i++) await mc.tick(2_000);
    expect(emptyCount()).toBe(1); // 40 s later: still within the minute
    for (let i = 0; i < 15; i++) await mc.tick(2_000);
    expect(emptyCount()).toBe(2); // past it: once more

    // A budget that blocks only Underutilized lets the empty nodes go, and says nothing about Empty.
    const np = (await mc.client.get(Kinds.NodePool, "default"))!;
    np.spec.disruption.budgets = [{ nodes: "0", reasons: ["Underutilized"] }];
    await mc.client.replace(Kinds.NodePool, np);
    const before = blockedEvents().length;
    for (let i = 0; i < 15; i++) await mc.tick(2_000);
    expect(liveClaims(mc)).toHaveLength(0);
    expect(blockedEvents().slice(before).filter(e => /reason Empty/.test(String(e.message)))).toHaveLength(0);
  });

  describe("consolidateAfter persisted on the NodeClaim (status.lastPodEventTime, Consolidatable)", () => {
    const consolidatable = (c: KubeObject) => c.status.conditions?.find((x: { type: string }) => x.type === "Consolidatable");

    it("records the last pod event, clears Consolidatable on it and sets it again once consolidateAfter has passed", async () => {
      const mc = await cluster([pendingPod("k-0", "100m"), pendingPod("a-0"), pendingPod("a-1")]);
      await mc.tick(2_000);
      const claims = liveClaims(mc);
      for (const c of claims) {
        expect(c.status.lastPodEventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(Date.parse(c.status.lastPodEventTime)).toBeGreaterThanOrEqual(mc.clock.now() - 4_000);
        expect(consolidatable(c)).toBeUndefined(); // pods bound < 30s ago
      }
      for (let i = 0; i < 16; i++) await mc.tick(2_000);
      const later = liveClaims(mc);
      expect(later.length).toBeGreaterThan(0);
      for (const c of later) expect(consolidatable(c)).toMatchObject({ status: "True", reason: "Consolidatable" });
      const stamps = new Map(later.map(c => [c.metadata.name, c.status.lastPodEventTime]));

      // A pod leaves one node: that NodeClaim's clock restarts, the others' do not.
      const pod = mc.client.objects(Kinds.Pod).find(p => p.metadata.name === "a-0")!;
      const node = pod.spec.nodeName;
      await mc.client.delete(Kinds.Pod, "a-0", "default");
      await mc.tick(2_000);
      for (const c of liveClaims(mc)) {
        if (`node-${c.metadata.name}` === node) {
          expect(consolidatable(c)).toBeUndefined();
          expect(Date.parse(c.status.lastPodEventTime)).toBeGreaterThan(Date.parse(stamps.get(c.metadata.name)!));
        } else if (stamps.has(c.metadata.name)) {
          expect(c.status.lastPodEventTime).toBe(stamps.get(c.metadata.name));
        }
      }
    });

    it("keeps the consolidateAfter clock across a restart of the controllers: neither reset nor run ahead", async () => {
      const mc = await cluster([pendingPod("a-0"), pendingPod("a-1")]);
      const claims = liveClaims(mc).map(c => c.metadata.name);
      expect(claims.length).toBeGreaterThan(0);
      await mc.tick(60_000);
      await deletePods(mc, "a-");
      await mc.tick(2_000); // one pass persists the pods' leaving
      const left = Date.parse(mc.client.objects(Kinds.NodeClaim).find(c => c.metadata.name === claims[0])!.status.lastPodEventTime);
      expect(left).toBeGreaterThanOrEqual(mc.clock.now() - 4_000);
      await mc.tick(18_000);
      await mc.restart();
      // 20 s after the pods left: not yet (the restored clock does not run ahead) ...
      await mc.tick(4_000);
      expect(liveClaims(mc).map(c => c.metadata.name).sort()).toEqual([...claims].sort());
      // ... and the empty nodes go soon after 30 s since the pods left, not 30 s after the restart.
      for (let i = 0; i < 8 && liveClaims(mc).length > 0; i++) await mc.tick(2_000);
      expect(mc.clock.now() - left).toBeLessThan(50_000);
      expect(liveClaims(mc)).toHaveLength(0);
      expect(mc.logs.messages("disrupting node(s)")[0]).toMatchObject({ method: "emptiness" });
    });

    it("removes Consolidatable when consolidateAfter becomes Never", async () => {
      const mc = await cluster([pendingPod("a-0")]);
      for (let i = 0; i < 18; i++) await mc.tick(2_000);
      for (const c of liveClaims(mc)) expect(consolidatable(c)?.status).toBe("True");
      const np = (await mc.client.get(Kinds.NodePool, "default"))!;
      np.spec.disruption.consolidateAfter = "Never";
      await mc.client.replace(Kinds.NodePool, np);
      await mc.tick(2_000);
      await mc.tick(2_000);
      for (const c of liveClaims(mc)) expect(consolidatable(c)).toBeUndefined();
    });
  });
});
