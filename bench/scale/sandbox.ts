// The module on the sandbox (real kube-apiserver, kube-scheduler, KWOK, moto as EC2, the node agent as kubelets):
// (a) Karpenter's e2e "basic" shape — 500 × 0.9 vCPU/3.1Gi + 500 × 3.5 vCPU/28Gi pending at once —, (b) 5,000 /
// 20,000 pods of the engine part's launchable mix with the NodePool's cpu limit reached part-way ("large"), and
// (d) a churn soak (pods created and deleted continuously). The module runs as users run it (dist/capsicum.yaml under
// its ServiceAccount; BENCH_MODULE=dev runs `pepr dev` from source instead), and its RSS and CPU are read from
// /proc for every process of its pods' process groups. Run by bench/scale.bench.ts.
import { execFile, execFileSync } from "node:child_process";
import https from "node:https";
import { promisify } from "node:util";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { loadCatalog } from "../../src/cloudprovider/aws/catalog";
import { startSandbox, Sandbox } from "../../sandbox/sandbox";
import { startDevModule, startModule, RunningModule } from "../../sandbox/module";
import { NodeAgent } from "../../sandbox/nodeAgent";
import { waitFor } from "../../sandbox/procs";
import { inspectInChild, Inspection } from "./inspect";
import { App, launchableMix, MIX_REQUIREMENTS, mixLimitCpu, requestedCpu } from "./objects";
import { auditOffset, readAuditWindow, type AuditCounts } from "./auditLog";
import { counterDelta, parsePrometheusText, sumBy } from "./promText";
import { Stage, timeline } from "./timeline";

const root = join(__dirname, "..", "..");
const NS = "bench-scale";
const PAGE = Number(process.env.PAGESIZE ?? 4096);
const HZ = 100; // USER_HZ on Linux

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

interface Proc {
  comm: string;
  pid: number;
  ppid: number;
  pgrp: number;
  role: string;
  rssBytes: number;
  cpuS: number;
}

/** Every live process in the given process groups (from /proc/<pid>/stat). */
function groupProcesses(groups: Map<number, string>): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")); // field 2
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
    const pgrp = Number(f[2]); // field 5
    if (!groups.has(pgrp)) continue;
    // field 4: ppid; 24: rss pages; 14 + 15: utime + stime
    out.push({
      comm,
      pid: Number(d),
      ppid: Number(f[1]),
      pgrp,
      role: groups.get(pgrp)!,
      rssBytes: Number(f[21]) * PAGE,
      cpuS: (Number(f[11]) + Number(f[12])) / HZ,
    });
  }
  return out;
}

/** RSS (sum) and CPU seconds of every live process in the module's process groups, sampled. */
class ProcessMeter {
  peakMB = 0;
  /** Peak RSS per role (watcher, admission; "module" for pepr dev's single process). */
  readonly peakByRole = new Map<string, number>();
  /** Peak RSS per process: "<role> PID 1" (dist/'s module entry, or Pepr's controller.js) and "<role> forked". */
  readonly peakByProcess = new Map<string, number>();
  private readonly cpu = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  constructor(private readonly groups: () => Map<number, string>) {}
  sample(): { rssMB: number; procs: number } {
    const byRole = new Map<string, number>();
    let rss = 0;
    const procs = groupProcesses(this.groups());
    for (const p of procs) {
      rss += p.rssBytes;
      byRole.set(p.role, (byRole.get(p.role) ?? 0) + p.rssBytes / 2 ** 20);
      this.cpu.set(p.pid, p.cpuS);
      const k = `${p.role} ${p.pid === p.pgrp ? "PID 1" : "forked"}`;
      this.peakByProcess.set(k, Math.max(this.peakByProcess.get(k) ?? 0, p.rssBytes / 2 ** 20));
    }
    const rssMB = rss / 2 ** 20;
    this.peakMB = Math.max(this.peakMB, rssMB);
    // Per role: the largest single pod of that role (what one container's memory limit must allow).
    for (const [role, mb] of byRole) this.peakByRole.set(role, Math.max(this.peakByRole.get(role) ?? 0, mb));
    return { rssMB, procs: procs.length };
  }
  /** CPU seconds of every process seen (exited ones at their last sample). */
  cpuSeconds(): number {
    return [...this.cpu.values()].reduce((a, b) => a + b, 0);
  }
  start(ms = 500): void {
    this.timer = setInterval(() => this.sample(), ms);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** Process group → role, one group per pod (each pod's processes run in their own group). */
function moduleGroups(m: RunningModule): Map<number, string> {
  const out = new Map<number, string>();
  for (const p of m.artefact?.pods ?? [])
    if (p.child?.pid) out.set(p.child.pid, `${p.name.includes("-watcher-") ? "watcher" : "admission"} ${p.child.pid}`);
  if (m.child?.pid) out.set(m.child.pid, "module");
  return out;
}

/** `pepr build` + scripts/build-dist.ts into a fresh directory under build/ (as test/build/determinism does). */
function buildFromSource(): string {
  mkdirSync(join(root, "build"), { recursive: true });
  const tmp = mkdtempSync(join(root, "build", "bench-"));
  const bin = (b: string) => join(root, "node_modules", ".bin", b);
  execFileSync(bin("pepr"), ["build", "-o", join(tmp, "build")], { cwd: root, stdio: "pipe" });
  execFileSync(bin("tsx"), [join(root, "scripts/build-dist.ts"), join(tmp, "build"), join(tmp, "dist")], {
    cwd: root,
    stdio: "pipe",
  });
  return join(tmp, "dist", "capsicum.yaml");
}

/**
 * The bench's own reads of the apiserver (polls, /metrics) as the sandbox admin, over one keep-alive connection,
 * counted by verb so the report can tell them from the module's and the control plane's requests.
 */
class AdminApi {
  readonly requests: Record<string, number> = {};
  private conn?: Promise<{ server: string; opts: https.RequestOptions }>;
  constructor(private readonly kubeconfig: string) {}
  private connection(): Promise<{ server: string; opts: https.RequestOptions }> {
    return (this.conn ??= (async () => {
      const kc = new KubeConfig();
      kc.loadFromFile(this.kubeconfig);
      const opts: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      opts.agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      return { server: kc.getCurrentCluster()!.server, opts };
    })());
  }
  /** GET `path`, counted as `verb`: LIST for a collection (as the apiserver counts it), GET for /metrics. */
  async get(path: string, verb: "GET" | "LIST" = "GET"): Promise<string> {
    const { server, opts } = await this.connection();
    this.requests[verb] = (this.requests[verb] ?? 0) + 1;
    return new Promise((resolve, reject) => {
      const req = https.get(new URL(path, server), { ...opts, timeout: 60_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (body += c));
        res.on("end", () =>
          (res.statusCode ?? 0) < 300 ? resolve(body) : reject(new Error(`GET ${path}: ${res.statusCode} ${body}`)),
        );
      });
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error(`GET ${path}: timeout`)));
    });
  }
  async list(path: string): Promise<Obj[]> {
    return JSON.parse(await this.get(path, "LIST")).items;
  }
}

/** Every ServiceAccount of the module's namespace (admission and watcher). */
const MODULE_SA_GROUP = "system:serviceaccounts:pepr-system";

/** Where the module's audited requests start now (a byte offset in the apiserver's audit log). */
const auditMark = (e: Env): number => auditOffset(e.sandbox.controlPlane!.auditLog!);

interface Env {
  sandbox: Sandbox;
  module: RunningModule;
  agent: NodeAgent;
  meter: ProcessMeter;
  api: AdminApi;
  kubectl(args: string[], input?: string): string;
  /** kubectl without blocking this process's event loop (the node agent runs in it). */
  kubectlAsync(args: string[]): Promise<string>;
  mode: string;
  stop(): Promise<void>;
}

/** Karpenter's e2e NodePool for the basic shape: on-demand and spot c/m/r, no limit reached (2,200 vCPU requested). */
function basicNodePool(): Obj {
  return benchNodePool(
    [
      { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
      { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
    ],
    10000,
  );
}

/** NodePool `bench`; no disruption while the bench runs (budget 0 nodes; the soak opens it). */
function benchNodePool(requirements: Obj[], limitCpu: number): Obj {
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: "bench" },
    spec: {
      template: {
        spec: {
          requirements,
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          expireAfter: "720h",
        },
      },
      limits: { cpu: limitCpu },
      disruption: {
        consolidationPolicy: "WhenEmptyOrUnderutilized",
        consolidateAfter: "1m",
        budgets: [{ nodes: "0" }],
      },
    },
  };
}

async function up(runtimeEnv: Record<string, string>, nodePool: Obj = basicNodePool()): Promise<Env> {
  // The apiserver audits the module's ServiceAccounts (and no one else): its own requests, by verb and resource.
  const sandbox = await startSandbox({ controlPlane: { auditGroups: [MODULE_SA_GROUP] } });
  Object.assign(process.env, sandbox.env);
  const cp = sandbox.controlPlane!;
  const kubectl = (args: string[], input?: string) =>
    execFileSync(cp.kubectl, args, {
      encoding: "utf8",
      input,
      env: { ...process.env, KUBECONFIG: cp.kubeconfig },
      maxBuffer: 256 * 2 ** 20,
    });
  const kubectlAsync = async (args: string[]) =>
    (
      await promisify(execFile)(cp.kubectl, args, {
        encoding: "utf8",
        env: { ...process.env, KUBECONFIG: cp.kubeconfig },
        maxBuffer: 256 * 2 ** 20,
      })
    ).stdout;
  kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(root, "crds")]);
  kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd/nodepools.karpenter.sh",
    "crd/nodeclaims.karpenter.sh",
  ]);
  // dev: `pepr dev` (one process). source: the artefact built from these sources into build/ (what `npm run
  // build` would commit to dist/, without touching dist/). Otherwise dist/ as committed.
  const mode = ["dev", "source"].includes(process.env.BENCH_MODULE ?? "") ? process.env.BENCH_MODULE! : "artefact";
  // runtimeEnv: dist/'s Node settings (scripts/module-runtime.ts), also for `pepr dev` and a dist/ built before them.
  const env: Record<string, string> = {
    ...sandbox.env,
    ...runtimeEnv,
    KUBECONFIG: cp.kubeconfig,
    BATCH_IDLE_DURATION: "1s",
    BATCH_MAX_DURATION: "10s",
  };
  const module =
    mode === "dev"
      ? await startDevModule(env)
      : await startModule(env, { manifest: mode === "source" ? buildFromSource() : undefined });
  const agent = new NodeAgent({
    clusterName: sandbox.env.CLUSTER_NAME,
    apiServerEndpoint: cp.server,
    kubeconfig: cp.kubeconfig,
    bootDelayMs: 1000,
    pollMs: 500,
    logFile: join(cp.dir, "node-agent.log"),
  });
  agent.start();
  const meter = new ProcessMeter(() => moduleGroups(module));
  meter.start();
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
  kubectl(["apply", "-f", "-"], JSON.stringify(nodePool));
  await waitFor(
    "NodePool bench Ready",
    async () => {
      const np = JSON.parse(kubectl(["get", "nodepool", "bench", "-o", "json"]));
      return np.status?.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True") || undefined;
    },
    120_000,
  );
  return {
    sandbox,
    module,
    agent,
    meter,
    api: new AdminApi(cp.kubeconfig),
    kubectl,
    kubectlAsync,
    mode,
    async stop() {
      meter.stop();
      await module.stop().catch(() => undefined);
      await agent.stop().catch(() => undefined);
      await sandbox.stop?.();
    },
  };
}

function deployment({ name, replicas, cpu, memory, zoneSpread, nodeSelector }: App): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: "pause", image: "registry.k8s.io/pause:3.9", resources: { requests: { cpu, memory } } }],
          ...(nodeSelector ? { nodeSelector } : {}),
          ...(zoneSpread
            ? {
                topologySpreadConstraints: [
                  {
                    maxSkew: 1,
                    topologyKey: "topology.kubernetes.io/zone",
                    whenUnsatisfiable: "DoNotSchedule",
                    labelSelector: { matchLabels: { app: name } },
                  },
                ],
              }
            : {}),
        },
      },
    },
  };
}

const list = (e: Env, what: string[]): Obj[] => JSON.parse(e.kubectl(["get", ...what, "-o", "json"])).items;

function pricePerHour(claims: Obj[]): number {
  const cat = new Map(loadCatalog({ region: "us-east-1" }).map((t) => [t.name, t]));
  let sum = 0;
  for (const c of claims) {
    const l = c.metadata.labels ?? {};
    const it = cat.get(l["node.kubernetes.io/instance-type"]);
    const o = it?.offerings.find(
      (x) => x.zone === l["topology.kubernetes.io/zone"] && x.capacityType === l["karpenter.sh/capacity-type"],
    );
    sum += o?.price ?? 0;
  }
  return sum;
}

/** What `meterFigures` reports: the module's RSS and CPU over a run. */
interface MeterFigures {
  idleRssMB: number;
  peakRssMB: number;
  peakByPodMB: Record<string, number>;
  peakByProcessMB: Record<string, number>;
  cpuSeconds: number;
  load: string;
}

export interface BasicResult extends MeterFigures {
  mode: string;
  toFirstClaimS: number;
  toAllRunningS: number;
  running: number;
  nodeClaims: number;
  nodes: number;
  /** Seconds from a NodeClaim's creation to its Node's (launch + boot + registration), median and slowest. */
  registerP50S: number;
  registerMaxS: number;
  pricePerHour: number;
  /** Seconds from the apply to the last pod's creation (second resolution, the apiserver's timestamps). */
  lastPodCreatedS: number;
  timeline: Stage[];
  /** The module's own apiserver requests from the apply to the end of the run (audit log). */
  moduleRequests: AuditCounts;
  /** BENCH_INSPECT_EVERY_S samples of the watcher's module process, in time order. */
  midRun: Inspection[];
}

/** (a) Karpenter's e2e "basic" shape, pending at once. */
export async function basic(e: Env): Promise<BasicResult> {
  const idle = e.meter.sample().rssMB;
  const cpu0 = e.meter.cpuSeconds();
  const audit0 = auditMark(e);
  const t0 = Date.now();
  e.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        deployment({ name: "small", replicas: 500, cpu: "900m", memory: "3.1Gi" }),
        deployment({ name: "large", replicas: 500, cpu: "3500m", memory: "28Gi" }),
      ],
    }),
  );
  let first = -1;
  let running = 0;
  // A machine too loaded for the node agent to register every node in time still yields the module's figures:
  // the run reports how many pods were Running at the deadline (BENCH_BASIC_TIMEOUT_S, default 600) instead.
  // The poll is asynchronous and at most once a second: a synchronous `kubectl get pods -o json` of 1,000 pods
  // every 250 ms blocked the node agent (same process) most of the time and took CPU from the module.
  const names = async (args: string[]) =>
    (await e.kubectlAsync(["get", ...args, "-o", "name"])).split("\n").filter(Boolean).length;
  // BENCH_INSPECT_EVERY_S: the watcher's module process read mid-run (memoryUsage without a forced GC), so the
  // report says whether its peak RSS is JS heap or memory outside it. Off by default: each read costs a process.
  const midRun: Inspection[] = [];
  const every = Number(process.env.BENCH_INSPECT_EVERY_S ?? 0) * 1000;
  let sampling = every > 0;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, every));
      const p = groupProcesses(moduleGroups(e.module)).find(
        (x) => x.comm === "node" && x.pid !== x.pgrp && /^(watcher|module) /.test(x.role),
      );
      if (p && sampling) midRun.push(await inspectInChild(p.pid, false, false).catch(() => undefined as never));
    }
  })();
  const reached = await waitFor(
    "1,000 pods Running",
    async () => {
      const started = Date.now();
      if (first < 0 && (await names(["nodeclaims"]))) first = Date.now() - t0;
      running = await names(["pods", "-n", NS, "--field-selector=status.phase=Running"]);
      if (running >= 1000) return true;
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
      return undefined;
    },
    Number(process.env.BENCH_BASIC_TIMEOUT_S ?? 600) * 1000,
  ).then(
    () => true,
    () => false,
  );
  const toAll = reached ? Date.now() - t0 : NaN;
  sampling = false;
  await sampler;
  const run = afterRun(e, t0, audit0);
  return {
    mode: e.mode,
    toFirstClaimS: first / 1000,
    toAllRunningS: toAll / 1000,
    running,
    lastPodCreatedS: run.lastPodCreatedS,
    nodeClaims: run.nodeClaims,
    nodes: run.nodes,
    registerP50S: run.registerP50S,
    registerMaxS: run.registerMaxS,
    pricePerHour: run.pricePerHour,
    ...meterFigures(e, idle, cpu0),
    timeline: run.timeline,
    moduleRequests: run.moduleRequests,
    midRun: midRun.filter(Boolean),
  };
}

/** What a run leaves in the cluster, read after it from the objects' own timestamps (1 s resolution). */
interface AfterRun {
  nodeClaims: number;
  nodes: number;
  /** Seconds from the apply to the first and the last NodeClaim's creation. */
  firstClaimS: number;
  lastClaimS: number;
  /** Seconds from a NodeClaim's creation to its Node's (launch + boot + registration), median and slowest. */
  registerP50S: number;
  registerMaxS: number;
  pricePerHour: number;
  /** Seconds from the apply to the last pod's creation. */
  lastPodCreatedS: number;
  timeline: Stage[];
  /** The module's own apiserver requests since the apply (its ServiceAccounts, from the audit log). */
  moduleRequests: AuditCounts;
}

function afterRun(e: Env, t0: number, audit0: number): AfterRun {
  const moduleRequests = readAuditWindow(e.sandbox.controlPlane!.auditLog!, audit0);
  const claims = list(e, ["nodeclaims"]);
  // How fast the control plane itself made the pods (kube-controller-manager's ReplicaSet controller, at its
  // client's default 20 requests/s): the part of "to all Running" no autoscaler can shorten.
  const pods = list(e, ["pods", "-n", NS]);
  const since = (times: number[]) => times.map((t) => (t - t0) / 1000).sort((a, b) => a - b);
  const podsCreated = since(pods.map((p: Obj) => Date.parse(p.metadata.creationTimestamp)));
  const claimsCreated = since(claims.map((c: Obj) => Date.parse(c.metadata.creationTimestamp)));
  const nodeList = list(e, ["nodes", "-l", "karpenter.sh/nodepool"]);
  // Node registration after launch: the Node's creation minus its NodeClaim's (the node agent's share of the run).
  const claimAt = new Map<string, number>(
    claims.map((c: Obj) => [c.status?.providerID, Date.parse(c.metadata.creationTimestamp)]),
  );
  const joinS = nodeList
    .map((n: Obj) => (Date.parse(n.metadata.creationTimestamp) - (claimAt.get(n.spec?.providerID) ?? NaN)) / 1000)
    .filter((s: number) => Number.isFinite(s))
    .sort((a: number, b: number) => a - b);
  e.meter.sample();
  return {
    nodeClaims: claims.length,
    nodes: nodeList.length,
    firstClaimS: claimsCreated[0] ?? NaN,
    lastClaimS: claimsCreated[claimsCreated.length - 1] ?? NaN,
    registerP50S: joinS[Math.floor(joinS.length / 2)] ?? NaN,
    registerMaxS: joinS[joinS.length - 1] ?? NaN,
    pricePerHour: pricePerHour(claims),
    lastPodCreatedS: podsCreated[podsCreated.length - 1] ?? NaN,
    timeline: timeline(t0, pods, list(e, ["events", "-n", NS]), claims, nodeList),
    moduleRequests,
  };
}

/** The module's RSS (idle, peak: all its processes, per pod, per process) and CPU since `cpu0`; the load average. */
function meterFigures(e: Env, idleRssMB: number, cpu0: number): MeterFigures {
  e.meter.sample();
  return {
    idleRssMB,
    peakRssMB: e.meter.peakMB,
    peakByPodMB: Object.fromEntries(e.meter.peakByRole),
    peakByProcessMB: Object.fromEntries(e.meter.peakByProcess),
    cpuSeconds: e.meter.cpuSeconds() - cpu0,
    load: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  };
}

/** Apiserver request counters from kube-apiserver's /metrics (all clients: the metric has no user label). */
interface ApiCounters {
  /** apiserver_request_total summed by verb. */
  byVerb: Record<string, number>;
  /** apiserver_request_total summed by "VERB resource[/subresource]". */
  byVerbResource: Record<string, number>;
  /**
   * apiserver_flowcontrol_dispatched_requests_total by flow schema: the module's ServiceAccounts (pepr-system)
   * fall in `service-accounts`; the sandbox admin (kube-controller-manager, kube-scheduler, KWOK, the node agent,
   * the bench) in `exempt`.
   */
  byFlowSchema: Record<string, number>;
}

async function apiCounters(api: AdminApi): Promise<ApiCounters> {
  const text = await api.get("/metrics");
  const req = parsePrometheusText(text, "apiserver_request_total");
  const byResource = req.map((x) => ({
    ...x,
    labels: {
      k: `${x.labels.verb} ${x.labels.resource || "(non-resource)"}${x.labels.subresource ? `/${x.labels.subresource}` : ""}`,
    },
  }));
  return {
    byVerb: sumBy(req, "verb"),
    byVerbResource: sumBy(byResource, "k"),
    byFlowSchema: sumBy(parsePrometheusText(text, "apiserver_flowcontrol_dispatched_requests_total"), "flow_schema"),
  };
}

export interface LargeResult extends Omit<AfterRun, "timeline">, MeterFigures {
  pods: number;
  mode: string;
  requestedCpu: number;
  limitCpu: number;
  /** NodePool bench's status.resources.cpu at the end (what its NodeClaims count against the limit). */
  nodePoolCpu: string;
  /**
   * Every pod created and the pods Running, NodeClaims and Initialized NodeClaims unchanged for
   * BENCH_LARGE_QUIET_S before the deadline; otherwise the figures are those at the deadline.
   */
  settled: boolean;
  timeoutS: number;
  /** Seconds from the apply to the last change of pods created / Running / NodeClaims / Initialized. */
  lastChangeS: number;
  created: number;
  running: number;
  /** Over the run (apply → settled or deadline), every client. */
  requests: ApiCounters;
  /** Of those, the bench's own (polls once every 2 s, the first /metrics read). */
  benchRequests: Record<string, number>;
  timeline: Stage[];
}

/**
 * (b) The engine part's launchable mix at `n` pods (20 Deployments, a third zone-spread, a fifth pinned to amd64)
 * applied at once, with NodePool bench's cpu limit at 80 % of what they request (set by the caller's `up`), so
 * the limit is reached part-way and the rest stay pending. Waits until everything has settled or
 * BENCH_LARGE_TIMEOUT_S (default: the ReplicaSet controller's 20 pods/s × 1.2 + 120 s, at least 600 s).
 */
export async function large(e: Env, n: number): Promise<LargeResult> {
  const apps = launchableMix(n);
  const timeoutS = Number(process.env.BENCH_LARGE_TIMEOUT_S ?? Math.max(600, Math.round(120 + (1.2 * n) / 20)));
  const quietMs = Number(process.env.BENCH_LARGE_QUIET_S ?? 30) * 1000;
  const idle = e.meter.sample().rssMB;
  const cpu0 = e.meter.cpuSeconds();
  const bench0 = { ...e.api.requests };
  const before = await apiCounters(e.api);
  const audit0 = auditMark(e);
  const t0 = Date.now();
  e.kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: apps.map(deployment) }));
  // Polls are two small LISTs (20 Deployments' status, the NodeClaims), asynchronous (the node agent runs in
  // this process): a LIST of thousands of pods every few seconds would load the apiserver under measurement.
  let [created, running, claims, initialized] = [0, 0, 0, 0];
  let state = "";
  let changedAt = t0;
  let settled = false;
  let reported = t0;
  const deadline = t0 + timeoutS * 1000;
  const tag = `[large ${n}]`;
  while (Date.now() < deadline) {
    const started = Date.now();
    try {
      const deps = await e.api.list(`/apis/apps/v1/namespaces/${NS}/deployments`);
      created = deps.reduce((s: number, d: Obj) => s + (d.status?.replicas ?? 0), 0);
      running = deps.reduce((s: number, d: Obj) => s + (d.status?.readyReplicas ?? 0), 0);
      const ncs = await e.api.list("/apis/karpenter.sh/v1/nodeclaims");
      claims = ncs.length;
      initialized = ncs.filter((c: Obj) =>
        c.status?.conditions?.some((x: Obj) => x.type === "Initialized" && x.status === "True"),
      ).length;
    } catch (err) {
      process.stderr.write(`${tag} poll failed (retrying): ${(err as Error).message}\n`);
    }
    const now = `${created}/${running}/${claims}/${initialized}`;
    if (now !== state) [state, changedAt] = [now, Date.now()];
    if (started - reported >= 30_000) {
      reported = started;
      process.stderr.write(
        `${tag} ${((started - t0) / 1000).toFixed(0)} s: ${created} pods created, ${running} Running, ${claims} NodeClaims (${initialized} Initialized), module RSS ${e.meter.sample().rssMB.toFixed(0)} MB\n`,
      );
    }
    if (created >= n && claims > 0 && initialized === claims && Date.now() - changedAt >= quietMs) {
      settled = true;
      break;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (Date.now() - started))));
  }
  const benchRequests = counterDelta(bench0, e.api.requests);
  const after = await apiCounters(e.api);
  const figures = meterFigures(e, idle, cpu0);
  const nodePool = JSON.parse(e.kubectl(["get", "nodepool", "bench", "-o", "json"]));
  const { timeline: stages, ...run } = afterRun(e, t0, audit0);
  return {
    pods: n,
    mode: e.mode,
    requestedCpu: requestedCpu(apps),
    limitCpu: mixLimitCpu(apps),
    nodePoolCpu: String(nodePool.status?.resources?.cpu ?? "?"),
    settled,
    timeoutS,
    lastChangeS: (changedAt - t0) / 1000,
    created,
    running,
    ...run,
    ...figures,
    requests: {
      byVerb: counterDelta(before.byVerb, after.byVerb),
      byVerbResource: counterDelta(before.byVerbResource, after.byVerbResource),
      byFlowSchema: counterDelta(before.byFlowSchema, after.byFlowSchema),
    },
    benchRequests,
    timeline: stages,
  };
}

export interface SoakResult {
  minutes: number;
  cycles: number;
  startRssMB: number;
  endRssMB: number;
  peakRssMB: number;
  changePct: number;
  nodeClaimsEnd: number;
  peakByPodMB: Record<string, number>;
}

/**
 * (d) Churn: a Deployment scaled between 20 and 120 replicas every 20 s for BENCH_SOAK_MINUTES (default 30),
 * so pods are created and deleted continuously and nodes come and go. RSS at start (after the first cycle) and end.
 */
export async function soak(e: Env, minutes: number): Promise<SoakResult> {
  e.kubectl(["delete", "deployment", "--all", "-n", NS, "--wait=false"]);
  e.kubectl([
    "patch",
    "nodepool",
    "bench",
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { disruption: { budgets: [{ nodes: "100%" }], consolidateAfter: "30s" } } }),
  ]);
  e.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify(deployment({ name: "churn", replicas: 20, cpu: "500m", memory: "512Mi" })),
  );
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(20_000);
  const start = e.meter.sample().rssMB;
  const peak0 = e.meter.peakMB;
  const end = Date.now() + minutes * 60_000;
  let cycles = 0;
  while (Date.now() < end) {
    e.kubectl(["scale", "deployment", "churn", "-n", NS, `--replicas=${cycles % 2 ? 20 : 120}`]);
    cycles++;
    await sleep(20_000);
    if (process.env.BENCH_SCALE_PROGRESS)
      process.stderr.write(`[soak] ${cycles} cycles, RSS ${e.meter.sample().rssMB.toFixed(0)} MB\n`);
  }
  const endRss = e.meter.sample().rssMB;
  return {
    minutes,
    cycles,
    startRssMB: start,
    endRssMB: endRss,
    peakRssMB: Math.max(peak0, e.meter.peakMB),
    changePct: ((endRss - start) / start) * 100,
    nodeClaimsEnd: list(e, ["nodeclaims"]).length,
    peakByPodMB: Object.fromEntries(e.meter.peakByRole),
  };
}

/**
 * BENCH_INSPECT=1: after the basic run, each module process's memoryUsage() after a full GC (and, for the
 * module processes, a heap snapshot's largest object groups): what the RSS above is made of.
 */
async function inspectAll(e: Env): Promise<Record<string, Inspection>> {
  const out: Record<string, Inspection> = {};
  // Node processes only: SIGUSR1 would kill another (pepr dev's esbuild service is in its group).
  for (const p of groupProcesses(moduleGroups(e.module)).filter((x) => x.comm === "node")) {
    const k = `${p.role} ${p.pid === p.pgrp ? "PID 1" : "forked"} (pid ${p.pid})`;
    out[k] = await inspectInChild(p.pid, p.pid !== p.pgrp || e.mode === "dev").catch(
      (err) => ({ error: String(err) }) as unknown as Inspection,
    );
  }
  return out;
}

export interface SandboxResults {
  basic?: BasicResult;
  soak?: SoakResult;
  inspections?: Record<string, Inspection>;
  large?: LargeResult[];
}

export async function runSandboxBench(parts: {
  basic: boolean;
  soakMinutes: number;
  /** Pod counts for the large part, each in a sandbox of its own (its NodePool limit depends on the size). */
  largeSizes: number[];
  runtimeEnv: Record<string, string>;
}): Promise<SandboxResults> {
  const out: SandboxResults = {};
  if (parts.basic || parts.soakMinutes > 0) {
    const e = await up(parts.runtimeEnv);
    try {
      if (parts.basic) out.basic = await basic(e);
      if (parts.basic && process.env.BENCH_INSPECT) out.inspections = await inspectAll(e);
      if (parts.soakMinutes > 0) out.soak = await soak(e, parts.soakMinutes);
    } finally {
      await e.stop();
    }
  }
  for (const n of parts.largeSizes) {
    const e = await up(parts.runtimeEnv, benchNodePool(MIX_REQUIREMENTS, mixLimitCpu(launchableMix(n))));
    try {
      (out.large ??= []).push(await large(e, n));
    } finally {
      await e.stop();
    }
  }
  return out;
}
