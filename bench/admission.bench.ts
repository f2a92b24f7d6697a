// Admission latency for NodePool validation at a fixed request rate against the real apiserver, with the
// module's webhooks registered by `pepr dev`. Requests are server-side dry-run creates: they run the full
// admission chain (CRD schema + CEL, then capsicum's validating webhook) without persisting anything.
// Reports the apiserver round trip and the webhook's own time (Pepr's `pepr_validate` summary).
import https from "node:https";
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { startSandbox } from "../test/harness/sandbox";
import { startModule } from "../test/harness/module";
import { applyCrds } from "../test/e2e/support";

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

async function webhookSummary(): Promise<Record<string, number>> {
  const text: string = await new Promise((resolve, reject) => {
    https.get({ host: "127.0.0.1", port: 3000, path: "/metrics", rejectUnauthorized: false }, res => {
      let s = ""; res.on("data", c => (s += c)); res.on("end", () => resolve(s));
    }).on("error", reject);
  });
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^pepr_validate\{quantile="([0-9.]+)"\} ([0-9.eE+-]+|NaN)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

export default async function admissionBench(): Promise<void> {
  const sandbox = await startSandbox({ moto: false });
  Object.assign(process.env, sandbox.env);
  let mod;
  try {
    applyCrds();
    mod = await startModule(sandbox.env);
    const send = clientFromKubeconfig(sandbox.env.KUBECONFIG);
    for (let i = 0; i < 50; i++) await send(nodePool(i)); // warm-up: catalog load, TLS, JIT
    const results: { status: number; ms: number }[] = [];
    const total = RATE * SECONDS, interval = 1000 / RATE, start = Date.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise(r => setTimeout(r, wait));
      inflight.push(send(nodePool(i)).then(r => { results.push(r); }));
    }
    await Promise.all(inflight);
    const elapsed = (Date.now() - start) / 1000;
    const ok = results.filter(r => r.status === 201).length;
    const lat = results.map(r => r.ms).sort((a, b) => a - b);
    const hook = await webhookSummary();
    console.log(`admission: ${results.length} NodePool dry-run creates at ${RATE}/s target (${(results.length / elapsed).toFixed(0)}/s achieved), ${ok} admitted`);
    console.log("| measure | p50 ms | p99 ms |");
    console.log("|---|---|---|");
    console.log(`| apiserver round trip (schema + CEL + webhook) | ${quantile(lat, 0.5).toFixed(1)} | ${quantile(lat, 0.99).toFixed(1)} |`);
    console.log(`| in the webhook (pepr_validate) | ${(hook["0.5"] ?? NaN).toFixed(1)} | ${(hook["0.99"] ?? NaN).toFixed(1)} |`);
    console.log("target: p99 ≤ 20 ms in the webhook");
  } finally {
    await mod?.stop();
    await sandbox.stop();
  }
}
