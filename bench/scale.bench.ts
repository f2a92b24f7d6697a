// `npm run bench -- scale`: the watcher's engine at 1,000 / 5,000 / 20,000 pods (BENCH_SCALE_SIZES=1000,5000
// to choose), each in its own process so heap and RSS are that run's: cluster state fed by full watch objects,
// one provisioning solve over every pending pod, launch + registration + binding, a scale-down, one disruption
// decision, then 50 single-pod solves on the loaded cluster. The engine is bundled with esbuild first (as
// dist/ is), so tsx's transpiler is not in the measured RSS. Targets are issue 17's (Karpenter's bars); a row
// that misses one says NO. Then, on the sandbox (bench/scale/sandbox.ts): (a) Karpenter's e2e "basic" shape,
// (b) the launchable mix at BENCH_SCALE_LARGE_SIZES pods (default 5000,20000; NodePool limit reached part-way)
// and (d) a churn soak (BENCH_SOAK_MINUTES, default 30), the module running as users deploy it.
// BENCH_SCALE_PARTS (engine,basic,large,soak; default all) chooses. The sandbox parts need the shared lock:
//   flock /tmp/capsicum-sandbox.lock timeout 7200 npm run bench -- scale
import { execFileSync, spawnSync } from "node:child_process";
import { cpus, totalmem, tmpdir } from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LargeResult, runSandboxBench } from "./scale/sandbox";
import type { AuditCounts } from "./scale/auditLog";
import { MODULE_RUNTIME_ENV } from "../scripts/module-runtime";

/** The module containers' Node settings (dist/), unless BENCH_RUNTIME_ENV=none (for an A/B of those settings). */
const RUNTIME_ENV: Record<string, string> =
  process.env.BENCH_RUNTIME_ENV === "none" ? {} : Object.fromEntries(MODULE_RUNTIME_ENV.map((e) => [e.name, e.value]));
const runtimeNote = () =>
  Object.entries(RUNTIME_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ") || "Node defaults";

interface Mem {
  heapMB: number;
  rssMB: number;
  peakRssMB: number;
}
interface Run {
  pods: number;
  shape: string;
  limitCpu?: number;
  node: string;
  baseline: Mem;
  idle: Mem;
  afterIngest: Mem;
  afterSolve: Mem;
  afterBind: Mem;
  afterDisruption: Mem;
  end: Mem;
  peakRssMB: number;
  ingestUsPerEvent: number;
  provisionMs: number;
  solveMs: number;
  firstClaimMs?: number;
  lastClaimMs?: number;
  pricePerHour: number;
  firstClaims: number;
  unschedulable: number;
  nodes: number;
  bound: number;
  deleted: number;
  disruptionMs: number;
  probes: number;
  decision: string;
  trials: number;
  trialP50: number;
  trialP99: number;
  trialCpuP50: number;
  trialCpuP99: number;
  verbs: Record<string, number>;
  fullCacheMB: number;
  fullPodBytes: number;
}

/** Issue 17's targets; the 1,000-pod run is Karpenter's e2e "basic" shape (its bar: 260 MB, ours 130 MB). */
const RSS_TARGET_MB: Record<number, number> = { 1000: 130, 5000: 250, 20000: 600 };
const TRIAL_TARGET_MS = 200; // pending pod → NodeClaim, beyond the batch idle window, at p99
const DISRUPTION_TARGET_MS = 60_000; // Karpenter's MultiNodeConsolidationTimeoutDuration (1 m)

function bundle(): string {
  const out = join(tmpdir(), `capsicum-bench-scale-${process.pid}.js`);
  execFileSync(
    join(__dirname, "..", "node_modules", ".bin", "esbuild"),
    [
      join(__dirname, "scale", "engine.ts"),
      "--bundle",
      "--platform=node",
      "--target=node20",
      `--outfile=${out}`,
      "--log-level=warning",
    ],
    { stdio: "inherit" },
  );
  return out;
}

function runOne(file: string, pods: number): Run {
  const r = spawnSync(process.execPath, ["--expose-gc", file, String(pods)], {
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
    timeout: 3_600_000,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...RUNTIME_ENV, BENCH_SCALE_PROGRESS: "1" },
  });
  if (r.status !== 0)
    throw new Error(`scale run with ${pods} pods failed (exit ${r.status}, signal ${r.signal}):\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Run;
}

const f0 = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(0));
const f1 = (n: number) => n.toFixed(1);
const ok = (v: number, target: number) => `${f0(v)} ${v <= target ? "ok" : "NO"}`;

function table(rows: string[][]): void {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i < 1 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  "));
}

export default async function (): Promise<void> {
  const parts = (process.env.BENCH_SCALE_PARTS ?? "engine,basic,large,soak").split(",");
  if (parts.includes("engine")) engine();
  const soakMinutes = parts.includes("soak") ? Number(process.env.BENCH_SOAK_MINUTES ?? 30) : 0;
  const largeSizes = parts.includes("large")
    ? (process.env.BENCH_SCALE_LARGE_SIZES ?? "5000,20000")
        .split(",")
        .map(Number)
        .filter((n) => n > 0)
    : [];
  if (parts.includes("basic") || soakMinutes > 0 || largeSizes.length)
    await sandboxParts(parts.includes("basic"), soakMinutes, largeSizes);
}

async function sandboxParts(basic: boolean, soakMinutes: number, largeSizes: number[]): Promise<void> {
  const r = await runSandboxBench({ basic, soakMinutes, largeSizes, runtimeEnv: RUNTIME_ENV });
  const cpu = cpus()[0]?.model ?? "?";
  console.log(
    `\nsandbox: ${cpus().length} × ${cpu}, Node ${process.version}; module = ${r.basic?.mode ?? process.env.BENCH_MODULE ?? "artefact"}, ${runtimeNote()} (RSS and CPU summed over all its processes, from /proc)`,
  );
  if (r.basic) {
    const b = r.basic;
    console.log(
      "\n(a) Karpenter e2e basic shape: 500 × 0.9 vCPU/3.1Gi + 500 × 3.5 vCPU/28Gi pending at once (targets: ≤ 60 s, ≤ 130 MB)",
    );
    table([
      [
        "to first NodeClaim s",
        "to all Running s",
        "NodeClaims",
        "Nodes",
        "$/h",
        "idle RSS MB",
        "peak RSS MB",
        "CPU s",
        "load avg after",
      ],
      [
        b.toFirstClaimS.toFixed(1),
        Number.isNaN(b.toAllRunningS) ? `NO: ${b.running}/1000 Running at the deadline` : ok(b.toAllRunningS, 60),
        String(b.nodeClaims),
        String(b.nodes),
        b.pricePerHour.toFixed(2),
        f0(b.idleRssMB),
        ok(b.peakRssMB, 130),
        f1(b.cpuSeconds),
        b.load,
      ],
    ]);
    console.log(
      `NodeClaim → Node registered: p50 ${f1(b.registerP50S)} s, slowest ${f1(b.registerMaxS)} s; the last of the 1,000 pods was created ${f1(b.lastPodCreatedS)} s after the apply (kube-controller-manager)`,
    );
    // The split README reports: the control plane's share (pods created and marked unschedulable) and the rest.
    const last = (name: string) => b.timeline.find((t) => t.stage.startsWith(name))?.lastS ?? NaN;
    const [marked, running] = [last("pods marked unschedulable"), last("pods Running")];
    console.log(
      `all Running by the pods' own Ready times: ${f1(running)} s (the poll above adds its lag); last pod created ${f1(b.lastPodCreatedS)} s, last marked unschedulable ${f1(marked)} s: ${f1(running - marked)} s from there to all Running (module, EC2, node agent, scheduler binding)`,
    );
    console.log(
      `peak RSS per pod (MB): ${Object.entries(b.peakByPodMB)
        .map(([k, v]) => `${k} ${f0(v)}`)
        .join(", ")}`,
    );
    printModuleRequests("the module's own apiserver requests from the apply to all Running", b.moduleRequests);
    console.log(
      `peak RSS per process (MB): ${Object.entries(b.peakByProcessMB)
        .map(([k, v]) => `${k} ${f0(v)}`)
        .join(", ")}`,
    );
    console.log(
      "\ntimeline (seconds after the apply; objects' own timestamps, 1 s resolution; by = who does the step)",
    );
    table([
      ["stage", "by", "n", "first", "p50", "last"],
      ...b.timeline.map((t) => [t.stage, t.by, String(t.n), f1(t.firstS), f1(t.p50S), f1(t.lastS)]),
    ]);
  }
  if (r.basic?.midRun.length)
    console.log(
      `\nwatcher module mid-run (BENCH_INSPECT_EVERY_S, no forced GC; MB rss/heapUsed/heapTotal/external): ${r.basic.midRun.map((i) => `${f0(i.rssMB)}/${f0(i.heapUsedMB)}/${f0(i.heapTotalMB)}/${f0(i.externalMB)}`).join(" ")}`,
    );
  if (r.inspections) {
    console.log(
      "\nBENCH_INSPECT: each process after the run, full GC first (MB; top = heap snapshot's largest groups by self size)",
    );
    for (const [k, i] of Object.entries(r.inspections)) {
      if (!i.top) {
        console.log(`${k}: ${JSON.stringify(i)}`);
        continue;
      }
      console.log(
        `${k}: rss ${f0(i.rssMB)}, heapUsed ${f1(i.heapUsedMB)}, heapTotal ${f1(i.heapTotalMB)}, external ${f1(i.externalMB)} (arrayBuffers ${f1(i.arrayBuffersMB)})`,
      );
      for (const t of i.top) console.log(`    ${f1(t.mb).padStart(7)} MB  ${String(t.count).padStart(8)}  ${t.what}`);
    }
  }
  if (r.large?.length) printLarge(r.large);
  if (r.soak) {
    const s = r.soak;
    console.log(`\n(d) churn soak: a Deployment scaled 20 ↔ 120 every 20 s (target: end RSS within 10 % of start)`);
    table([
      ["minutes", "cycles", "start RSS MB", "end RSS MB", "change %", "peak RSS MB", "NodeClaims at end"],
      [
        String(s.minutes),
        String(s.cycles),
        f0(s.startRssMB),
        f0(s.endRssMB),
        `${f1(s.changePct)} ${Math.abs(s.changePct) <= 10 ? "ok" : "NO"}`,
        f0(s.peakRssMB),
        String(s.nodeClaimsEnd),
      ],
    ]);
    console.log(
      `peak RSS per pod (MB): ${Object.entries(s.peakByPodMB)
        .map(([k, v]) => `${k} ${f0(v)}`)
        .join(", ")}`,
    );
  }
}

const n0 = (n: number) => Math.round(n).toLocaleString("en-US");
const counts = (c: Record<string, number>, top = Infinity) =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${k} ${n0(v)}`)
    .join(", ");

/** The module's requests, from the apiserver's audit log of its ServiceAccounts (bench/scale/auditLog.ts). */
function printModuleRequests(what: string, c: AuditCounts): void {
  console.log(`${what} (audit log of its ServiceAccounts; a watch counts when established): ${n0(c.total)}`);
  console.log(`  by verb: ${counts(c.byVerb)}; by ServiceAccount: ${counts(c.byUser)}`);
  console.log(`  by verb + resource: ${counts(c.byVerbResource, 16)}`);
  if (Object.keys(c.byErrorCode).length) console.log(`  answered ≥ 400: ${counts(c.byErrorCode)}`);
}

function printLarge(runs: LargeResult[]): void {
  console.log(
    "\n(b) launchable mix at scale: 20 Deployments (a third zone-spread, a fifth pinned to amd64) applied at once, NodePool cpu limit at 80 % of the requests, each size in a fresh sandbox",
  );
  table([
    [
      "pods",
      "settled",
      "last pod created s",
      "first NodeClaim s",
      "last NodeClaim s",
      "NodeClaims",
      "Nodes",
      "Running / pending",
      "NodePool cpu / limit",
      "$/h",
      "idle RSS MB",
      "peak RSS MB",
      "CPU s",
      "load avg after",
    ],
    ...runs.map((r) => [
      n0(r.pods),
      r.settled ? `yes, ${f0(r.lastChangeS)} s` : `NO: deadline ${r.timeoutS} s`,
      f1(r.lastPodCreatedS),
      f1(r.firstClaimS),
      f1(r.lastClaimS),
      String(r.nodeClaims),
      String(r.nodes),
      `${n0(r.running)} / ${n0(r.pods - r.running)}${r.created < r.pods ? ` (${n0(r.created)} created)` : ""}`,
      `${r.nodePoolCpu} / ${r.limitCpu}`,
      r.pricePerHour.toFixed(2),
      f0(r.idleRssMB),
      f0(r.peakRssMB),
      f1(r.cpuSeconds),
      r.load,
    ]),
  ]);
  console.log(
    "NodeClaim times from their creationTimestamps (1 s resolution) after the apply; RSS summed over every module process (from /proc)",
  );
  for (const r of runs) {
    const total = Object.values(r.requests.byVerb).reduce((a, b) => a + b, 0);
    console.log(
      `\n${n0(r.pods)} pods: kube-apiserver requests over the run (apiserver_request_total, every client; the metric has no user label; a WATCH counts when it ends): ${n0(total)}`,
    );
    console.log(`  by verb: ${counts(r.requests.byVerb)}`);
    console.log(`  top verb + resource: ${counts(r.requests.byVerbResource, 12)}`);
    console.log(
      `  by APF flow schema (apiserver_flowcontrol_dispatched_requests_total; service-accounts = the module's ServiceAccounts, exempt = the sandbox admin: kube-controller-manager, kube-scheduler, KWOK, node agent, bench): ${counts(r.requests.byFlowSchema)}; the bench's own: ${counts(r.benchRequests)}`,
    );
    printModuleRequests(`  the module's own requests over the run`, r.moduleRequests);
    console.log(
      `  peak RSS per pod (MB): ${Object.entries(r.peakByPodMB)
        .map(([k, v]) => `${k} ${f0(v)}`)
        .join(", ")}; NodeClaim → Node registered p50 ${f1(r.registerP50S)} s, slowest ${f1(r.registerMaxS)} s`,
    );
    table([
      ["  stage", "by", "n", "first", "p50", "last"],
      ...r.timeline.map((t) => [`  ${t.stage}`, t.by, String(t.n), f1(t.firstS), f1(t.p50S), f1(t.lastS)]),
    ]);
  }
}

function engine(): void {
  const sizes = (process.env.BENCH_SCALE_SIZES ?? "1000,5000,20000")
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
  const file = bundle();
  const runs: Run[] = [];
  for (const n of sizes) runs.push(runOne(file, n));
  const cpu = cpus()[0]?.model ?? "?";
  console.log(
    `machine: ${cpus().length} × ${cpu}, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${runs[0]?.node ?? process.version} (${runtimeNote()}); engine bundled with esbuild, in-memory apiserver, instant fake EC2, us-east-1 catalog`,
  );
  console.log("\nmemory (MB; heap = heapUsed after full GC; target = issue 17's module RSS bar)");
  table([
    [
      "pods",
      "shape",
      "idle heap",
      "idle RSS",
      "state heap +",
      "heap after bind",
      "RSS after bind",
      "peak RSS",
      "target",
      "1 full-object watch cache",
    ],
    ...runs.map((r) => [
      String(r.pods),
      r.shape,
      f0(r.idle.heapMB),
      f0(r.idle.rssMB),
      f1(r.afterIngest.heapMB - r.idle.heapMB),
      f0(r.afterBind.heapMB),
      f0(r.afterBind.rssMB),
      ok(r.peakRssMB, RSS_TARGET_MB[r.pods] ?? Infinity),
      String(RSS_TARGET_MB[r.pods] ?? "-"),
      `${f1(r.fullCacheMB)} (${(r.fullPodBytes / 1024).toFixed(1)} KiB/pod JSON)`,
    ]),
  ]);
  console.log("\nprovisioning (one batch of every pending pod; ms)");
  table([
    [
      "pods",
      "event µs",
      "solve",
      "pods/s",
      "first NodeClaim",
      "last NodeClaim",
      "NodeClaims",
      "unschedulable",
      "limit vCPU",
      "$/h",
      "API calls by verb",
    ],
    ...runs.map((r) => [
      String(r.pods),
      f1(r.ingestUsPerEvent),
      f0(r.solveMs),
      f0(r.pods / (r.solveMs / 1000)),
      f0(r.firstClaimMs),
      f0(r.lastClaimMs),
      String(r.firstClaims),
      String(r.unschedulable),
      r.limitCpu === undefined ? "-" : String(r.limitCpu),
      r.pricePerHour.toFixed(2),
      Object.entries(r.verbs)
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
    ]),
  ]);
  console.log(
    `\ndisruption and single-pod solves on the loaded cluster (ms; targets: decision ≤ ${DISRUPTION_TARGET_MS / 1000} s, Karpenter's multi-node timeout; pod → NodeClaim ≤ batch idle + ${TRIAL_TARGET_MS} ms at p99)`,
  );
  table([
    [
      "pods",
      "nodes",
      "pods deleted",
      "decision ms",
      "probes",
      "decision",
      "trials",
      "pod→NodeClaim p50",
      "p99",
      "target",
      "CPU ms p50",
      "CPU ms p99",
    ],
    ...runs.map((r) => [
      String(r.pods),
      String(r.nodes),
      String(r.deleted),
      ok(r.disruptionMs, DISRUPTION_TARGET_MS),
      String(r.probes),
      r.decision,
      String(r.trials),
      f1(r.trialP50),
      ok(r.trialP99, TRIAL_TARGET_MS),
      String(TRIAL_TARGET_MS),
      f1(r.trialCpuP50),
      f1(r.trialCpuP99),
    ]),
  ]);
  console.log(
    "\nRSS is the engine's. Pods reach it from its own kfc watch (src/kube/podWatch.ts: ~0.2 KB/pod cached); the last memory column is what one Pepr When(...).Watch binding's full-object cache would hold.",
  );
}

if (require.main === module) void module.exports.default();
