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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
/** The NodeClaims of a NodePool (its karpenter.sh/nodepool label), as `kubectl get nodeclaims -l` lists them. */
export const claimsOf = (pool: string): Obj[] =>
  getJSON(["get", "nodeclaims", "-l", `karpenter.sh/nodepool=${pool}`]).items;
/** The pods of a namespace matching a label selector. */
export const podsOf = (namespace: string, selector: string): Obj[] =>
  getJSON(["get", "pods", "-n", namespace, "-l", selector]).items;
/** Its Ready condition is True (a Node, a NodeClaim). */
export const isReady = (o: Obj): boolean =>
  (o.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True");

/**
 * One e2e file's lifecycle on the shared sandbox: before its tests the module starts with `env`, the namespace
 * is created, the getting-started EC2NodeClass and `manifests` are applied; after them `beforeCleanup` runs (e.g.
 * clear emulator faults), the namespace and NodePools are removed and their NodeClaims waited gone, and the module
 * stops. Read `suite.e2e` inside tests and hooks.
 */
export function e2eSuite(o: {
  namespace: string;
  pools: string[];
  env?: Record<string, string>;
  manifests?: string;
  beforeCleanup?: () => Promise<void>;
}): { readonly e2e: E2EEnv } {
  let env: E2EEnv | undefined;
  beforeAll(async () => {
    env = await startE2E(o.env ?? {});
    kubectl(["create", "namespace", o.namespace]);
    kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
    if (o.manifests) kubectl(["apply", "-f", "-"], o.manifests);
  }, 300000);
  afterAll(async () => {
    try {
      await o.beforeCleanup?.();
      await cleanup(o.namespace, o.pools);
    } finally {
      await env?.stop();
    }
  }, 300000);
  return {
    get e2e(): E2EEnv {
      if (!env) throw new Error("the e2e module is not started (read suite.e2e inside a test or hook)");
      return env;
    },
  };
}

/**
 * What an operator would look at when a wait times out: the namespace's events and pods, every NodeClaim with its
 * conditions, the Nodes, and the module's log lines about NodeClaims, Nodes, disruption, termination and errors.
 * Appended to the timeout so a CI failure can be read from its output alone.
 */
export function clusterDiagnostics(namespace: string, moduleLog?: string): string {
  const run = (args: string[]) => {
    const r = kubectlResult(args);
    return r.out.trim();
  };
  const parts = [
    `events in ${namespace}:\n${run(["get", "events", "-n", namespace, "--sort-by=.lastTimestamp"])}`,
    `pods in ${namespace}:\n${run(["get", "pods", "-n", namespace, "-o", "wide"])}`,
    `nodeclaims:\n${run(["get", "nodeclaims", "-o", "custom-columns=NAME:.metadata.name,POOL:.metadata.labels.karpenter\\.sh/nodepool,NODE:.status.nodeName,DELETING:.metadata.deletionTimestamp,CONDITIONS:.status.conditions[*].type"])}`,
    `nodes:\n${run(["get", "nodes", "-L", "karpenter.sh/nodepool"])}`,
    `events about NodeClaims and Nodes:\n${run(["get", "events", "-A", "--field-selector", "involvedObject.kind=NodeClaim"])}\n${run(["get", "events", "-A", "--field-selector", "involvedObject.kind=Node"])}`,
  ];
  if (moduleLog) {
    let log = "";
    try {
      log = readFileSync(moduleLog, "utf8");
    } catch (e) {
      log = `(could not read ${moduleLog}: ${(e as Error).message})`;
    }
    const wanted = /"level":"(WARN|ERROR)"|nodeclaim|disrupt|terminat|garbage|interrupt|consolidat|drift|expir|repair|evict/i;
    const lines = log.split("\n").filter((l) => wanted.test(l) && !/Action configured|"msg":"\{\}"/.test(l));
    parts.push(`module log (${moduleLog}), ${lines.length} lines about NodeClaims, disruption and errors, last 80:\n${lines.slice(-80).map((l) => l.slice(0, 600)).join("\n")}`);
  }
  return parts.join("\n\n");
}

/** `waitFor`, and on a timeout the cluster's diagnostics (`clusterDiagnostics`) appended to the error. */
export async function waitForOrExplain<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, namespace: string, moduleLog?: string): Promise<T> {
  try {
    return await waitFor(what, fn, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n\n${clusterDiagnostics(namespace, moduleLog)}`);
  }
}
