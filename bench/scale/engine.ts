// One scale run in a fresh process (so heap and RSS belong to this run only): the watcher's engine — the
// composition root startControllers() with its cluster state, queues, provisioner and disruption runner — fed
// apiserver-shaped watch events as Pepr's Watch callbacks deliver them, over an in-memory apiserver and a fake
// EC2 that launches instantly. Pods are fed to the engine and then dropped, as a watch stream does, so what stays
// on the heap is the engine's. Prints one JSON line. Run by bench/scale.bench.ts:
//   node --expose-gc --import tsx bench/scale/engine.ts <pods>
import { loadCatalog } from "../../src/cloudprovider/aws/catalog";
import type { CloudInstance, CloudProvider, InstanceType, LaunchResult, NodeClaimLike } from "../../src/cloudprovider/types";
import { formatResources } from "../../src/apis/quantity";
import { startControllers } from "../../src/controllers";
import { computeCommand } from "../../src/disruption/disruptionController";
import { schedulerSimulator } from "../../src/disruption/schedulerSimulator";
import { FakeClock, flushMicrotasks } from "../../src/kube/clock";
import { Kinds, type KindName, type KubeObject } from "../../src/kube/client";
import { podKey } from "../../src/kube/clusterState";
import { MemoryKubeClient } from "../../src/kube/memoryClient";
import { createLogger } from "../../src/log";
import { schedule } from "../../src/scheduling/scheduler";
import type { SchedulingInput } from "../../src/scheduling/types";
import { loadSettings } from "../../src/settings";
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { basicShape, fullNode, fullPod, launchableMix, MIX_REQUIREMENTS, mixLimitCpu, type App } from "./objects";

const T0 = performance.now();
const progress = (what: string): void => {
  if (process.env.BENCH_SCALE_PROGRESS) process.stderr.write(`[scale] ${((performance.now() - T0) / 1000).toFixed(1)}s ${what}\n`);
};
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const MB = 2 ** 20;
const peakRssMB = (): number => process.resourceUsage().maxRSS / 1024;
/** Heap and RSS after a full GC, and the process's peak RSS so far (what a memory limit must allow). */
function mem(): { heapMB: number; rssMB: number; peakRssMB: number } {
  const peak = peakRssMB();
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapMB: m.heapUsed / MB, rssMB: m.rss / MB, peakRssMB: peak };
}
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** EC2 that launches the claim's first (cheapest) instance type at once, in its first allowed zone. */
class InstantCloud implements CloudProvider {
  readonly name = "bench";
  private seq = 0;
  readonly byName = new Map<string, CloudInstance>();
  readonly price = new Map<string, number>();
  constructor(private readonly types: Map<string, InstanceType>, private readonly clock: FakeClock) {}
  async create(nc: NodeClaimLike): Promise<LaunchResult> {
    const req = (k: string) => nc.spec.requirements.find((r) => r.key === k)?.values ?? [];
    const it = this.types.get(req("node.kubernetes.io/instance-type")[0] ?? "")!;
    const zones = req("topology.kubernetes.io/zone");
    const cts = req("karpenter.sh/capacity-type");
    const o = it.offerings.filter((x) => x.available && (!zones.length || zones.includes(x.zone)) && (!cts.length || cts.includes(x.capacityType))).sort((a, b) => a.price - b.price)[0]!;
    const existing = this.byName.get(nc.metadata.name);
    const id = existing?.instanceID ?? `i-${(++this.seq).toString(16).padStart(17, "0")}`;
    const providerID = `aws:///${o.zone}/${id}`;
    this.price.set(nc.metadata.name, o.price);
    this.byName.set(nc.metadata.name, { providerID, instanceID: id, instanceType: it.name, zone: o.zone, capacityType: o.capacityType as "spot", state: "running", launchTime: new Date(this.clock.now()), tags: {} } as CloudInstance);
    return {
      providerID, instanceID: id, imageID: "ami-0123456789abcdef0", instanceType: it.name, zone: o.zone, capacityType: o.capacityType as "spot",
      capacity: formatResources(it.capacity), allocatable: formatResources(it.allocatable),
      labels: { ...it.labels, "node.kubernetes.io/instance-type": it.name, "topology.kubernetes.io/zone": o.zone, "karpenter.sh/capacity-type": o.capacityType },
    };
  }
  async delete(nc: NodeClaimLike): Promise<void> { this.byName.delete(nc.metadata.name); this.price.delete(nc.metadata.name); }
  async get(providerID: string): Promise<CloudInstance> { return [...this.byName.values()].find((i) => i.providerID === providerID)!; }
  async list(): Promise<CloudInstance[]> { return [...this.byName.values()]; }
  async isDrifted(): Promise<string> { return ""; }
  /** The embedded catalog, loaded once: the scheduler's per-catalog caches carry over from one pass to the next. */
  private catalog?: InstanceType[];
  async getInstanceTypes(): Promise<InstanceType[]> { return (this.catalog ??= loadCatalog({ region: "us-east-1" })); }
}

async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 1000);
  const basic = pods === 1000 && process.env.BENCH_SCALE_MIX !== "mix";
  const apps: App[] = basic ? basicShape() : launchableMix(pods);
  // (b): a NodePool limit reached part-way, at 80 % of the requested vCPUs; the basic shape has none.
  const limitCpu = basic ? undefined : mixLimitCpu(apps);

  const clock = new FakeClock(Date.UTC(2026, 2, 2, 10));
  const client = new MemoryKubeClient(clock);
  const catalog = loadCatalog();
  const cloud = new InstantCloud(new Map(catalog.map((t) => [t.name, t])), clock);
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const baseline = mem();

  await client.create(Kinds.EC2NodeClass, {
    metadata: { name: "default" },
    spec: { role: "KarpenterNodeRole-bench", amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "bench" } }], securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "bench" } }] },
    status: { conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "", lastTransitionTime: "2026-03-02T09:00:00Z" }] },
  });
  const pool = (name: string, extra: Record<string, unknown>, requirements: unknown[], taints?: unknown[]) =>
    client.create(Kinds.NodePool, {
      metadata: { name },
      spec: {
        template: { spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, expireAfter: "720h", requirements, ...(taints ? { taints } : {}) } },
        disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "30s", budgets: [{ nodes: "10%" }] },
        ...extra,
      },
    });
  await pool("default", limitCpu ? { limits: { cpu: String(limitCpu) } } : {}, MIX_REQUIREMENTS);
  // (c) trial pods go to their own tainted pool so each one needs a new NodeClaim, whatever the limits.
  await pool("trial", {}, [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }, { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["m"] }], [{ key: "bench/trial", value: "true", effect: "NoSchedule" }]);

  const scheduleMs: number[] = [];
  const timedSchedule = (input: SchedulingInput) => {
    const t = performance.now();
    const r = schedule(input);
    scheduleMs.push(performance.now() - t);
    return r;
  };
  // The periodic disruption loop is off: the bench times one decision itself (step 5).
  const settings = loadSettings({ CLUSTER_NAME: "bench", AWS_REGION: "us-east-1", LOG_LEVEL: "error", METRICS_PORT: "0", DISRUPTION_POLL_INTERVAL: "24h" });
  const c = await startControllers(settings, { client, cloud, clock, log: createLogger({ level: "error", destination: sink }), schedule: timedSchedule, random: (() => { let s = 1; return () => ((s = (s * 16807) % 2147483647) / 2147483647); })() });
  const kindOf = (plural: string) => (Object.keys(Kinds) as KindName[]).find((k) => Kinds[k].plural === plural)!;
  client.watch((kind, obj, phase) => c.onEvent(kindOf(kind.plural), obj, phase));
  const settle = async () => { await flushMicrotasks(); await c.settle(); await flushMicrotasks(); };
  const idle = mem();

  // 1. The watch delivers every pending pod once (full objects), as Pepr's Watch callback does.
  let rv = 1_000_000;
  const podApp = new Map<string, { app: App; i: number }>();
  const tIngest = performance.now();
  for (const app of apps)
    for (let i = 0; i < app.replicas; i++) {
      const p = fullPod(app, i, ++rv);
      podApp.set(podKey(p), { app, i });
      c.onEvent("Pod", p, "ADDED");
    }
  const ingestMs = performance.now() - tIngest;
  const afterIngest = mem();
  progress("ingested");

  // 2. One provisioning pass over all of them (schedule + NodeClaim creates).
  const callsBefore = client.calls.length;
  const claimAt: number[] = [];
  const create = client.create.bind(client);
  client.create = (async (kind, obj) => {
    const out = await create(kind, obj);
    if (kind === Kinds.NodeClaim) claimAt.push(performance.now());
    return out;
  }) as typeof client.create;
  const tSolve = performance.now();
  const res = await c.provisioner.provision();
  const provisionMs = performance.now() - tSolve;
  const solveMs = scheduleMs[scheduleMs.length - 1] ?? 0;
  const firstClaims = res.created.length;
  const firstClaimMs = claimAt.length ? claimAt[0]! - tSolve : undefined;
  const lastClaimMs = claimAt.length ? claimAt[claimAt.length - 1]! - tSolve : undefined;
  const afterSolve = mem();
  progress("solved");

  // 3. Launch (lifecycle queue → fake EC2), then a kubelet registers each Node and kube-scheduler binds the pods
  //    the provisioner nominated.
  await settle();
  for (const nc of c.state.nodeClaims.values()) {
    const pid = nc.status?.providerID as string | undefined;
    if (!pid) continue;
    const name = `ip-10-0-${nc.metadata.name!.replace(/[^a-z0-9]/g, "")}.ec2.internal`;
    const n = fullNode(name, pid, { ...(nc.metadata.labels ?? {}), "karpenter.sh/nodepool": nc.metadata.labels?.["karpenter.sh/nodepool"] ?? "default" }, nc.status!.capacity as Record<string, string>, nc.status!.allocatable as Record<string, string>, ++rv);
    delete n.metadata.uid;
    delete n.metadata.resourceVersion;
    await client.create(Kinds.Node, n);
  }
  await settle();
  progress("launched");
  const pricePerHour = [...cloud.price.values()].reduce((a, b) => a + b, 0);
  const nodeOfClaim = new Map<string, string>();
  for (const sn of c.state.stateNodes())
    if (sn.node && sn.nodeClaimName) nodeOfClaim.set(sn.nodeClaimName, sn.node.metadata.name);
  let bound = 0;
  for (const [key, { app, i }] of podApp) {
    const claim = c.state.nominatedNodeClaim(key);
    const node = claim && nodeOfClaim.get(claim);
    if (!node) continue;
    c.onEvent("Pod", fullPod(app, i, ++rv, node), "MODIFIED");
    bound++;
  }
  await settle();
  const afterBind = mem();
  progress("bound");

  // 4. Scale-down churn: every other Deployment loses half its replicas, leaving consolidation work.
  let deleted = 0;
  for (const [key, { app, i }] of podApp) {
    const idx = apps.indexOf(app);
    if (idx % 2 === 0 && i % 2 === 0 && c.state.pods.get(key)?.spec?.nodeName) {
      const p = fullPod(app, i, ++rv, c.state.pods.get(key)!.spec!.nodeName);
      c.onEvent("Pod", p, "DELETED");
      podApp.delete(key);
      deleted++;
    }
  }
  await clock.advance(60_000);
  progress("scaled down"); // past consolidateAfter (30 s)
  await settle();

  // 5. One disruption decision, as DisruptionRunner.computeAndStart computes it (snapshot + simulator + methods).
  const tDis = performance.now();
  const snap = await c.disruption.snapshot();
  const base = (await c.provisioner.schedulingInput([])).input;
  const sim = schedulerSimulator(schedule, { ...base, inFlightNodeClaims: [] });
  let probes = 0;
  const pass = computeCommand(snap, new Date(clock.now()), { simulator: { simulate: (i) => { probes++; return sim.simulate(i); } } });
  const disruptionMs = performance.now() - tDis;
  const afterDisruption = mem();
  progress("disruption decided");

  // 6. (c) one pending pod → NodeClaim created, 50 trials on the loaded cluster (the batch idle window excluded).
  const trialApp: App = { name: "trial", replicas: 1, cpu: "1", memory: "1Gi" };
  const trialMs: number[] = [];
  // CPU time of the process per trial too: on a shared machine wall time mostly measures the neighbours.
  const trialCpuMs: number[] = [];
  // Each trial re-solves every pod still pending (limit-blocked ones included), as every real batch does; at
  // 5,000+ pods that is seconds per trial, so those sizes take 10 trials unless BENCH_SCALE_TRIALS says.
  const trials = Number(process.env.BENCH_SCALE_TRIALS ?? (pods >= 5000 ? 10 : 50));
  // BENCH_SCALE_PROFILE=<file>: a V8 CPU profile of the trials only (node --cpu-prof would mostly show ingest and
  // the first solve); open it in Chrome DevTools or summarise it with `npx tsx bench/scale/cpuprofile.ts <file>`.
  const profile = process.env.BENCH_SCALE_PROFILE;
  const session = profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  for (let t = 0; t < trials; t++) {
    const p = fullPod(trialApp, t, ++rv);
    p.spec.tolerations.push({ key: "bench/trial", operator: "Exists" });
    p.spec.nodeSelector = { "karpenter.sh/nodepool": "trial" };
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    c.onEvent("Pod", p, "ADDED");
    const r = await c.provisioner.provision();
    trialMs.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    trialCpuMs.push((cpu.user + cpu.system) / 1000);
    if (r.created.length !== 1) throw new Error(`trial ${t}: expected 1 NodeClaim, got ${r.created.length} (${JSON.stringify(r.unschedulable.slice(0, 2))})`);
    c.onEvent("Pod", p, "DELETED");
    const nc = c.state.nodeClaims.get(r.created[0]!)!;
    c.onEvent("NodeClaim", { ...nc, metadata: { ...nc.metadata, resourceVersion: String(++rv) } } as KubeObject, "DELETED");
  }
  if (session) {
    const { profile: p } = await session.post("Profiler.stop");
    writeFileSync(profile!, JSON.stringify(p));
    session.disconnect();
  }
  await settle();
  const end = mem();
  progress("trials done");

  // 7. For comparison: what one watch cache of full Pod objects (kfc's, per Pepr binding) holds for the same pods.
  const before = mem();
  const cache: KubeObject[] = [];
  for (const { app, i } of podApp.values()) cache.push(fullPod(app, i, ++rv, "ip-10-0-1-17.ec2.internal"));
  const fullCacheMB = mem().heapMB - before.heapMB;
  const fullPodBytes = Buffer.byteLength(JSON.stringify(cache[0] ?? {}));
  cache.length = 0;

  const verbs: Record<string, number> = {};
  for (const call of client.calls.slice(callsBefore)) verbs[call.method] = (verbs[call.method] ?? 0) + 1;
  const claims = [...client.objects(Kinds.NodeClaim)];
  console.log(JSON.stringify({
    pods, shape: basic ? "karpenter-basic" : "launchable-mix", limitCpu, node: process.version,
    baseline, idle, afterIngest, afterSolve, afterBind, afterDisruption, end, peakRssMB: peakRssMB(),
    ingestUsPerEvent: (ingestMs * 1000) / pods, provisionMs, solveMs, firstClaimMs, lastClaimMs, pricePerHour, firstClaims, unschedulable: res.unschedulable.length,
    nodes: c.state.nodes.size, bound, deleted, claimsLeft: claims.length,
    disruptionMs, probes, decision: pass.command ? `${pass.command.method} ${pass.command.decision} ${pass.command.candidates.length}` : "none",
    trials, trialP50: pct(trialMs, 50), trialP99: pct(trialMs, 99), trialCpuP50: pct(trialCpuMs, 50), trialCpuP99: pct(trialCpuMs, 99), verbs, fullCacheMB, fullPodBytes, state: c.state.counts(),
  }));
  await c.stop();
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
