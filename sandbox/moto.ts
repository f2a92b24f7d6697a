// Starts the seeded moto emulator (sandbox/moto_server.py) on a free port for tests and the sandbox.
// The child runs in its own process group and exits when its stdin pipe closes, so a crashed parent leaves
// no moto behind; stop() and a process 'exit' hook kill the group too.
import { spawn, ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, createWriteStream } from "node:fs";
import { tmpdir, homedir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { freePort } from "./procs";

export interface MotoSeed {
  clusterName: string;
  region: string;
  accountId: string;
  vpcId: string;
  subnets: Array<{ id: string; zone: string; zoneID: string }>;
  securityGroups: Array<{ id: string; name: string }>;
  roleName: string;
  instanceProfile: string;
  amis: Array<{ id: string; name: string; arch: string; k8s: string; version: string; creationDate: string }>;
  k8sVersions: string[];
  queueName: string;
  queueUrl: string;
  faultsEndpoint: string;
}

export interface InsufficientCapacityFault { instanceType?: string; zone?: string; capacityType?: "spot" | "on-demand"; errorCode?: string }

export interface MotoHandle {
  endpoint: string;
  region: string;
  seed: MotoSeed;
  logFile: string;
  /** Makes moto's CreateFleet answer InsufficientInstanceCapacity (real EC2 error shape) for matching overrides. */
  injectInsufficientCapacity(faults: InsufficientCapacityFault[]): Promise<void>;
  clearFaults(): Promise<void>;
  stop(): Promise<void>;
}

const REGION = "us-east-1";

function repoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    if (existsSync(join(dir, "sandbox", "moto_server.py"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("capsicum: cannot find sandbox/moto_server.py above " + process.cwd() + ": run from the repo");
    dir = up;
  }
}

/** The venv python `npm run cluster:build` installs moto into (versions.env pins MOTO_VERSION). */
export function motoPython(root = repoRoot()): string {
  if (process.env.CAPSICUM_MOTO_PYTHON) return process.env.CAPSICUM_MOTO_PYTHON;
  const env = readFileSync(join(root, "scripts", "cluster", "versions.env"), "utf8");
  const version = /^MOTO_VERSION=(\S+)/m.exec(env)?.[1];
  if (!version) throw new Error("capsicum: MOTO_VERSION missing from scripts/cluster/versions.env");
  return join(process.env.CAPSICUM_CACHE ?? join(homedir(), ".cache", "capsicum"), `moto-v${version}`, "bin", "python");
}

/** Environment that points the AWS SDK (v3, standard variables) at the emulator. */
export function awsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
  };
}

export async function startMoto(opts: { clusterName: string; k8sVersions?: string[]; timeoutMs?: number }): Promise<MotoHandle> {
  const root = repoRoot();
  const python = motoPython(root);
  if (!existsSync(python)) {
    throw new Error(`capsicum: moto's Python virtualenv is missing (${python}). Fix: npm run cluster:build`);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "capsicum-moto-"));
  const logFile = join(dir, "moto.log");
  const log = createWriteStream(logFile, { flags: "a" });
  const args = [resolve(root, "sandbox/moto_server.py"), "--port", String(port), "--cluster-name", opts.clusterName,
    "--state-file", join(dir, "state.json"), "--exit-on-stdin-eof"];
  if (opts.k8sVersions?.length) args.push("--k8s-versions", opts.k8sVersions.join(","));
  const child = spawn(python, args, { detached: true, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  child.stderr?.pipe(log);
  const killNow = () => { if (child.pid && child.exitCode === null) { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } } };
  process.once("exit", killNow);

  let seed: MotoSeed;
  try {
    seed = await readyLine(child, opts.timeoutMs ?? 60_000, logFile, port);
  } catch (e) {
    killNow();
    throw e;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const faults = async (method: "POST" | "DELETE", body?: unknown) => {
    const res = await fetch(seed.faultsEndpoint, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { "content-type": "application/json" } });
    if (!res.ok) throw new Error(`capsicum: moto fault endpoint answered ${res.status}: ${await res.text()}`);
  };
  return {
    endpoint,
    region: REGION,
    seed,
    logFile,
    injectInsufficientCapacity: f => faults("POST", { insufficientCapacity: f }),
    clearFaults: () => faults("DELETE"),
    async stop() {
      process.removeListener("exit", killNow);
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>(r => child.once("exit", () => r()));
      try { process.kill(-child.pid, "SIGTERM"); } catch { return; }
      const t = setTimeout(killNow, 5000);
      await exited;
      clearTimeout(t);
      child.stdin?.destroy();
      log.end();
    },
  };
}

function readyLine(child: ChildProcess, timeoutMs: number, logFile: string, port: number): Promise<MotoSeed> {
  return new Promise((resolvePromise, reject) => {
    let buf = "";
    const timer = setTimeout(() => fail(new Error(`capsicum: moto did not report ready on port ${port} within ${timeoutMs} ms (see ${logFile})`)), timeoutMs);
    const fail = (e: Error) => { clearTimeout(timer); reject(e); };
    child.once("error", e => fail(new Error(`capsicum: cannot start moto (${e.message}). Fix: npm run cluster:build`)));
    child.once("exit", code => {
      let tail = "";
      try { tail = readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n"); } catch { /* no log */ }
      fail(new Error(`capsicum: moto exited with code ${code} before it was ready (see ${logFile}):\n${tail}`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line.startsWith("{")) continue;
        try {
          const parsed = JSON.parse(line) as MotoSeed & { ready?: boolean };
          if (parsed.ready) { clearTimeout(timer); child.removeAllListeners("exit"); resolvePromise(parsed); return; }
        } catch { /* not the ready line */ }
      }
    });
  });
}
