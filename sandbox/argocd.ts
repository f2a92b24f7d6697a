// A real Argo CD (v3.6.1, built by scripts/cluster/argocd-build.sh) against the sandbox apiserver: Redis
// (miniredis), repo-server and application-controller as local processes. No argocd-server: Applications are
// driven with kubectl (`.operation` to sync, the refresh annotation, `.status` to read) as the Argo CD docs
// allow; `argocd login --core` cannot work here because it port-forwards to pods and KWOK pods have no kubelet.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { healthCustomizations } from "./argocdHealth";
import { ProcessGroup, freePort, waitFor } from "./procs";

const repoRoot = join(__dirname, "..");
export const ARGOCD_NAMESPACE = "argocd";

export interface ArgoCD {
  dir: string;
  bin: string;
  redis: string;
  repoServer: string;
  controllerMetrics: string;
  logFile(component: "application-controller" | "repo-server" | "redis"): string;
  stop(): Promise<void>;
}

/** The cached Argo CD build (built on first use, ~8 min cold). */
export function ensureArgoCD(): string {
  let out: string;
  try {
    out = execFileSync("bash", [join(repoRoot, "scripts/cluster/argocd-build.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
  } catch (e) {
    throw new Error(
      `capsicum: building Argo CD failed (scripts/cluster/argocd-build.sh exited ${(e as { status?: number }).status}); see the messages above`,
    );
  }
  const dir = /^argocd=(.*)$/m.exec(out)?.[1];
  if (!dir) throw new Error("capsicum: scripts/cluster/argocd-build.sh printed no argocd=<dir> line");
  return dir;
}

/** Runs the argocd CLI (the same binary, dispatching on ARGOCD_BINARY_NAME). */
export function argocdCli(dir: string, args: string[]): string {
  return execFileSync(join(dir, "bin", "argocd"), args, {
    encoding: "utf8",
    env: { ...process.env, ARGOCD_BINARY_NAME: "argocd" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Installs Argo CD's CRDs and base config into `kubeconfig`'s cluster (namespace argocd, AppProject default, the
 * Lua health checks capsicum ships) and starts its processes. `kubectl` runs against the same cluster.
 */
export async function startArgoCD(opts: {
  kubeconfig: string;
  kubectl: (args: string[], input?: string) => string;
  /** Seconds between periodic refreshes of every Application (Argo CD's default is 180). */
  appResyncSeconds?: number;
}): Promise<ArgoCD> {
  const home = ensureArgoCD();
  const bin = join(home, "bin", "argocd");
  const k = opts.kubectl;
  k([
    "apply",
    "--server-side",
    "--force-conflicts",
    "-f",
    join(home, "manifests/crds/application-crd.yaml"),
    "-f",
    join(home, "manifests/crds/appproject-crd.yaml"),
  ]);
  // (`kubectl wait` fails outright while a just-created CRD has no status.conditions yet.)
  for (const crd of ["applications.argoproj.io", "appprojects.argoproj.io"])
    await waitFor(
      `CRD ${crd} Established`,
      async () =>
        /True/.test(k(["get", "crd", crd, "-o", "jsonpath={.status.conditions[?(@.type=='Established')].status}"])) ||
        undefined,
      60000,
    );
  k(
    ["apply", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ARGOCD_NAMESPACE } }),
  );
  k(["apply", "-n", ARGOCD_NAMESPACE, "-k", join(home, "manifests/config")]);
  // argocd-server normally creates the default project; there is no argocd-server here.
  k(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      metadata: { name: "default", namespace: ARGOCD_NAMESPACE },
      spec: {
        sourceRepos: ["*"],
        destinations: [{ namespace: "*", server: "*" }],
        clusterResourceWhitelist: [{ group: "*", kind: "*" }],
      },
    }),
  );
  k([
    "patch",
    "configmap",
    "argocd-cm",
    "-n",
    ARGOCD_NAMESPACE,
    "--type",
    "merge",
    "-p",
    JSON.stringify({ data: healthCustomizations() }),
  ]);

  const dir = mkdtempSync(join(tmpdir(), "capsicum-argocd-"));
  let redisPort = 0,
    repoPort = 0,
    repoMetrics = 0,
    ctrlMetrics = 0;
  const procs = new ProcessGroup(dir);
  const onExit = () => procs.killNow();
  process.once("exit", onExit);
  const stop = async () => {
    await procs.stop();
    process.removeListener("exit", onExit);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const data = (n: string, mode = 0o755) => {
      const p = join(dir, n);
      mkdirSync(p, { recursive: true, mode });
      return p;
    };
    [redisPort, repoPort, repoMetrics, ctrlMetrics] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const redis = `127.0.0.1:${redisPort}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KUBECONFIG: opts.kubeconfig,
      // The repo-server execs git-verify-wrapper.sh/gpg-wrapper.sh by name: without them on PATH every manifest
      // generation fails with a misleading "permission denied".
      PATH: `${join(home, "bin")}:${process.env.PATH ?? ""}`,
      ARGOCD_GPG_ENABLED: "false",
      ARGOCD_TLS_DATA_PATH: data("tls"),
      ARGOCD_SSH_DATA_PATH: data("ssh"),
      ARGOCD_GNUPGHOME: data("gnupg", 0o700),
      ARGOCD_GPG_DATA_PATH: data("gpg"),
    };
    procs.start("redis", join(home, "bin", "redis"), [redis], env);
    procs.start(
      "repo-server",
      bin,
      [
        "--address",
        "127.0.0.1",
        "--port",
        String(repoPort),
        "--metrics-port",
        String(repoMetrics),
        "--redis",
        redis,
        "--disable-tls",
        "--client-ca-path",
        "",
        "--loglevel",
        "warn",
      ],
      { ...env, ARGOCD_BINARY_NAME: "argocd-repo-server" },
    );
    procs.start(
      "application-controller",
      bin,
      [
        "--namespace",
        ARGOCD_NAMESPACE,
        "--redis",
        redis,
        "--repo-server",
        `127.0.0.1:${repoPort}`,
        "--repo-server-plaintext",
        "--metrics-port",
        String(ctrlMetrics),
        "--app-resync",
        String(opts.appResyncSeconds ?? 15),
        // Without it status.resources[].health is not written: the per-resource verdicts a user sees.
        "--persist-resource-health",
        "--loglevel",
        "warn",
      ],
      {
        ...env,
        ARGOCD_BINARY_NAME: "argocd-application-controller",
        // https://kubernetes.default.svc (the in-cluster destination) then means this KUBECONFIG.
        ARGOCD_FAKE_IN_CLUSTER: "true",
        HOSTNAME: "argocd-application-controller-0",
      },
    );
    const metrics = (port: number, what: string) =>
      waitFor(
        `${what} /metrics`,
        async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).ok || undefined,
        60000,
        dir,
      );
    await Promise.all([
      metrics(repoMetrics, "argocd-repo-server"),
      metrics(ctrlMetrics, "argocd-application-controller"),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir,
    bin,
    redis: `127.0.0.1:${redisPort}`,
    repoServer: `127.0.0.1:${repoPort}`,
    controllerMetrics: `http://127.0.0.1:${ctrlMetrics}/metrics`,
    logFile: (c) => join(dir, `${c}.log`),
    stop,
  };
}
