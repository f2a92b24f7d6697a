// Runs the built artefact (dist/capsicum.yaml) against the sandbox as a cluster would, without a container
// runtime: every object except the Deployments is applied to the apiserver as it is; the Deployments' pods run
// on this host as processes started from the pod spec (the entry in the module Secret, which loads the module from the
// module Secret, the container's args, env and envFrom ConfigMap), authenticated as their ServiceAccount with a
// TokenRequest token, and restarted like a pod when they exit.
//
// What differs from a real cluster, and only here:
//  - the webhook clientConfig: `service` becomes `url: https://127.0.0.1:<port>/`, a TCP proxy process on the
//    host (sandbox/pod/serviceProxy.cjs) that stands in for the Service and spreads connections over the
//    admission replicas (the pods still patch caBundle and the API path into it themselves);
//    or, with `webhookRoute: "service"`, the webhook configurations stay exactly as built and the apiserver's
//    cluster egress (sandbox/pod/clusterEgress.cjs, standing in for kube-proxy) routes the Service's clusterIP to
//    the pods' host ports: what the GitOps e2e uses, where Argo CD applies dist/ and would see any rewrite as drift;
//  - the pod's network and filesystem: each pod gets its own HTTPS port (CAPSICUM_SERVER_PORT, as a pod has its
//    own network namespace) and its own directory for the image's /app (sandbox/pod/podfs.cjs);
//  - AWS credentials and the emulator endpoint are added to the pods' env, as EKS Pod Identity injects them.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
  WriteStream,
} from "node:fs";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { freePort, ProcessGroup, waitFor } from "./procs";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

const repoRoot = join(__dirname, "..");
export const DIST_MANIFEST = join(repoRoot, "dist", "capsicum.yaml");
export const NAMESPACE = "pepr-system";
/** The admission pods' ServiceAccount and the watcher's (the one the IAM role is associated with). */
export const SERVICE_ACCOUNT = "pepr-capsicum";
export const WATCHER_SERVICE_ACCOUNT = "pepr-capsicum-watcher";
/** What EKS Pod Identity gives the pods of the ServiceAccount with the IAM role: credentials (and, here, the emulator). */
const AWS_ENV = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

export interface PodProcess {
  name: string;
  serviceAccount: string;
  /** Its KUBECONFIG: the ServiceAccount's TokenRequest token, nothing else. */
  kubeconfig: string;
  port: number;
  child?: ChildProcess;
  restarts: number;
}

export interface RunningArtefact {
  logFile: string;
  pods: PodProcess[];
  webhookPort: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function kubectl(args: string[], input?: string, kubeconfig = process.env.KUBECONFIG): string {
  return execFileSync(process.env.KUBECTL ?? "kubectl", args, {
    encoding: "utf8",
    input,
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export function readArtefact(file = DIST_MANIFEST): Obj[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as Obj);
}

/** The one place the apiserver's route to the webhook differs: a host URL instead of the Service. */
export function webhooksToHost(docs: Obj[], port: number): Obj[] {
  return docs.map((d) => {
    if (!/^(Mutating|Validating)WebhookConfiguration$/.test(d.kind)) return d;
    const w = structuredClone(d);
    for (const h of w.webhooks) h.clientConfig = { url: `https://127.0.0.1:${port}/` };
    return w;
  });
}

/** A kubeconfig for the ServiceAccount, with a token from the TokenRequest API (`kubectl create token`). */
export function serviceAccountKubeconfig(dir: string, sa = SERVICE_ACCOUNT, namespace = NAMESPACE): string {
  const admin = JSON.parse(kubectl(["config", "view", "--raw", "--minify", "-o", "json"]));
  const cluster = admin.clusters[0].cluster;
  const token = kubectl(["create", "token", sa, "-n", namespace, "--duration=24h"]).trim();
  const path = join(dir, `kubeconfig-${sa}`);
  writeFileSync(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "sandbox", cluster }],
      users: [{ name: sa, user: { token } }],
      contexts: [{ name: sa, context: { cluster: "sandbox", user: sa, namespace } }],
      "current-context": sa,
    }),
    { mode: 0o600 },
  );
  return path;
}

/** The module's /healthz on a host port answers 200 (self-signed TLS: the pods mint their own certificate). */
export function healthz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(
      { host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
  });
}

/**
 * The admission Service: sandbox/pod/serviceProxy.cjs in its own process group (with the reaper of procs.ts),
 * forwarding each connection to an admission pod's port. Never in this process: jest makes synchronous kubectl
 * calls, and a proxy on a blocked event loop holds the apiserver's webhook call until it times out and fails open
 * (no warning, no denial reaches kubectl while the module's log shows the late answer).
 */
async function startServiceProxy(group: ProcessGroup, port: number, backends: number[]): Promise<void> {
  const m = group.start("service-proxy", process.execPath, [
    join(__dirname, "pod", "serviceProxy.cjs"),
    String(port),
    backends.join(","),
  ]);
  await waitFor(
    "the admission Service proxy listening",
    () =>
      new Promise<boolean | undefined>((resolve) => {
        if (m.child.exitCode !== null) return resolve(undefined);
        const s = net.connect(port, "127.0.0.1");
        s.once("connect", () => (s.destroy(), resolve(true)));
        s.once("error", () => resolve(undefined));
      }),
    15000,
    m.logFile,
  );
}

/** The pod's environment from its container spec: env, envFrom ConfigMaps (as the kubelet resolves them). */
function containerEnv(c: Obj, configMaps: Map<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) Object.assign(env, configMaps.get(from.configMapRef?.name) ?? {});
  for (const e of c.env ?? []) if (typeof e.value === "string") env[e.name] = e.value;
  return env;
}

export interface ArtefactOptions {
  /** Settings a user would put into the capsicum-settings ConfigMap. */
  settings?: Record<string, string>;
  /** AWS endpoint and credentials: what Pod Identity injects into the watcher's pods (its ServiceAccount has the role). */
  podEnv?: Record<string, string>;
  logDir?: string;
  /** Admission replicas to run (default: the Deployment's). */
  admissionReplicas?: number;
  manifest?: string;
  /**
   * "host-url" (default): webhook configurations point at a host URL. "service": they keep `clientConfig.service`
   * and the Services' clusterIPs are routed to the pods through SANDBOX_SERVICE_ROUTES.
   */
  webhookRoute?: "host-url" | "service";
  /**
   * The manifest's objects are applied by someone else (Argo CD syncing dist/): nothing is applied here; the pods
   * start once their ServiceAccount and Services exist, with env from the live ConfigMaps, like a kubelet's.
   */
  externallyApplied?: boolean;
  /**
   * The ServiceAccount the IAM role is associated with, whose pods get `podEnv` (default: the watcher's). With
   * `npx pepr deploy` one ServiceAccount, pepr-capsicum, runs both Deployments.
   */
  awsServiceAccount?: string;
}

/** Services of `docs` selecting a Deployment's pods: "<clusterIP>:<port>" → that Deployment's name. */
function serviceTargets(docs: Obj[]): Array<{ service: string; namespace: string; port: number; deployment: string }> {
  const out: Array<{ service: string; namespace: string; port: number; deployment: string }> = [];
  for (const svc of docs.filter((d) => d.kind === "Service")) {
    const sel: Record<string, string> = svc.spec?.selector ?? {};
    const dep = docs.find(
      (d) =>
        d.kind === "Deployment" &&
        d.metadata.namespace === svc.metadata.namespace &&
        Object.entries(sel).every(([k, v]) => d.spec.template.metadata?.labels?.[k] === v),
    );
    if (!dep) continue;
    // Only the webhook server's port (3000 in the container) is per pod here; metrics bind METRICS_PORT as set.
    for (const p of svc.spec.ports ?? [])
      if (p.targetPort === 3000 || p.targetPort === "https")
        out.push({
          service: svc.metadata.name,
          namespace: svc.metadata.namespace,
          port: p.port,
          deployment: dep.metadata.name,
        });
  }
  return out;
}

function updateRoutes(file: string, edit: (routes: Record<string, number[]>) => void): void {
  let routes: Record<string, number[]> = {};
  try {
    routes = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    /* first route */
  }
  edit(routes);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(routes, null, 2) + "\n");
  renameSync(tmp, file);
}

export async function startArtefact(o: ArtefactOptions = {}): Promise<RunningArtefact> {
  const dir = o.logDir ?? mkdtempSync(join(tmpdir(), "capsicum-artefact-"));
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `module-${Date.now()}.log`);
  const out: WriteStream = createWriteStream(logFile, { flags: "a" });
  const webhookPort = await freePort();
  const viaService = o.webhookRoute === "service";
  const routesFile = process.env.SANDBOX_SERVICE_ROUTES;
  if (viaService && !routesFile)
    throw new Error('capsicum: webhookRoute "service" needs SANDBOX_SERVICE_ROUTES (the sandbox sets it)');
  const built = readArtefact(o.manifest);
  const docs = viaService ? built : webhooksToHost(built, webhookPort);

  const configMaps = new Map<string, Record<string, string>>();
  if (o.externallyApplied) {
    // A kubelet starts a pod once what it references exists; Argo CD applies them in its own order.
    const need = docs.filter((d) => ["ServiceAccount", "ConfigMap", "Service", "Secret"].includes(d.kind));
    await waitFor(
      `${need.map((d) => `${d.kind} ${d.metadata.name}`).join(", ")} applied`,
      async () => {
        for (const d of need)
          try {
            kubectl(["get", d.kind.toLowerCase(), d.metadata.name, "-n", d.metadata.namespace, "-o", "name"]);
          } catch {
            return undefined;
          }
        return true;
      },
      300000,
    );
    for (const d of docs.filter((x) => x.kind === "ConfigMap"))
      configMaps.set(
        d.metadata.name,
        JSON.parse(kubectl(["get", "configmap", d.metadata.name, "-n", d.metadata.namespace, "-o", "json"])).data ?? {},
      );
  } else {
    // Settings as a user sets them: into the ConfigMap, before the pods start.
    const settingsCm = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "capsicum-settings");
    if (settingsCm) Object.assign(settingsCm.data, o.settings ?? {});
    const applied = docs.filter((d) => d.kind !== "Deployment");
    // A fresh install's webhook configurations: ones left by `pepr dev` (or an older build) would merge with
    // these under server-side apply and keep fields the artefact does not set.
    for (const d of applied.filter((x) => /WebhookConfiguration$/.test(x.kind)))
      kubectl(["delete", d.kind.toLowerCase(), d.metadata.name, "--ignore-not-found"]);
    kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], applied.map((d) => stringify(d)).join("---\n"));
    for (const d of docs) if (d.kind === "ConfigMap") configMaps.set(d.metadata.name, d.data ?? {});
  }
  const deployments = docs.filter((d) => d.kind === "Deployment");

  const kubeconfigs = new Map<string, string>();
  let moduleSecret = docs.find((d) => d.kind === "Secret" && d.metadata.name.endsWith("-module"))!;
  // The pod's volume is the live Secret: what was applied, not the file.
  if (o.externallyApplied)
    moduleSecret = JSON.parse(
      kubectl(["get", "secret", moduleSecret.metadata.name, "-n", moduleSecret.metadata.namespace, "-o", "json"]),
    );

  // The service proxy and every pod process, under one reaper: if this process dies without stop(), none outlives it.
  const group = new ProcessGroup(dir);
  const pods: PodProcess[] = [];
  const specs: Array<{ pod: PodProcess; start: () => void }> = [];
  let stopping = false;
  for (const dep of deployments) {
    const spec = dep.spec.template.spec;
    const sa: string = spec.serviceAccountName;
    if (![SERVICE_ACCOUNT, WATCHER_SERVICE_ACCOUNT].includes(sa))
      throw new Error(`${dep.metadata.name}: unexpected ServiceAccount ${sa}`);
    if (!kubeconfigs.has(sa)) kubeconfigs.set(sa, serviceAccountKubeconfig(dir, sa));
    const kubeconfig = kubeconfigs.get(sa)!;
    const c = spec.containers[0];
    const replicas =
      dep.metadata.labels?.["pepr.dev/controller"] === "admission" && o.admissionReplicas
        ? o.admissionReplicas
        : (dep.spec.replicas ?? 1);
    for (let i = 0; i < replicas; i++) {
      const name = `${dep.metadata.name}-${i}`;
      // The pod's filesystem: the image's /app (node_modules) and the module Secret volume at /app/load.
      const podRoot = join(dir, "pods", name);
      mkdirSync(join(podRoot, "app", "load"), { recursive: true });
      try {
        symlinkSync(join(repoRoot, "node_modules"), join(podRoot, "app", "node_modules"));
      } catch {
        /* exists from an earlier start */
      }
      for (const [k, v] of Object.entries(moduleSecret.data as Record<string, string>))
        writeFileSync(join(podRoot, "app", "load", k), Buffer.from(v, "base64"));
      const pod: PodProcess = { name, serviceAccount: sa, kubeconfig, port: await freePort(), restarts: 0 };
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: podRoot,
        HOSTNAME: name,
        ...containerEnv(c, configMaps),
        ...(sa === (o.awsServiceAccount ?? WATCHER_SERVICE_ACCOUNT) ? o.podEnv : {}),
        KUBECONFIG: kubeconfig,
        POD_ROOT: podRoot,
        CAPSICUM_SERVER_PORT: String(pod.port),
      };
      const start = () => {
        const [entry, ...args] = c.args as string[];
        const child = spawn(
          process.execPath,
          ["-r", join(__dirname, "pod", "podfs.cjs"), join(podRoot, entry.replace(/^\//, "")), ...args],
          { cwd: podRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
        );
        child.stdout?.pipe(out, { end: false });
        child.stderr?.pipe(out, { end: false });
        pod.child = child;
        group.adopt(name, child, logFile);
        child.once("exit", (code, signal) => {
          // The container's PID 1 exited: the runtime tears down its PID namespace, so whatever PID 1 forked (Pepr's
          // controller.js forks the module) dies with it, even though PID 1 never forwarded the signal.
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            /* the group is gone */
          }
          if (stopping) return;
          // Like the kubelet: the container exited, restart it (short backoff: this is a test sandbox).
          pod.restarts++;
          out.write(`[sandbox] pod ${name} exited (${signal ?? code}); restarting (${pod.restarts})\n`);
          setTimeout(() => !stopping && start(), Math.min(1000 * pod.restarts, 5000)).unref();
        });
      };
      pods.push(pod);
      specs.push({ pod, start });
    }
  }
  const admissionPorts = pods.filter((p) => !p.name.includes("-watcher-")).map((p) => p.port);
  if (!viaService) await startServiceProxy(group, webhookPort, admissionPorts);
  // kube-proxy's part: each Service's clusterIP:port → the host ports of the pods it selects.
  const routeKeys: string[] = [];
  if (viaService)
    for (const t of serviceTargets(docs)) {
      const ip = kubectl(["get", "service", t.service, "-n", t.namespace, "-o", "jsonpath={.spec.clusterIP}"]).trim();
      const key = `${ip}:${t.port}`;
      const ports = pods
        .filter((p) => p.name.startsWith(`${t.deployment}-`) && /^\d+$/.test(p.name.slice(t.deployment.length + 1)))
        .map((p) => p.port);
      routeKeys.push(key);
      updateRoutes(routesFile!, (r) => (r[key] = ports));
    }
  for (const s of specs) s.start();

  const killAll = (signal: NodeJS.Signals) => {
    for (const p of pods) {
      if (p.child?.pid && p.child.exitCode === null && p.child.signalCode === null) {
        try {
          process.kill(-p.child.pid, signal);
        } catch {
          /* gone */
        }
      }
    }
  };
  const onExit = () => {
    killAll("SIGKILL");
    group.killNow();
  };
  process.once("exit", onExit);
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    stopping = true;
    process.removeListener("exit", onExit);
    const exits = pods
      .filter((p) => p.child && p.child.exitCode === null && p.child.signalCode === null)
      .map((p) => new Promise<void>((r) => p.child!.once("exit", () => r())));
    killAll(signal);
    const t = setTimeout(() => killAll("SIGKILL"), 10000);
    await Promise.all(exits);
    clearTimeout(t);
    await group.stop(2000);
    if (routeKeys.length) updateRoutes(routesFile!, (r) => routeKeys.forEach((k) => delete r[k]));
    // Output a pod flushed after its exit must not reach the ended log ("write after end").
    for (const p of pods) {
      p.child?.stdout?.unpipe(out);
      p.child?.stderr?.unpipe(out);
    }
    await new Promise<void>((r) => out.end(() => r()));
  };
  try {
    await waitFor(
      "capsicum pods /healthz",
      async () => (await Promise.all(pods.map((p) => healthz(p.port)))).every(Boolean) || undefined,
      180000,
      logFile,
    );
  } catch (e) {
    await stop("SIGKILL");
    throw e;
  }
  return { logFile, pods, webhookPort, stop };
}

/** Waits until every pod answers /healthz (after a kill, the restarted process). */
export async function waitPodsHealthy(m: RunningArtefact, timeoutMs = 60000): Promise<void> {
  await waitFor(
    "capsicum pods /healthz",
    async () => (await Promise.all(m.pods.map((p) => healthz(p.port)))).every(Boolean) || undefined,
    timeoutMs,
    m.logFile,
  );
}

export { AWS_ENV };
