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
  /** The zones that got a private subnet (the first SANDBOX_ZONES of the region). */
  zones: string[];
  accountId: string;
  vpcId: string;
  subnets: Array<{ id: string; zone: string; zoneID: string }>;
  securityGroups: Array<{ id: string; name: string }>;
  roleName: string;
  instanceProfile: string;
  amis: Array<{ id: string; name: string; family: string; arch: string; k8s: string; version: string; creationDate: string }>;
  k8sVersions: string[];
  queueName: string;
  queueUrl: string;
  /** One placement group of each strategy: `<cluster>-cluster`, `<cluster>-partition` (3), `<cluster>-spread`. */
  placementGroups: Array<{ name: string; id: string; strategy: string; partitionCount?: number }>;
  faultsEndpoint: string;
}

export interface InsufficientCapacityFault { instanceType?: string; zone?: string; capacityType?: "spot" | "on-demand"; errorCode?: string }

/** An API fault: `action` is the API name (`CreateFleet`, `DescribeInstances`, `GetParameter`, ...) or "*"; `count`
 * how many calls fail (omitted: until cleared). */
export interface ApiFault { action: string; count?: number }

/** Faults on demand, answered the way the real service answers them (see sandbox/moto_server.py). */
export interface Faults {
  /** CreateFleet reports InsufficientInstanceCapacity (or `errorCode`) in `Errors` for matching overrides. */
  insufficientCapacity?: InsufficientCapacityFault[];
  /** RequestLimitExceeded (EC2, HTTP 503) / ThrottlingException (JSON APIs). The SDK's retries see these too. */
  throttle?: ApiFault[];
  /** InternalError (500) or Unavailable (503). */
  serverError?: Array<ApiFault & { status?: 500 | 503 }>;
  /** UnauthorizedOperation (403): an IAM policy or SCP denying the call, its dry runs included. */
  deny?: ApiFault[];
  /** Eventual consistency: an instance younger than this is missing from DescribeInstances (by id: NotFound). */
  hideNewInstances?: { seconds: number };
  /** DescribeInstanceStatus reports the instance impaired: a failed check (since `impairedSince`, default now) or an event. */
  impairInstances?: Array<{
    instanceId: string;
    category: "instanceStatus" | "systemStatus" | "event";
    eventCode?: "instance-reboot" | "system-reboot" | "system-maintenance" | "instance-retirement" | "instance-stop";
    impairedSince?: string;
  }>;
}

export interface EksClusterSeed { endpoint: string; certificateAuthority: string; version: string; serviceIpv4Cidr: string; /** another cluster than CLUSTER_NAME */ name?: string }

export interface MotoHandle {
  endpoint: string;
  region: string;
  seed: MotoSeed;
  logFile: string;
  /** Makes moto's CreateFleet answer InsufficientInstanceCapacity (real EC2 error shape) for matching overrides. */
  injectInsufficientCapacity(faults: InsufficientCapacityFault[]): Promise<void>;
  /** Adds faults (they accumulate until clearFaults). */
  injectFaults(faults: Faults): Promise<void>;
  clearFaults(): Promise<void>;
  /** Points the EKS cluster CLUSTER_NAME at the sandbox apiserver (eks:DescribeCluster then describes it). */
  seedEksCluster(cluster: EksClusterSeed): Promise<void>;
  stop(): Promise<void>;
}

/** SANDBOX_REGION (default us-east-1) and SANDBOX_ZONES (default 3): where the sandbox's AWS lives. */
export function sandboxRegion(env: NodeJS.ProcessEnv = process.env): { region: string; zones: number } {
  const region = env.SANDBOX_REGION || "us-east-1";
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new Error(`capsicum: SANDBOX_REGION="${region}" is not a region name; use e.g. us-east-1 or eu-west-1`);
  }
  const zones = Number(env.SANDBOX_ZONES || "3");
  if (!Number.isInteger(zones) || zones < 1 || zones > 6) {
    throw new Error(`capsicum: SANDBOX_ZONES="${env.SANDBOX_ZONES}" must be a whole number of zones from 1 to 6`);
  }
  return { region, zones };
}


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
export function awsEnv(endpoint: string, region = sandboxRegion().region): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
  };
}

/** SANDBOX_PRICING_API: "serve" (default, GetProducts answers) or "refuse" (AccessDeniedException, as a role without
 * pricing:GetProducts gets). */
export function sandboxPricingApi(env: NodeJS.ProcessEnv = process.env): "serve" | "refuse" {
  const v = env.SANDBOX_PRICING_API || "serve";
  if (v !== "serve" && v !== "refuse")
    throw new Error(`capsicum: SANDBOX_PRICING_API="${v}" must be serve or refuse`);
  return v;
}

export async function startMoto(opts: { clusterName: string; k8sVersions?: string[]; timeoutMs?: number; region?: string; zones?: number; pricingApi?: "serve" | "refuse" }): Promise<MotoHandle> {
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
    "--state-file", join(dir, "state.json"), "--exit-on-stdin-eof",
    "--region", opts.region ?? sandboxRegion().region, "--zones", String(opts.zones ?? sandboxRegion().zones),
    "--prices", resolve(root, "sandbox/data/aws.json"), "--pricing-api", opts.pricingApi ?? sandboxPricingApi()];
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
  const control = async (url: string, method: "POST" | "DELETE", body?: unknown) => {
    const res = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { "content-type": "application/json" } });
    if (!res.ok) throw new Error(`capsicum: moto control endpoint ${url} answered ${res.status}: ${await res.text()}`);
  };
  const faults = (method: "POST" | "DELETE", body?: unknown) => control(seed.faultsEndpoint, method, body);
  return {
    endpoint,
    region: seed.region,
    seed,
    logFile,
    injectInsufficientCapacity: f => faults("POST", { insufficientCapacity: f }),
    injectFaults: f => faults("POST", f),
    clearFaults: () => faults("DELETE"),
    seedEksCluster: c => control(`${endpoint}/_capsicum/eks`, "POST", c),
    async stop() {
      process.removeListener("exit", killNow);
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>(r => child.once("exit", () => r()));
      try { process.kill(-child.pid, "SIGTERM"); } catch { return; }
      const t = setTimeout(killNow, 5000);
      await exited;
      clearTimeout(t);
      child.stdin?.destroy();
      // 'exit' can come before stderr's last chunk: unpipe first, or that chunk is a "write after end" error.
      child.stderr?.unpipe(log);
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
