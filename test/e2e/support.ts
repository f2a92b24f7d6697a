// Shared e2e plumbing: the capsicum module as users deploy it (the built dist/ artefact under its ServiceAccounts,
// sandbox/artefact.ts; `CAPSICUM_E2E_MODULE=dev` runs `pepr dev` instead) against the sandbox started by the
// jest globalSetup, the sandbox node agent, CRDs applied, and small kubectl/wait helpers.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { startDevModule, startModule, RunningModule } from "../../sandbox/module";
import { waitFor } from "../../sandbox/procs";
import { NodeAgent } from "../../sandbox/nodeAgent";
import { waitPodsHealthy } from "../../sandbox/artefact";

export const root = join(__dirname, "../..");

export function kubectl(args: string[], input?: string): string {
  return execFileSync(process.env.KUBECTL ?? "kubectl", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

/** kubectl returning success and its combined stdout+stderr (admission messages and warnings go to stderr). */
export function kubectlResult(args: string[], input?: string): { ok: boolean; out: string } {
  const r = spawnSync(process.env.KUBECTL ?? "kubectl", args, { encoding: "utf8", input });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

export function getJSON<T = any>(args: string[]): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(kubectl([...args, "-o", "json"])) as T;
}

export function applyCrds(): void {
  kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(root, "crds")]);
  kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd/nodepools.karpenter.sh", "crd/nodeclaims.karpenter.sh", "crd/ec2nodeclasses.karpenter.k8s.aws"]);
}

export interface E2EEnv { module: RunningModule; agent: NodeAgent; restart(): Promise<void>; stop(): Promise<void>; logs(): string }

/** Module env for the sandbox: short windows so e2e runs quickly, everything else as a user would set it. */
export function moduleEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keys = ["KUBECONFIG", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "CLUSTER_NAME", "CLUSTER_ENDPOINT", "INTERRUPTION_QUEUE"];
  const env: Record<string, string> = {};
  for (const k of keys) if (process.env[k]) env[k] = process.env[k]!;
  return { ...env, ...extra };
}

/** The sandbox's node agent as every e2e suite runs it (instances boot in a second), logging to `logFile`. */
export function startNodeAgent(logFile: string, clusterName: string = process.env.CLUSTER_NAME!): NodeAgent {
  const agent = new NodeAgent({ clusterName, apiServerEndpoint: process.env.SANDBOX_APISERVER!, bootDelayMs: 1000, pollMs: 500, logFile });
  agent.start();
  return agent;
}

/**
 * `module: "artefact"` runs dist/capsicum.yaml under its ServiceAccount (sandbox/artefact.ts); "dev" runs
 * `pepr dev` (for iterating on the module without `npm run build`). Default: CAPSICUM_E2E_MODULE, else artefact.
 */
export async function startE2E(extraEnv: Record<string, string> = {}, opts: { module?: "artefact" | "dev" } = {}): Promise<E2EEnv> {
  applyCrds();
  const env = moduleEnv(extraEnv);
  const mode = opts.module ?? (process.env.CAPSICUM_E2E_MODULE === "dev" ? "dev" : "artefact");
  const startModuleOf = mode === "artefact" ? startModule : startDevModule;
  let module = await startModuleOf(env);
  const logs: string[] = [];
  const agent = startNodeAgent(join(dirname(module.logFile), "node-agent.log"), env.CLUSTER_NAME);
  const self: E2EEnv = {
    get module() { return module; },
    agent,
    async restart() {
      const art = module.artefact;
      if (art) {
        // As in a cluster: the watcher pod's container is killed (-9) and the kubelet restarts it.
        const watchers = art.pods.filter(p => p.name.includes("-watcher-"));
        const before = watchers.map(p => p.restarts);
        for (const p of watchers) process.kill(-p.child!.pid!, "SIGKILL");
        await waitFor("the watcher pod restarted", async () => watchers.every((p, i) => p.restarts > before[i]) || undefined, 30000);
        await waitPodsHealthy(art, 120000);
        return;
      }
      logs.push(readFileSync(module.logFile, "utf8"));
      await module.stop("SIGKILL");
      module = await startModuleOf(env);
    },
    async stop() {
      await module.stop();
      await agent.stop();
    },
    logs() { return logs.join("") + readFileSync(module.logFile, "utf8"); },
  };
  return self;
}

/**
 * Leaves the shared sandbox as the test found it: deletes the namespace and the NodePools, then waits (with the
 * module still running) until their NodeClaims are drained and gone, so the next e2e file starts with no nodes.
 */
export async function cleanup(namespace: string, nodePools: string[]): Promise<void> {
  kubectlResult(["delete", "namespace", namespace, "--wait=false"]);
  for (const np of nodePools) kubectlResult(["delete", "nodepool", np, "--ignore-not-found", "--wait=false"]);
  await waitFor(`NodeClaims of ${nodePools.join(", ")} gone`, async () => {
    const claims = JSON.parse(kubectl(["get", "nodeclaims", "-o", "json"])).items as Array<{ metadata: { labels?: Record<string, string> } }>;
    return !claims.some(c => nodePools.includes(c.metadata.labels?.["karpenter.sh/nodepool"] ?? "")) || undefined;
  }, 180000);
}

export { waitFor };

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
