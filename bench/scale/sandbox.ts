// The module on the sandbox (real kube-apiserver, kube-scheduler, KWOK, moto as EC2, the node agent as kubelets):
// (a) Karpenter's e2e "basic" shape — 500 × 0.9 vCPU/3.1Gi + 500 × 3.5 vCPU/28Gi pending at once — and (d) a
// churn soak (pods created and deleted continuously). The module runs as users run it (dist/capsicum.yaml under
// its ServiceAccount; BENCH_MODULE=dev runs `pepr dev` from source instead), and its RSS and CPU are read from
// /proc for every process of its pods' process groups. Run by bench/scale.bench.ts.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadCatalog } from "../../src/cloudprovider/aws/catalog";
import { startSandbox, Sandbox } from "../../sandbox/sandbox";
import { startDevModule, startModule, RunningModule } from "../../sandbox/module";
import { NodeAgent } from "../../sandbox/nodeAgent";
import { waitFor } from "../../sandbox/procs";
import { inspectInChild, Inspection } from "./inspect";
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

interface Env {
  sandbox: Sandbox;
  module: RunningModule;
  agent: NodeAgent;
  meter: ProcessMeter;
  kubectl(args: string[], input?: string): string;
  /** kubectl without blocking this process's event loop (the node agent runs in it). */
  kubectlAsync(args: string[]): Promise<string>;
  mode: string;
  stop(): Promise<void>;
}

async function up(runtimeEnv: Record<string, string>): Promise<Env> {
  const sandbox = await startSandbox();
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
  // Karpenter's e2e NodePool for this shape: on-demand and spot c/m/r, no limit reached (2,200 vCPU requested).
  kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "karpenter.sh/v1",
      kind: "NodePool",
      metadata: { name: "bench" },
      spec: {
        template: {
          spec: {
            requirements: [
              { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
              { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
              { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
            ],
            nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
            expireAfter: "720h",
          },
        },
        limits: { cpu: 10000 },
        disruption: {
          consolidationPolicy: "WhenEmptyOrUnderutilized",
          consolidateAfter: "1m",
          budgets: [{ nodes: "0" }],
        },
      },
    }),
  );
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

function deployment(name: string, replicas: number, cpu: string, memory: string): Obj {
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

export interface BasicResult {
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
  idleRssMB: number;
  peakRssMB: number;
  peakByPodMB: Record<string, number>;
  peakByProcessMB: Record<string, number>;
  cpuSeconds: number;
  load: string;
  timeline: Stage[];
  /** BENCH_INSPECT_EVERY_S samples of the watcher's module process, in time order. */
  midRun: Inspection[];
}

/** (a) Karpenter's e2e "basic" shape, pending at once. */
export async function basic(e: Env): Promise<BasicResult> {
  const idle = e.meter.sample().rssMB;
  const cpu0 = e.meter.cpuSeconds();
  const t0 = Date.now();
  e.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [deployment("small", 500, "900m", "3.1Gi"), deployment("large", 500, "3500m", "28Gi")],
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
  const claims = list(e, ["nodeclaims"]);
  // How fast the control plane itself made the pods (kube-controller-manager's ReplicaSet controller, at its
  // client's default 20 requests/s): the part of "to all Running" no autoscaler can shorten.
  const pods = list(e, ["pods", "-n", NS]);
  const podsCreated = pods.map((p: Obj) => Date.parse(p.metadata.creationTimestamp));
  const lastPodS = podsCreated.length ? (Math.max(...podsCreated) - t0) / 1000 : NaN;
  const nodeList = list(e, ["nodes", "-l", "karpenter.sh/nodepool"]);
  const nodes = nodeList.length;
  // Node registration after launch: the Node's creation minus its NodeClaim's (the node agent's share of the run).
  const claimAt = new Map<string, number>(
    claims.map((c: Obj) => [c.status?.providerID, Date.parse(c.metadata.creationTimestamp)]),
  );
  const joinS = nodeList
    .map((n: Obj) => (Date.parse(n.metadata.creationTimestamp) - (claimAt.get(n.spec?.providerID) ?? NaN)) / 1000)
    .filter((s: number) => Number.isFinite(s))
    .sort((a: number, b: number) => a - b);
  e.meter.sample();
  const stages = timeline(t0, pods, list(e, ["events", "-n", NS]), claims, nodeList);
  return {
    mode: e.mode,
    toFirstClaimS: first / 1000,
    toAllRunningS: toAll / 1000,
    running,
    lastPodCreatedS: lastPodS,
    nodeClaims: claims.length,
    nodes,
    registerP50S: joinS[Math.floor(joinS.length / 2)] ?? NaN,
    registerMaxS: joinS[joinS.length - 1] ?? NaN,
    pricePerHour: pricePerHour(claims),
    idleRssMB: idle,
    peakRssMB: e.meter.peakMB,
    peakByPodMB: Object.fromEntries(e.meter.peakByRole),
    peakByProcessMB: Object.fromEntries(e.meter.peakByProcess),
    cpuSeconds: e.meter.cpuSeconds() - cpu0,
    load: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    timeline: stages,
    midRun: midRun.filter(Boolean),
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
  e.kubectl(["apply", "-f", "-"], JSON.stringify(deployment("churn", 20, "500m", "512Mi")));
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

export async function runSandboxBench(parts: {
  basic: boolean;
  soakMinutes: number;
  runtimeEnv: Record<string, string>;
}): Promise<{ basic?: BasicResult; soak?: SoakResult; inspections?: Record<string, Inspection> }> {
  const e = await up(parts.runtimeEnv);
  try {
    const out: { basic?: BasicResult; soak?: SoakResult; inspections?: Record<string, Inspection> } = {};
    if (parts.basic) out.basic = await basic(e);
    if (parts.basic && process.env.BENCH_INSPECT) out.inspections = await inspectAll(e);
    if (parts.soakMinutes > 0) out.soak = await soak(e, parts.soakMinutes);
    return out;
  } finally {
    await e.stop();
  }
}
