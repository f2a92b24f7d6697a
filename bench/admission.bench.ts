// Admission latency for NodePool validation at a fixed request rate against the real apiserver, with the
// module's webhooks registered by `pepr dev`. Requests are server-side dry-run creates: they run the full
// admission chain (CRD schema + CEL, then capsicum's validating webhook) without persisting anything.
// Reports the apiserver round trip and the webhook's own time (Pepr's `pepr_validate` summary).
import https from "node:https";
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { execFileSync } from "node:child_process";
import { startSandbox } from "../sandbox/sandbox";
import { startDevModule as startModule } from "../sandbox/module";
import { applyCrds } from "../test/e2e/support";
import { loadCatalog } from "../src/cloudprovider/aws/catalog";
import { validateNodePool } from "../policies/validate";

const RATE = Number(process.env.BENCH_ADMISSION_RATE ?? 200); // requests per second
const SECONDS = Number(process.env.BENCH_ADMISSION_SECONDS ?? 10);

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

function clientFromKubeconfig(path: string) {
  const kc = YAML.parse(readFileSync(path, "utf8"));
  const cluster = kc.clusters[0].cluster, user = kc.users[0].user;
  const b = (s: string) => Buffer.from(s, "base64");
  const url = new URL(cluster.server);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca: b(cluster["certificate-authority-data"]), cert: b(user["client-certificate-data"]), key: b(user["client-key-data"]) });
  return (body: string): Promise<{ status: number; ms: number }> => new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = https.request({
      host: url.hostname, port: url.port, method: "POST", agent,
      path: "/apis/karpenter.sh/v1/nodepools?dryRun=All",
      headers: { "content-type": "application/json" },
    }, res => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function nodePool(i: number): string {
  return JSON.stringify({
    apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: `bench-${i}` },
    spec: {
      template: { spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        requirements: [
          { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
          { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
          { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["2"] },
        ],
      } },
      limits: { cpu: "1000" },
      disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m" },
    },
  });
}

/** Posts AdmissionReviews straight to the module's validate URL (read from the registered webhook config). */
function webhookClient(url: string) {
  const u = new URL(url.replace("localhost", "127.0.0.1"));
  const agent = new https.Agent({ keepAlive: true, maxSockets: 64, rejectUnauthorized: false });
  return (object: string, i: number): Promise<{ status: number; ms: number }> => new Promise((resolve, reject) => {
    const review = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"bench-${i}","kind":{"group":"karpenter.sh","version":"v1","kind":"NodePool"},"resource":{"group":"karpenter.sh","version":"v1","resource":"nodepools"},"name":"bench-${i}","operation":"CREATE","userInfo":{"username":"bench"},"object":${object},"dryRun":true}}`;
    const t0 = process.hrtime.bigint();
    const req = https.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", agent, headers: { "content-type": "application/json" } }, res => {
      let body = "";
      res.on("data", c => (body += c));
      res.on("end", () => {
        const allowed = JSON.parse(body)?.response?.allowed === true;
        resolve({ status: allowed ? 201 : res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
      });
    });
    req.on("error", reject);
    req.end(review);
  });
}

async function paced(total: number, rate: number, send: (i: number) => Promise<{ status: number; ms: number }>) {
  const results: { status: number; ms: number }[] = [];
  const interval = 1000 / rate, start = Date.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + i * interval - Date.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    inflight.push(send(i).then(r => { results.push(r); }));
  }
  await Promise.all(inflight);
  const elapsed = (Date.now() - start) / 1000;
  const lat = results.map(r => r.ms).sort((a, b) => a - b);
  return { n: results.length, ok: results.filter(r => r.status === 201).length, achieved: results.length / elapsed, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
}

/** The validator itself, in-process: what capsicum's code costs per request, without Pepr, TLS or the apiserver. */
function inProcess(n: number): { p50: number; p99: number } {
  const catalog = loadCatalog();
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const doc = JSON.parse(nodePool(i));
    const t0 = process.hrtime.bigint();
    validateNodePool(doc, { catalog, nodeClassExists: () => true });
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  lat.sort((a, b) => a - b);
  return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
}

export default async function admissionBench(): Promise<void> {
  const v = inProcess(2000);
  const sandbox = await startSandbox({ moto: false });
  Object.assign(process.env, sandbox.env);
  let mod;
  try {
    applyCrds();
    // BENCH_ADMISSION_BASELINE=1 measures the apiserver alone (no webhook registered), for comparison.
    // `pepr dev` pretty-prints every request log line synchronously (deployed modules log JSON); warn level keeps
    // that dev-only cost out of the latency being measured.
    if (!process.env.BENCH_ADMISSION_BASELINE) mod = await startModule({ ...sandbox.env, LOG_LEVEL: process.env.BENCH_ADMISSION_LOG_LEVEL ?? "warn" });
    const send = clientFromKubeconfig(sandbox.env.KUBECONFIG);
    for (let i = 0; i < 50; i++) await send(nodePool(i)); // warm-up: catalog load, TLS, JIT
    const total = RATE * SECONDS;
    const rows: string[] = [];
    if (mod) {
      const cfg = JSON.parse(execFileSync(sandbox.controlPlane!.kubectl, ["get", "validatingwebhookconfiguration", "pepr-capsicum", "-o", "json"], { encoding: "utf8", env: { ...process.env } }));
      const hook = webhookClient(cfg.webhooks[0].clientConfig.url);
      const w = await paced(total, RATE, i => hook(nodePool(i), i));
      rows.push(`| webhook alone (HTTPS AdmissionReview → capsicum) | ${w.n} | ${w.ok} | ${w.achieved.toFixed(0)} | ${w.p50.toFixed(1)} | ${w.p99.toFixed(1)} |`);
    }
    const a = await paced(total, RATE, i => send(nodePool(i)));
    rows.push(`| apiserver dry-run create (schema + CEL${mod ? " + webhook" : ""}) | ${a.n} | ${a.ok} | ${a.achieved.toFixed(0)} | ${a.p50.toFixed(1)} | ${a.p99.toFixed(1)} |`);
    console.log(`admission: NodePool validation at ${RATE} req/s for ${SECONDS} s`);
    console.log("| path | requests | admitted | achieved req/s | p50 ms | p99 ms |");
    console.log("|---|---|---|---|---|---|");
    console.log(`| validateNodePool in-process (schema, CEL twins, checks, catalog satisfiability) | 2000 | – | – | ${v.p50.toFixed(2)} | ${v.p99.toFixed(2)} |`);
    for (const r of rows) console.log(r);
    console.log("target: p99 ≤ 20 ms in the webhook. The apiserver row includes queueing in kube-apiserver/etcd on this 2-core machine.");
  } finally {
    await mod?.stop();
    await sandbox.stop();
  }
}
