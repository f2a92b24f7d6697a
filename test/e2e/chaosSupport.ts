// Chaos e2e plumbing: the end-state checks every scenario ends with (scenario 8 of issue 16), the emulator's fault
// injection, a foreign cluster's instance, and the sandbox apiserver paused (brownout) or restarted.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { EC2Client, DescribeImagesCommand, DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type Instance } from "@aws-sdk/client-ec2";
import type { Faults } from "../../sandbox/moto";
import { tag } from "./aws";
import { getJSON, kubectlResult, sleep, waitFor } from "./support";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
// The test's own EC2 calls bypass the injected faults (the emulator's component header): only the product meets them.
const ec2 = new EC2Client({});
ec2.middlewareStack.add(next => async args => {
  (args.request as { headers: Record<string, string> }).headers["x-capsicum-sandbox-component"] = "e2e-check";
  return next(args);
}, { step: "build", name: "capsicumBypassFaults" });

async function faultsCall(method: "POST" | "DELETE", body?: Faults): Promise<void> {
  const url = `${process.env.AWS_ENDPOINT_URL}/_capsicum/faults`;
  const r = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
}
export const injectFaults = (f: Faults) => faultsCall("POST", f);
export const clearFaults = () => faultsCall("DELETE");

/** This cluster's instances of a NodePool (pending or running). */
export async function poolInstances(pool: string, cluster = process.env.CLUSTER_NAME ?? "capsicum-sandbox"): Promise<Instance[]> {
  const out: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:kubernetes.io/cluster/${cluster}`, Values: ["owned"] },
        { Name: "tag:karpenter.sh/nodepool", Values: [pool] },
        { Name: "instance-state-name", Values: ["pending", "running"] },
      ],
      NextToken,
    }));
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** What is wrong with the pool right now (empty when converged). */
async function problems(o: { pool: string; cluster: string; replicas: number; runningCount: () => number; claims: () => Obj[] }): Promise<string[]> {
  const out: string[] = [];
  const running = o.runningCount();
  if (running !== o.replicas) out.push(`${running}/${o.replicas} pods Running`);
  const claims = o.claims();
  const deleting = claims.filter(c => c.metadata.deletionTimestamp).map(c => c.metadata.name);
  if (deleting.length) out.push(`NodeClaims still deleting: ${deleting.join(", ")}`);
  const byClaim = new Map<string, string[]>();
  for (const i of await poolInstances(o.pool, o.cluster)) {
    const nc = tag(i, "karpenter.sh/nodeclaim") ?? "";
    byClaim.set(nc, [...(byClaim.get(nc) ?? []), i.InstanceId!]);
  }
  for (const c of claims) {
    const ids = byClaim.get(c.metadata.name) ?? [];
    if (ids.length !== 1) out.push(`NodeClaim ${c.metadata.name} has ${ids.length} instances (${ids.join(", ")})`);
    const pid = c.status?.providerID as string | undefined;
    if (!pid) out.push(`NodeClaim ${c.metadata.name} not launched`);
    else if (ids.length === 1 && !pid.endsWith(`/${ids[0]}`)) out.push(`NodeClaim ${c.metadata.name} points at ${pid}, its instance is ${ids[0]}`);
  }
  const names = new Set(claims.map(c => c.metadata.name));
  for (const [nc, ids] of byClaim) if (!names.has(nc)) out.push(`orphan instance(s) ${ids.join(", ")} (NodeClaim ${nc || "?"} does not exist)`);
  for (const n of getJSON(["get", "nodes", "-l", `e2e/pool=${o.pool}`]).items as Obj[]) {
    if (n.spec.unschedulable) out.push(`node ${n.metadata.name} left cordoned`);
    if ((n.spec.taints ?? []).some((t: Obj) => t.key === "karpenter.sh/disrupted")) out.push(`node ${n.metadata.name} left tainted karpenter.sh/disrupted`);
  }
  return out;
}

/**
 * Scenario 8's end state, waited for (duplicates are GC'd after the grace period, drains finish): all pods Running,
 * exactly one instance per NodeClaim and it is the one in its providerID, no orphan instance, no node left cordoned
 * or tainted karpenter.sh/disrupted, no NodeClaim stuck deleting. Fails naming what is still wrong.
 */
export async function assertConverged(o: { pool: string; cluster: string; replicas: number; runningCount: () => number; claims: () => Obj[]; timeoutMs?: number }): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 300000);
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await problems(o);
    if (last.length === 0) return;
    await sleep(2000);
  }
  expect(last).toEqual([]);
}

/** Launches an instance tagged as another cluster's Karpenter node (same account, same pool name). */
export async function foreignInstance(otherCluster: string): Promise<string> {
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], MaxResults: 5 }));
  const image = images.Images?.[0]?.ImageId ?? (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!;
  const r = await ec2.send(new RunInstancesCommand({
    ImageId: image, InstanceType: "m5.large", MinCount: 1, MaxCount: 1,
    TagSpecifications: [{
      ResourceType: "instance",
      Tags: [
        { Key: `kubernetes.io/cluster/${otherCluster}`, Value: "owned" },
        { Key: "karpenter.sh/nodepool", Value: "chaos" },
        { Key: "karpenter.sh/nodeclaim", Value: "chaos-foreign" },
        { Key: "karpenter.k8s.aws/ec2nodeclass", Value: "default" },
      ],
    }],
  }));
  return r.Instances![0]!.InstanceId!;
}

export async function instanceState(id: string): Promise<string | undefined> {
  const r = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return r.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

export async function terminate(id: string): Promise<void> {
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
}

/** Gone or a zombie (the sandbox's apiserver is a child of this jest process, reaped asynchronously). */
async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z")) return true;
    } catch {
      return true;
    }
    await sleep(250);
  }
  return false;
}

/** The sandbox's kube-apiserver process (found by its --secure-port), paused or restarted in place. */
export function apiserver() {
  const port = new URL(process.env.SANDBOX_APISERVER!).port;
  const find = (): number => {
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const args = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
        if (args[0]?.endsWith("kube-apiserver") && args.includes(`--secure-port=${port}`)) return Number(d);
      } catch { /* gone */ }
    }
    throw new Error(`no kube-apiserver with --secure-port=${port}`);
  };
  const ready = () => waitFor("kube-apiserver ready again", async () => kubectlResult(["get", "--raw", "/readyz"]).ok || undefined, 120000);
  return {
    /** SIGSTOP for `ms`: every request and watch hangs, as in an overloaded or partitioned control plane. */
    async brownout(ms: number): Promise<void> {
      const pid = find();
      console.log(`[chaos] apiserver ${pid} paused for ${ms / 1000} s`);
      process.kill(pid, "SIGSTOP");
      try { await sleep(ms); } finally { process.kill(pid, "SIGCONT"); }
      await ready();
    },
    /**
     * Stops the apiserver (every watch stream is cut) and starts it again with the same arguments and
     * environment. The new one lives until this jest process exits (later e2e files need it): a watchdog kills it.
     */
    async restart(): Promise<void> {
      const pid = find();
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      const env = Object.fromEntries(readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean).map(kv => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
      try {
        process.kill(pid, "SIGTERM");
        if (!(await exited(pid, 15000))) {
          process.kill(pid, "SIGKILL");
          await exited(pid, 15000);
        }
      } finally {
        // Always start it again: every later scenario and e2e file needs the apiserver.
        const log = openSync(join(dirname(process.env.KUBECONFIG!), "kube-apiserver-restarted.log"), "a");
        const watchdog = `"$@" & c=$!; while kill -0 ${process.pid} 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 1; done; kill $c 2>/dev/null`;
        const child = spawn("bash", ["-c", watchdog, "apiserver", ...args], { detached: true, env, stdio: ["ignore", log, log] });
        child.unref();
        console.log(`[chaos] apiserver ${pid} restarted`);
      }
      await ready();
    },
  };
}
