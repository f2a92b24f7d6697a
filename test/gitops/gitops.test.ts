// GitOps end to end with a real Argo CD (v3.6.1 application-controller + repo-server): the repo a user forks
// (crds/, the built dist/, examples/gitops/) synced from a file:// git repo into the sandbox by the app of apps,
// in waves: CRDs (0), the dist/ module (1), EC2NodeClass + NodePools (2). Every assertion reads what an Argo CD
// user reads: the Applications' sync/health verdicts (computed by Argo CD's own Lua checks) and their
// operationState/conditions.
//
// The module is what Argo CD applies from dist/capsicum.yaml. Its Deployments' pods are scheduled to a system
// node (sandbox/systemNode.ts, KWOK) and their processes run on the host from the spec (sandbox/artefact.ts,
// externallyApplied), under the ServiceAccount, with the live capsicum-settings ConfigMap. The webhook
// configurations stay exactly as committed: the apiserver reaches `service: pepr-capsicum` through the
// sandbox's cluster egress (sandbox/pod/clusterEgress.cjs, standing in for kube-proxy), so the pods' caBundle
// and service.path patches are the only changes to them, as in a cluster.
// Slow (@slow): Argo CD builds once into ~/.cache/capsicum (~8 min cold), then this file takes ~6 min.
// CAPSICUM_GITOPS_DIST=<dir> syncs another build instead of the committed dist/ (a branch whose dist/ is stale:
// `pepr build -o build/x && tsx scripts/build-dist.ts build/x <dir>`).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArgoCD, ARGOCD_NAMESPACE, startArgoCD } from "../../sandbox/argocd";
import { AWS_ENV, RunningArtefact, startArtefact } from "../../sandbox/artefact";
import { NodeAgent } from "../../sandbox/nodeAgent";
import { SYSTEM_NODE, systemNodeManifest } from "../../sandbox/systemNode";
import { getJSON, kubectl, kubectlResult, root, sleep, startNodeAgent, waitFor } from "../e2e/support";

jest.setTimeout(600000);

let argo: ArgoCD | undefined;
let artefact: RunningArtefact | undefined;
let agent: NodeAgent | undefined;
let repo: string;
let logDir: string;
const NS = "gitops-e2e";
const NODEPOOLS = "examples/gitops/nodepools";
const APPS = ["capsicum", "capsicum-crds", "capsicum-module", "capsicum-nodepools"];
const DIST = process.env.CAPSICUM_GITOPS_DIST || join(root, "dist");
let settings: Record<string, string> = {};

function git(...args: string[]): string {
  return execFileSync("git", ["-c", "user.email=e2e@capsicum.local", "-c", "user.name=e2e", ...args], {
    cwd: repo,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Asks Argo CD to compare now (instead of at the next --app-resync). */
function refresh(...apps: string[]): void {
  for (const a of apps)
    kubectlResult(["annotate", "-n", ARGOCD_NAMESPACE, "application", a, "argocd.argoproj.io/refresh=normal", "--overwrite"]);
}

/** Commits the working tree of the test repo and asks Argo CD to look now. */
function commit(message: string): string {
  git("add", "-A");
  git("commit", "-q", "-m", message);
  refresh(...APPS);
  return git("rev-parse", "HEAD").trim();
}
interface App {
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    resources?: Array<{ kind: string; name: string; status?: string; health?: { status?: string; message?: string } }>;
    operationState?: {
      phase?: string;
      startedAt?: string;
      message?: string;
      syncResult?: { revision?: string; resources?: Array<{ kind: string; name: string; status?: string; message?: string }> };
    };
    conditions?: Array<{ type: string; message: string }>;
  };
}
const app = (name: string): App => getJSON(["get", "application", name, "-n", ARGOCD_NAMESPACE]);
const resource = (a: App, kind: string, name: string) => a.status?.resources?.find((r) => r.kind === kind && r.name === name);
const verdict = (a: App) => `${a.status?.sync?.status}/${a.status?.health?.status}`;

async function waitApp(name: string, what: string, ok: (a: App) => boolean, timeoutMs = 180000): Promise<App> {
  let last: App = {};
  try {
    return await waitFor(
      `Application ${name} ${what}`,
      async () => {
        last = app(name);
        return ok(last) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last.status ?? {}).slice(0, 3000)}`);
  }
}
const syncedHealthy = (rev: string) => (a: App) =>
  a.status?.sync?.status === "Synced" && a.status?.health?.status === "Healthy" && a.status?.sync?.revision === rev;

const nodePool = (name: string, extra: { nodeClass?: string; consolidateAfter?: string; labels?: string } = {}) => `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: ${name}
spec:
  template:
${extra.labels ? `    metadata:\n      labels: ${extra.labels}\n` : ""}    spec:
      requirements:
        - {key: kubernetes.io/arch, operator: In, values: ["amd64"]}
        - {key: karpenter.sh/capacity-type, operator: In, values: ["on-demand"]}
        - {key: karpenter.k8s.aws/instance-category, operator: In, values: ["c", "m"]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: ${extra.nodeClass ?? "default"}}
  disruption:
    consolidationPolicy: WhenEmpty
    consolidateAfter: ${extra.consolidateAfter ?? "30s"}
`;

/** The user's edit of their fork's dist/capsicum.yaml: the capsicum-settings values (dist/README.md). */
function withSettings(manifest: string, settings: Record<string, string>): string {
  let out = manifest;
  for (const [k, v] of Object.entries(settings)) {
    const re = new RegExp(`^(  ${k}): ""$`, "m");
    if (!re.test(out)) throw new Error(`capsicum-settings in dist/capsicum.yaml has no empty ${k}`);
    out = out.replace(re, `$1: ${JSON.stringify(v)}`);
  }
  return out;
}

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), "capsicum-gitops-"));
  console.log(`[gitops-e2e] logs in ${logDir}`);
  argo = await startArgoCD({ kubeconfig: process.env.KUBECONFIG!, kubectl, appResyncSeconds: 10 });
  console.log(`[gitops-e2e] Argo CD logs in ${argo.dir}`);
  agent = startNodeAgent(join(logDir, "node-agent.log"));
  kubectl(["create", "namespace", NS]);

  // The repo a user forks: crds/, dist/ (with their settings) and examples/gitops/ as in this repository.
  repo = mkdtempSync(join(tmpdir(), "capsicum-gitops-repo-"));
  cpSync(join(root, "crds"), join(repo, "crds"), { recursive: true });
  cpSync(DIST, join(repo, "dist"), { recursive: true });
  settings = {};
  for (const k of ["CLUSTER_NAME", "AWS_REGION", "CLUSTER_ENDPOINT", "INTERRUPTION_QUEUE"])
    if (process.env[k]) settings[k] = process.env[k]!;
  writeFileSync(join(repo, "dist/capsicum.yaml"), withSettings(readFileSync(join(DIST, "capsicum.yaml"), "utf8"), settings));
  mkdirSync(join(repo, "examples/gitops/apps"), { recursive: true });
  cpSync(join(root, NODEPOOLS), join(repo, NODEPOOLS), { recursive: true });
  const url = (s: string) => s.replaceAll("https://github.com/YOUR-ORG/capsicum.git", `file://${repo}`);
  for (const f of readdirSync(join(root, "examples/gitops/apps")))
    writeFileSync(join(repo, "examples/gitops/apps", f), url(readFileSync(join(root, "examples/gitops/apps", f), "utf8")));
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "capsicum via Argo CD");
  const rev = git("rev-parse", "HEAD").trim();
  kubectl(["apply", "-f", "-"], url(readFileSync(join(root, "examples/gitops/root.yaml"), "utf8")));

  // Wave 1 applied by Argo CD: the pods' processes start on the host (what the kubelet of the system node
  // would run) with the AWS access Pod Identity would inject.
  const podEnv: Record<string, string> = {};
  for (const k of AWS_ENV) if (process.env[k]) podEnv[k] = process.env[k]!;
  artefact = await startArtefact({
    externallyApplied: true,
    webhookRoute: "service",
    manifest: join(repo, "dist/capsicum.yaml"),
    podEnv,
    logDir,
  });
  // The system node joins once the pods serve: their Deployments become Available when a kubelet's readiness
  // probe would pass, which is what lets Argo CD move from wave 1 to wave 2.
  kubectl(["apply", "-f", "-"], systemNodeManifest());
  await waitApp("capsicum-nodepools", "Synced + Healthy", syncedHealthy(rev), 420000);
}, 900000);

afterAll(async () => {
  try {
    kubectlResult(["delete", "namespace", NS, "--wait=false"]);
    if (argo) {
      // Stop Argo CD from re-creating what is removed below; the module keeps running to drain the NodePools.
      for (const a of APPS)
        kubectlResult(["patch", "application", a, "-n", ARGOCD_NAMESPACE, "--type", "json", "-p", '[{"op":"remove","path":"/spec/syncPolicy/automated"}]']);
      kubectlResult(["delete", "application", ...APPS, "-n", ARGOCD_NAMESPACE, "--wait=false"]);
      await argo.stop();
    }
    kubectlResult(["delete", "nodepools", "--all", "--wait=false"]);
    if (artefact)
      await waitFor("NodeClaims gone", async () => getJSON<{ items: unknown[] }>(["get", "nodeclaims"]).items.length === 0 || undefined, 240000);
  } finally {
    await artefact?.stop();
    await agent?.stop();
    // What Argo CD applied from dist/: nothing of it may outlive this file (its Deployments would stay Pending).
    kubectlResult(["delete", "deployments", "--all", "-n", "pepr-system", "--wait=false"]);
    kubectlResult(["delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration", "pepr-capsicum", "--ignore-not-found"]);
    kubectlResult(["delete", "node", SYSTEM_NODE, "--ignore-not-found", "--wait=false"]);
    if (repo) rmSync(repo, { recursive: true, force: true });
  }
}, 400000);

test("@slow a commit syncs in waves and every app is Healthy by Argo CD's own verdict", () => {
  const rev = git("rev-parse", "HEAD").trim();
  const nps = app("capsicum-nodepools");
  // Argo CD's built-in karpenter.sh/NodePool and karpenter.k8s.aws/EC2NodeClass checks read capsicum's status.
  expect(resource(nps, "NodePool", "default")).toMatchObject({ status: "Synced", health: { status: "Healthy" } });
  expect(resource(nps, "EC2NodeClass", "default")).toMatchObject({ status: "Synced", health: { status: "Healthy" } });
  expect(verdict(app("capsicum-crds"))).toBe("Synced/Healthy");
  // Wave 1 is the committed dist/: its Deployments are Available (the pods serve) by Argo CD's Deployment check.
  const mod = app("capsicum-module");
  expect(verdict(mod)).toBe("Synced/Healthy");
  for (const d of ["pepr-capsicum", "pepr-capsicum-watcher"])
    expect(resource(mod, "Deployment", d)).toMatchObject({ status: "Synced", health: { status: "Healthy" } });
  // The parent waits on its children through the shipped argoproj.io_Application health check.
  expect(app("capsicum")).toMatchObject({ status: { sync: { status: "Synced", revision: rev }, health: { status: "Healthy" } } });
  // The waves ran in order: each child Application was created after the previous one was Healthy.
  const created = ["capsicum-crds", "capsicum-module", "capsicum-nodepools"].map(
    (a) => Date.parse(getJSON(["get", "application", a, "-n", ARGOCD_NAMESPACE]).metadata.creationTimestamp),
  );
  expect(created[0]).toBeLessThanOrEqual(created[1]);
  expect(created[1]).toBeLessThanOrEqual(created[2]);
  // ...and wave 2 waited for wave 1 to be Healthy, not merely created: the NodePools' app appeared only after
  // the module's Deployments were Available (their pods serving), so no NodePool met a module not yet running.
  for (const d of ["pepr-capsicum", "pepr-capsicum-watcher"]) {
    const conds: Array<{ type: string; status: string; lastTransitionTime: string }> = getJSON([
      "get", "deployment", d, "-n", "pepr-system",
    ]).status.conditions;
    const available = conds.find((c) => c.type === "Available" && c.status === "True");
    expect({ d, availableBeforeWave2: Date.parse(available!.lastTransitionTime) <= created[2] }).toEqual({ d, availableBeforeWave2: true });
  }
});

test("@slow every app stays Synced while the module patches caBundle/path and defaults the NodePools (zero drift)", async () => {
  const rev = git("rev-parse", "HEAD").trim();
  // The pods filled what dist/ leaves out: the webhooks' caBundle and API path, the TLS Secret's data.
  for (const kind of ["mutatingwebhookconfiguration", "validatingwebhookconfiguration"]) {
    const w = getJSON(["get", kind, "pepr-capsicum"]).webhooks[0];
    expect(w.clientConfig.caBundle).toBeTruthy();
    expect(w.clientConfig.service).toMatchObject({ name: "pepr-capsicum", namespace: "pepr-system", port: 443 });
    expect(w.clientConfig.service.path).toMatch(/^\/(mutate|validate)\/[0-9a-f]{64}$/);
  }
  expect(Object.keys(getJSON(["get", "secret", "pepr-capsicum-tls", "-n", "pepr-system"]).data ?? {})).toEqual(
    expect.arrayContaining(["tls.crt", "tls.key"]),
  );
  // Several --app-resync periods (10 s) with fresh comparisons each time.
  for (let i = 0; i < 6; i++) {
    await sleep(5000);
    refresh("capsicum-crds", "capsicum-module", "capsicum-nodepools");
    await sleep(5000);
    for (const a of ["capsicum-crds", "capsicum-module", "capsicum-nodepools"]) {
      const x = app(a);
      const drifted = (x.status?.resources ?? []).filter((r) => r.status !== "Synced").map((r) => `${r.kind}/${r.name}`);
      expect({ app: a, verdict: verdict(x), drifted }).toEqual({ app: a, verdict: "Synced/Healthy", drifted: [] });
    }
  }
  expect(app("capsicum-nodepools").status?.sync?.revision).toBe(rev);
  expect(app("capsicum-module").status?.sync?.revision).toBe(rev);
});

test("@slow a NodePool Karpenter rejects fails the sync with the message naming the field; a revert heals", async () => {
  writeFileSync(join(repo, NODEPOOLS, "bad.yaml"), nodePool("bad", { consolidateAfter: "5 minutes" }));
  const bad = commit("NodePool with an invalid consolidateAfter");
  const a = await waitApp(
    "capsicum-nodepools",
    "sync of the bad commit failed",
    (x) =>
      x.status?.operationState?.syncResult?.revision === bad &&
      ["Failed", "Error"].includes(x.status?.operationState?.phase ?? ""),
  );
  const op = a.status!.operationState!;
  expect(op.message).toMatch(/spec\.disruption\.consolidateAfter/);
  const res = op.syncResult!.resources!.find((r) => r.kind === "NodePool" && r.name === "bad");
  expect(res?.status).toBe("SyncFailed");
  expect(res?.message).toMatch(/spec\.disruption\.consolidateAfter: Invalid value: "5 minutes"/);
  expect(a.status?.sync?.status).toBe("OutOfSync");
  const syncError = await waitApp("capsicum-nodepools", "SyncError condition", (x) =>
    (x.status?.conditions ?? []).some((c) => c.type === "SyncError"),
  ).then((x) => x.status!.conditions!.find((c) => c.type === "SyncError")!);
  expect(syncError.message).toMatch(/spec\.disruption\.consolidateAfter/);
  // The denied NodePool never existed; the others are untouched.
  expect(kubectlResult(["get", "nodepool", "bad"]).ok).toBe(false);
  // The app of apps shows the child whose automated sync gave up as Degraded, with the sync's message
  // (the shipped argoproj.io_Application check).
  const parent = await waitApp("capsicum", "child capsicum-nodepools Degraded", (x) =>
    resource(x, "Application", "capsicum-nodepools")?.health?.status === "Degraded",
  );
  expect(resource(parent, "Application", "capsicum-nodepools")?.health?.message).toMatch(
    /^last sync Failed: .*spec\.disruption\.consolidateAfter/,
  );
  git("revert", "--no-commit", "HEAD");
  const rev = commit("revert the invalid NodePool");
  await waitApp("capsicum-nodepools", "Synced + Healthy after the revert", syncedHealthy(rev));
  await waitApp("capsicum", "Healthy again after the revert", (x) => x.status?.health?.status === "Healthy");
});

test("@slow a Karpenter-valid NodePool that cannot launch syncs and shows Degraded with capsicum's message", async () => {
  writeFileSync(join(repo, NODEPOOLS, "orphan.yaml"), nodePool("orphan", { nodeClass: "does-not-exist" }));
  const rev = commit("NodePool referencing a missing EC2NodeClass");
  const a = await waitApp(
    "capsicum-nodepools",
    "Synced + Degraded",
    (x) => x.status?.sync?.revision === rev && x.status?.sync?.status === "Synced" && x.status?.health?.status === "Degraded",
  );
  const np = getJSON(["get", "nodepool", "orphan"]);
  const ready = np.status.conditions.find((c: { type: string }) => c.type === "Ready");
  expect(ready.status).toBe("False");
  // Argo CD shows capsicum's Ready=False message verbatim on the resource.
  expect(resource(a, "NodePool", "orphan")?.health).toEqual({ status: "Degraded", message: ready.message });
  expect(ready.message).toMatch(/does-not-exist/);
  rmSync(join(repo, NODEPOOLS, "orphan.yaml"));
  const fixed = commit("remove the orphan NodePool");
  await waitApp("capsicum-nodepools", "Synced + Healthy after removing it", syncedHealthy(fixed));
});

test("@slow removing a NodePool from git prunes it: its nodes are drained and removed", async () => {
  writeFileSync(join(repo, NODEPOOLS, "batch.yaml"), nodePool("batch", { labels: "{team: batch}" }));
  const rev = commit("batch NodePool");
  await waitApp("capsicum-nodepools", "Synced + Healthy with batch", syncedHealthy(rev));
  kubectl(
    ["apply", "-n", NS, "-f", "-"],
    JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "batch" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "batch" } },
        template: {
          metadata: { labels: { app: "batch" } },
          spec: {
            nodeSelector: { team: "batch" },
            terminationGracePeriodSeconds: 0,
            containers: [{ name: "c", image: "registry.k8s.io/pause:3.9", resources: { requests: { cpu: "500m" } } }],
          },
        },
      },
    }),
  );
  const nodes = await waitFor(
    "a Ready node of NodePool batch running the pods",
    async () => {
      const pods = getJSON<{ items: Array<{ spec: { nodeName?: string }; status: { phase?: string } }> }>(["get", "pods", "-n", NS, "-l", "app=batch"]).items;
      return pods.length === 2 && pods.every((p) => p.status.phase === "Running") ? [...new Set(pods.map((p) => p.spec.nodeName!))] : undefined;
    },
    240000,
  );
  for (const n of nodes) expect(getJSON(["get", "node", n]).metadata.labels["karpenter.sh/nodepool"]).toBe("batch");
  rmSync(join(repo, NODEPOOLS, "batch.yaml"));
  const pruned = commit("remove the batch NodePool");
  await waitApp("capsicum-nodepools", "Synced + Healthy after the prune", syncedHealthy(pruned));
  await waitFor(
    "NodePool batch, its NodeClaims and Nodes gone",
    async () => {
      if (kubectlResult(["get", "nodepool", "batch"]).ok) return undefined;
      const claims = getJSON<{ items: unknown[] }>(["get", "nodeclaims", "-l", "karpenter.sh/nodepool=batch"]).items;
      const left = getJSON<{ items: unknown[] }>(["get", "nodes", "-l", "karpenter.sh/nodepool=batch"]).items;
      return claims.length === 0 && left.length === 0 ? true : undefined;
    },
    240000,
  );
  // The pods were evicted (drained), not left bound to a vanished node.
  const pods = getJSON<{ items: Array<{ spec: { nodeName?: string } }> }>(["get", "pods", "-n", NS, "-l", "app=batch"]).items;
  for (const p of pods) expect(nodes).not.toContain(p.spec.nodeName);
  kubectl(["delete", "deployment", "batch", "-n", NS]);
});

test("@slow dist/ rebuilt from unchanged sources gives no commit diff: nothing for Argo CD to sync", async () => {
  const rev = git("rev-parse", "HEAD").trim();
  const lastSync = app("capsicum-module").status?.operationState?.startedAt;
  expect(lastSync).toBeTruthy();
  // What a user runs in their fork: `npm run build` (pepr build + scripts/build-dist.ts), with their settings
  // edit re-applied. Inside the repo (build/ is git-ignored) so the built module resolves `pepr`.
  mkdirSync(join(root, "build"), { recursive: true });
  const tmp = mkdtempSync(join(root, "build", "gitops-rebuild-"));
  try {
    const bin = (n: string) => join(root, "node_modules/.bin", n);
    execFileSync(bin("pepr"), ["build", "-o", join(tmp, "build")], { cwd: root, stdio: "pipe" });
    execFileSync(bin("tsx"), [join(root, "scripts/build-dist.ts"), join(tmp, "build"), join(tmp, "dist")], { cwd: root, stdio: "pipe" });
    for (const f of readdirSync(join(tmp, "dist"))) {
      const built = readFileSync(join(tmp, "dist", f), "utf8");
      writeFileSync(join(repo, "dist", f), f === "capsicum.yaml" ? withSettings(built, settings) : built);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  git("add", "-A");
  // Not one byte differs: no certificate, key, API path or timestamp in dist/ (the pods mint them at run time).
  expect(git("status", "--porcelain")).toBe("");
  refresh("capsicum-module");
  await sleep(5000);
  const mod = await waitApp("capsicum-module", "Synced + Healthy at the same revision", syncedHealthy(rev), 60000);
  // The module app has not synced again since its first sync: none of the commits above touched dist/.
  expect(mod.status?.operationState?.startedAt).toBe(lastSync);
}, 900000);
