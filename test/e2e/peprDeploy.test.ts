// `npx pepr deploy`, as README's Deploy section tells a user: the settings go into package.json → pepr.env, then
// Pepr's own installer builds the module and applies its manifests. It runs in a copy of the module's sources
// (it rebuilds into <copy>/dist and reads the copy's package.json, which the user edits); the sandbox then runs
// the pods of the Deployments it applied (sandbox/artefact.ts, `externallyApplied`), under the one
// ServiceAccount Pepr's manifests give both, with the webhook reached through its Service as in a cluster.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { AWS_ENV, RunningArtefact, startArtefact } from "../../sandbox/artefact";
import { NodeAgent } from "../../sandbox/nodeAgent";
import { SYSTEM_NODE, systemNodeManifest } from "../../sandbox/systemNode";
import { applyCrds, getJSON, kubectl, kubectlResult, root, startNodeAgent, waitFor, waitForOrExplain } from "./support";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const NS = "pepr-deploy-e2e";
const POOL = "pepr-deploy";
const SYSTEM_NS = "pepr-system";
let work: string;
let art: RunningArtefact | undefined;
let agent: NodeAgent | undefined;
let deployLog = "";

/** What a user has checked out: the module's sources and config (node_modules as `npm ci` left it). */
function copyModule(dir: string): string {
  const project = join(dir, "module");
  for (const f of ["pepr.ts", "package.json", "package-lock.json", "tsconfig.json", "capabilities", "policies", "src"])
    cpSync(join(root, f), join(project, f), { recursive: true });
  for (const f of [".prettierrc", ".prettierrc.json", "eslint.config.mjs", "eslint.config.js", ".eslintrc.json"])
    if (existsSync(join(root, f))) cpSync(join(root, f), join(project, f));
  symlinkSync(join(root, "node_modules"), join(project, "node_modules"));
  // README → Deploy → `npx pepr deploy`: "set the settings in package.json → pepr.env before running it".
  const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
  pkg.pepr.env = { ...pkg.pepr.env, CLUSTER_NAME: process.env.CLUSTER_NAME!, AWS_REGION: process.env.AWS_REGION! };
  writeFileSync(join(project, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  return project;
}

function peprDeploy(project: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(join(project, "node_modules/.bin/pepr"), ["deploy", "--yes"], {
      cwd: project,
      detached: true,
      env: { ...process.env, PEPR_PRETTY_LOGS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (b) => (deployLog += b));
    child.stderr.on("data", (b) => (deployLog += b));
    const t = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), timeoutMs);
    child.on("exit", (code) => (clearTimeout(t), resolve(code)));
  });
}

/** Everything Pepr's installer put into the cluster for the module, to undo it for the next e2e file. */
function removePeprDeploy(): void {
  for (const kind of ["deployments", "services", "secrets", "serviceaccounts", "roles", "rolebindings"])
    kubectlResult(["delete", kind, "--all", "-n", SYSTEM_NS, "--ignore-not-found", "--wait=false"]);
  for (const kind of [
    "clusterrole",
    "clusterrolebinding",
    "mutatingwebhookconfiguration",
    "validatingwebhookconfiguration",
  ])
    kubectlResult(["delete", kind, "pepr-capsicum", "--ignore-not-found"]);
}

beforeAll(async () => {
  applyCrds();
  work = mkdtempSync(join(tmpdir(), "capsicum-pepr-deploy-"));
  const project = copyModule(work);
  // Pepr's installer waits for its Deployments to be Available: the system node group runs them (a KWOK node).
  kubectl(["apply", "-f", "-"], systemNodeManifest());
  removePeprDeploy();
  const code = await peprDeploy(project, 600000);
  writeFileSync(join(work, "pepr-deploy.log"), deployLog);
  if (code !== 0) throw new Error(`npx pepr deploy exited ${code}:\n${deployLog.slice(-4000)}`);

  // What the kubelet would run: the Deployments (and what they mount) as Pepr's installer applied them.
  const live = getJSON<{ items: Obj[] }>(["get", "deployments,services,secrets,serviceaccounts", "-n", SYSTEM_NS]);
  const manifest = join(work, "applied.yaml");
  writeFileSync(
    manifest,
    live.items
      .map((d: Obj) => stringify({ ...d, kind: d.kind, apiVersion: d.apiVersion, status: undefined }))
      .join("---\n"),
  );
  const podEnv: Record<string, string> = {};
  for (const k of AWS_ENV) if (process.env[k]) podEnv[k] = process.env[k]!;
  art = await startArtefact({
    manifest,
    externallyApplied: true,
    webhookRoute: "service",
    podEnv,
    awsServiceAccount: "pepr-capsicum",
    logDir: work,
  });
  agent = startNodeAgent(join(work, "node-agent.log"));
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
}, 900000);

afterAll(async () => {
  try {
    kubectlResult(["delete", "namespace", NS, "--wait=false"]);
    kubectlResult(["delete", "nodepool", POOL, "--ignore-not-found", "--wait=false"]);
    if (art)
      await waitFor(
        `NodeClaims of ${POOL} gone`,
        async () =>
          !getJSON<{ items: Obj[] }>(["get", "nodeclaims"]).items.some(
            (c) => c.metadata.labels?.["karpenter.sh/nodepool"] === POOL,
          ) || undefined,
        180000,
      );
  } finally {
    await art?.stop();
    await agent?.stop();
    removePeprDeploy();
    kubectlResult(["delete", "node", SYSTEM_NODE, "--ignore-not-found", "--wait=false"]);
    if (work) rmSync(join(work, "module"), { recursive: true, force: true });
  }
}, 300000);

test("pepr deploy applied the module with the settings from package.json and the rules of pepr.rbac", () => {
  const deps = getJSON<{ items: Obj[] }>(["get", "deployments", "-n", SYSTEM_NS]).items;
  expect(deps.map((d) => d.metadata.name).sort()).toEqual(["pepr-capsicum", "pepr-capsicum-watcher"]);
  for (const d of deps) {
    const env = Object.fromEntries(
      (d.spec.template.spec.containers[0].env ?? []).map((e: Obj) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ CLUSTER_NAME: process.env.CLUSTER_NAME, AWS_REGION: process.env.AWS_REGION });
    expect(d.spec.template.spec.serviceAccountName).toBe("pepr-capsicum");
  }
  const role = getJSON(["get", "clusterrole", "pepr-capsicum"]);
  const declared = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).pepr.rbac as Obj[];
  const nodeclaims = declared.find((r) => r.resources.includes("nodeclaims"))!;
  expect(role.rules).toEqual(
    expect.arrayContaining([expect.objectContaining({ resources: ["nodeclaims"], verbs: nodeclaims.verbs })]),
  );
  expect(art!.pods.map((p) => p.serviceAccount)).toEqual(art!.pods.map(() => "pepr-capsicum"));
});

test("its admission webhook answers through the Service: a NodePool Karpenter rejects is denied, naming the field", () => {
  const bad = {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: "pepr-deploy-bad" },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }],
        },
      },
      limits: { cpu: "1000" },
      disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "often" },
    },
  };
  const res = kubectlResult(["apply", "-f", "-"], JSON.stringify(bad));
  kubectlResult(["delete", "nodepool", "pepr-deploy-bad", "--ignore-not-found"]);
  expect(res.ok).toBe(false);
  expect(res.out).toMatch(/consolidateAfter/);
  // The capsicum-only finding is a warning from the module itself (Karpenter's CRDs accept this NodePool).
  const unknownClass = structuredClone(bad);
  unknownClass.spec.disruption.consolidateAfter = "30s";
  unknownClass.spec.template.spec.nodeClassRef.name = "not-there";
  const warned = kubectlResult(["apply", "-f", "-"], JSON.stringify(unknownClass));
  kubectlResult(["delete", "nodepool", "pepr-deploy-bad", "--ignore-not-found"]);
  expect(warned).toMatchObject({ ok: true, out: expect.stringMatching(/Warning: .*not-there/) });
}, 120000);

test("its watcher provisions: a pending pod gets a node of the NodePool, launched through the emulator", async () => {
  const np = readFileSync(join(root, "examples/nodepool.yaml"), "utf8").replace(/name: default\n/, `name: ${POOL}\n`);
  kubectl(["apply", "-f", "-"], np);
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "one", namespace: NS },
    spec: {
      nodeSelector: { "karpenter.sh/nodepool": POOL },
      containers: [{ name: "c", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "1" } } }],
    },
  };
  kubectl(["apply", "-f", "-"], JSON.stringify(pod));
  const running = await waitForOrExplain(
    "the pod Running on a node of the pool",
    async () => {
      const p = getJSON(["get", "pod", "one", "-n", NS]);
      return p.status?.phase === "Running" && p.spec.nodeName ? p.spec.nodeName : undefined;
    },
    240000,
    NS,
    art?.logFile,
  );
  const node = getJSON(["get", "node", running]);
  expect(node.metadata.labels["karpenter.sh/nodepool"]).toBe(POOL);
  expect(node.spec.providerID).toMatch(/^aws:\/\/\/[a-z0-9-]+\/i-[0-9a-f]+$/);
}, 300000);
