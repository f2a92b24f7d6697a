// Runs the capsicum module against the sandbox. `startModule` runs the built artefact (dist/capsicum.yaml) as
// a cluster would, under its ServiceAccount (sandbox/artefact.ts): what e2e tests and `npm start` use.
// `startDevModule` runs it the way a developer changing it does: `pepr dev`, which builds the module,
// registers its webhook configurations pointing at https://localhost:3000 and runs admission + watch bindings
// in one process with the sandbox admin's credentials (`npm start -- --dev`).
import { execFileSync, spawn, ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertPortFree, waitFor } from "./procs";
import { AWS_ENV, RunningArtefact, healthz, startArtefact } from "./artefact";

const repoRoot = join(__dirname, "..");
export const MODULE_PORT = 3000; // pepr's controller listens on :3000 (fixed by pepr)

export interface RunningModule {
  logFile: string;
  child?: ChildProcess;
  artefact?: RunningArtefact;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Module env → what a user configures: AWS access (Pod Identity in EKS) vs. capsicum settings (the ConfigMap). */
export async function startModule(
  env: Record<string, string>,
  opts: { logDir?: string; manifest?: string } = {},
): Promise<RunningModule> {
  const settings: Record<string, string> = {};
  const podEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (AWS_ENV.includes(k)) podEnv[k] = v;
    else if (k !== "KUBECONFIG" && k !== "KUBECTL") settings[k] = v;
  }
  const prev = { KUBECONFIG: process.env.KUBECONFIG, KUBECTL: process.env.KUBECTL };
  if (env.KUBECONFIG) process.env.KUBECONFIG = env.KUBECONFIG;
  if (env.KUBECTL) process.env.KUBECTL = env.KUBECTL;
  try {
    const artefact = await startArtefact({ settings, podEnv, logDir: opts.logDir, manifest: opts.manifest });
    return { logFile: artefact.logFile, artefact, stop: (signal) => artefact.stop(signal) };
  } finally {
    if (!env.KUBECONFIG) process.env.KUBECONFIG = prev.KUBECONFIG;
    if (!env.KUBECTL) process.env.KUBECTL = prev.KUBECTL;
  }
}

export async function startDevModule(
  env: Record<string, string>,
  opts: { logDir?: string } = {},
): Promise<RunningModule> {
  // A module killed a moment ago (restart tests) may still hold the port until the kernel reaps it.
  await waitFor(
    `port ${MODULE_PORT} free`,
    async () => {
      await assertPortFree(MODULE_PORT, "the capsicum module's webhook server");
      return true;
    },
    15000,
  ).catch(() => assertPortFree(MODULE_PORT, "the capsicum module's webhook server"));
  // The artefact's webhook configurations (clientConfig.service) would merge with pepr dev's (clientConfig.url)
  // into an invalid object, and pepr dev then fails at "Applying mutate webhook": it recreates them anyway.
  for (const kind of ["mutatingwebhookconfiguration", "validatingwebhookconfiguration"])
    execFileSync(
      env.KUBECTL ?? process.env.KUBECTL ?? "kubectl",
      ["delete", kind, "pepr-capsicum", "--ignore-not-found"],
      {
        env: { ...process.env, ...(env.KUBECONFIG ? { KUBECONFIG: env.KUBECONFIG } : {}) },
        stdio: "pipe",
      },
    );
  const logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), "capsicum-module-"));
  const logFile = join(logDir, `module-${Date.now()}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(join(repoRoot, "node_modules/.bin/pepr"), ["dev", "--host", "localhost", "--yes"], {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env, LOG_LEVEL: env.LOG_LEVEL ?? "info", PEPR_PRETTY_LOGS: "false" },
  });
  // Two sources, one file: end it once the child's stdio has closed (see ProcessGroup.start).
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  child.once("close", () => out.end());
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  };
  process.once("exit", kill);
  const stop = async (signal: NodeJS.Signals = "SIGINT") => {
    process.removeListener("exit", kill);
    if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      process.kill(-child.pid, signal);
    } catch {
      return;
    }
    const t = setTimeout(kill, 10000);
    await exited;
    clearTimeout(t);
  };
  try {
    // pepr dev lints, formats and bundles before it serves: minutes on a loaded 2-core machine (lint and format
    // alone took 3.5 of 4.5 minutes at a load average of 17, and the bundle had not started serving).
    await waitFor(
      "capsicum module /healthz on :3000",
      async () => (await healthz(MODULE_PORT)) || undefined,
      600000,
      logFile,
    );
  } catch (e) {
    await stop("SIGKILL");
    throw e;
  }
  return { logFile, child, stop };
}
