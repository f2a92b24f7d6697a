// Talking to a kube-apiserver as `kubectl apply` does (strict field validation), for the corpus: a dry-run create,
// or for update cases a real create of the stored object followed by a dry-run update. Also starts the oracle: a
// bare etcd + kube-apiserver serving Karpenter v1.14.1's own CRDs (cached outside the repo by
// scripts/karpenter/crds.sh), so its verdict is Karpenter's, independent of capsicum's generated CRDs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { ensureBinaries } from "../../sandbox/binaries";
import { generatePki, writeKubeconfig } from "../../sandbox/certs";
import { ProcessGroup, freePort, waitFor } from "../../sandbox/procs";

export interface ApiVerdict {
  allowed: boolean;
  status: number;
  message: string;
  warnings: string[];
}

const PLURAL: Record<string, string> = {
  NodePool: "nodepools",
  NodeClaim: "nodeclaims",
  NodeOverlay: "nodeoverlays",
  EC2NodeClass: "ec2nodeclasses",
};

export class ApiClient {
  private readonly server: string;
  private readonly tls: { ca: Buffer; cert: Buffer; key: Buffer };
  constructor(readonly kubeconfig: string) {
    const kc = YAML.parse(readFileSync(kubeconfig, "utf8"));
    const cluster = kc.clusters[0].cluster;
    const user = kc.users[0].user;
    const b = (s: string) => Buffer.from(s, "base64");
    this.server = cluster.server;
    this.tls = { ca: b(cluster["certificate-authority-data"]), cert: b(user["client-certificate-data"]), key: b(user["client-key-data"]) };
  }

  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; warnings: string[] }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(`${this.server}${path}`, {
        method, ...this.tls, timeout: 30000,
        headers: { "content-type": "application/json", accept: "application/json", ...(data ? { "content-length": Buffer.byteLength(data) } : {}) },
      }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          const w = res.headers.warning;
          const warnings = (Array.isArray(w) ? w : w ? [w] : []).map((x) => x.replace(/^299 - "?|"$/g, ""));
          let parsed: unknown = text;
          try { parsed = JSON.parse(text); } catch { /* not JSON */ }
          resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
        });
      });
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.end(data);
    });
  }

  private base(doc: { apiVersion: string; kind: string }): string {
    return `/apis/${doc.apiVersion}/${PLURAL[doc.kind]}`;
  }

  /** `kubectl apply` of `doc` (named `name`), as a dry run; with `old`, `old` is stored first and `doc` updates it. */
  async verdict(name: string, doc: any, old?: any): Promise<ApiVerdict> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const named = (d: any) => ({ ...d, metadata: { ...(d.metadata ?? {}), name } }); // eslint-disable-line @typescript-eslint/no-explicit-any
    const q = "dryRun=All&fieldValidation=Strict";
    const url = this.base(doc);
    let res;
    if (old) {
      const created = await this.request("POST", `${url}?fieldValidation=Strict`, named(old));
      if (created.status !== 201) throw new Error(`storing ${name} for an update case failed: ${created.status} ${JSON.stringify(created.body)}`);
      const next = named(doc);
      next.metadata.resourceVersion = created.body.metadata.resourceVersion;
      res = await this.request("PUT", `${url}/${name}?${q}`, next);
      await this.request("DELETE", `${url}/${name}`);
    } else {
      res = await this.request("POST", `${url}?${q}`, named(doc));
    }
    if (![200, 201, 400, 403, 422].includes(res.status)) {
      throw new Error(`${name}: unexpected ${res.status} from the apiserver: ${JSON.stringify(res.body)}`);
    }
    const ok = res.status === 200 || res.status === 201;
    return { allowed: ok, status: res.status, message: ok ? "" : String(res.body?.message ?? res.body), warnings: res.warnings };
  }
}

export interface Oracle {
  client: ApiClient;
  kubeconfig: string;
  stop(): Promise<void>;
}

/** Karpenter's own CRD files (the oracle), fetched once into ~/.cache/capsicum by scripts/karpenter/crds.sh. */
export function karpenterCache(): string {
  return execFileSync("bash", [join(__dirname, "../../scripts/karpenter/crds.sh")], { encoding: "utf8" }).trim();
}

export async function startOracle(): Promise<Oracle> {
  const bins = ensureBinaries();
  const crdDir = karpenterCache();
  const dir = mkdtempSync(join(tmpdir(), "capsicum-oracle-"));
  const procs = new ProcessGroup(dir);
  const stop = async () => {
    await procs.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pki = generatePki(dir);
    const [etcdPort, peerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = join(dir, "kubeconfig");
    writeKubeconfig(kubeconfig, server, pki);
    const etcdURL = `http://127.0.0.1:${etcdPort}`;
    const etcd = procs.start("etcd", join(bins.etcd, "etcd"), [
      "--name=oracle", `--data-dir=${join(dir, "etcd")}`, `--listen-client-urls=${etcdURL}`, `--advertise-client-urls=${etcdURL}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=oracle=http://127.0.0.1:${peerPort}`, "--unsafe-no-fsync=true", "--log-level=warn",
    ]);
    await waitFor("oracle etcd", async () => (await fetch(`${etcdURL}/health`)).ok || undefined, 20000, etcd.logFile);
    const api = procs.start("kube-apiserver", join(bins.k8s, "kube-apiserver"), [
      `--etcd-servers=${etcdURL}`, "--bind-address=127.0.0.1", `--secure-port=${apiPort}`, "--advertise-address=127.0.0.1",
      `--tls-cert-file=${pki.serverCrt}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.caCrt}`,
      `--service-account-issuer=${server}`, `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
      "--service-cluster-ip-range=10.97.0.0/16", "--authorization-mode=RBAC", "--disable-admission-plugins=ServiceAccount",
      "--endpoint-reconciler-type=none", "--v=0",
    ]);
    const client = new ApiClient(kubeconfig);
    await waitFor("oracle kube-apiserver /readyz", async () => (await client.request("GET", "/readyz").catch(() => ({ status: 0 }))).status === 200 || undefined, 60000, api.logFile);
    const kubectl = join(bins.k8s, "kubectl");
    const files = readdirSync(crdDir).filter((f) => f.endsWith(".yaml")).map((f) => join(crdDir, f));
    execFileSync(kubectl, ["apply", "--server-side", ...files.flatMap((f) => ["-f", f])], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: "pipe" });
    execFileSync(kubectl, ["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: "pipe" });
    return { client, kubeconfig, stop };
  } catch (e) {
    await procs.stop();
    throw e;
  }
}
