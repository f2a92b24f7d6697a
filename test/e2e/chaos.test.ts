// Issue 16's chaos scenarios that need real processes: the watcher killed with -9 (the sandbox restarts it as a
// Deployment's pod) during a scale-up, a consolidation and an interruption; EC2 faults from the emulator
// (RequestLimitExceeded, 5xx, instances hidden from DescribeInstances); an apiserver brownout and restart; a
// foreign cluster's Karpenter-tagged instance. Each ends with the same end-state checks (chaosSupport.ts).
// Tests named "[slow]" are the long ones: npm test runs them, `npm run test:e2e:fast` leaves them out.
import { SQSClient, SendMessageCommand, GetQueueUrlCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { join } from "node:path";
import { startE2E, cleanup, E2EEnv, kubectl, getJSON, waitFor, root, sleep } from "./support";
import { apiserver, assertConverged, foreignInstance, injectFaults, clearFaults, instanceState, poolInstances, terminate } from "./chaosSupport";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const CLUSTER = process.env.CLUSTER_NAME ?? "capsicum-sandbox";
const REGION = process.env.SANDBOX_REGION ?? "us-east-1";
const NS = "chaos-e2e";
const POOL = "chaos";
let e2e: E2EEnv;
let foreign: string;

const claims = (): Obj[] => getJSON(["get", "nodeclaims", "-l", `karpenter.sh/nodepool=${POOL}`]).items;
const pods = (): Obj[] => getJSON(["get", "pods", "-n", NS, "-l", "app=chaos"]).items;
const runningCount = () => pods().filter(p => p.status?.phase === "Running" && !p.metadata.deletionTimestamp).length;
const scale = (n: number) => kubectl(["scale", "deployment", "chaos", "-n", NS, `--replicas=${n}`]);

const nodePool = JSON.stringify({
  apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: POOL },
  spec: {
    template: {
      metadata: { labels: { "e2e/pool": POOL } },
      spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        requirements: [
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
          { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m"] },
          { key: "karpenter.k8s.aws/instance-cpu", operator: "In", values: ["2", "4"] },
        ],
        taints: [{ key: "e2e/chaos", effect: "NoSchedule" }],
      },
    },
    disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "5s", budgets: [{ nodes: "100%" }] },
  },
});

const deployment = (replicas: number) => JSON.stringify({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "chaos", namespace: NS },
  spec: {
    replicas, selector: { matchLabels: { app: "chaos" } },
    template: {
      metadata: { labels: { app: "chaos" } },
      spec: {
        nodeSelector: { "e2e/pool": POOL },
        tolerations: [{ key: "e2e/chaos", operator: "Exists", effect: "NoSchedule" }],
        terminationGracePeriodSeconds: 0,
        containers: [{ name: "pause", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "500m" } } }],
      },
    },
  },
});

const converged = (replicas: number, timeoutMs = 300000) =>
  assertConverged({ pool: POOL, cluster: CLUSTER, replicas, runningCount, claims, timeoutMs });

/** Kills the watcher (-9) after `ms`; the sandbox restarts it like a Deployment's pod. */
async function killWatcherAfter(ms: number, why: string): Promise<void> {
  await sleep(ms);
  console.log(`[chaos] kill -9 of the watcher: ${why}`);
  await e2e.restart();
}

beforeAll(async () => {
  e2e = await startE2E({
    BATCH_IDLE_DURATION: "1s", BATCH_MAX_DURATION: "5s", DISRUPTION_POLL_INTERVAL: "2s", CONSOLIDATION_VALIDATION_DELAY: "2s",
    GC_INTERVAL: "10s", GC_GRACE_PERIOD: "30s",
  });
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
  kubectl(["apply", "-f", "-"], nodePool);
  kubectl(["apply", "-f", "-"], deployment(0));
  // Another cluster's Karpenter-tagged instance in the same account: it must still run when this file ends.
  foreign = await foreignInstance("another-cluster");
}, 300000);

afterAll(async () => {
  try {
    await clearFaults();
    await cleanup(NS, [POOL]);
  } finally {
    if (foreign) await terminate(foreign).catch(() => undefined);
    await e2e?.stop();
  }
}, 300000);

test("[slow] 0 → 40 pods with EC2 throttling, 5xx, hidden new instances and two kill -9 of the watcher: every pod runs, one instance per NodeClaim, no orphan", async () => {
  await injectFaults({
    throttle: [{ action: "CreateFleet", count: 4 }, { action: "DescribeInstances", count: 6 }],
    serverError: [{ action: "CreateFleet", count: 2, status: 503 }],
    hideNewInstances: { seconds: 10 },
  });
  const t0 = Date.now();
  try {
    scale(40);
    // First kill once the first NodeClaims exist (launches in flight), the second at a random moment after.
    await waitFor("a NodeClaim of the scale-up", async () => claims().length > 0 || undefined, 120000);
    await killWatcherAfter(0, "NodeClaims created, launches in flight");
    await killWatcherAfter(2000 + Math.floor(Math.random() * 8000), "mid scale-up");
    await converged(40);
  } finally {
    await clearFaults();
  }
  console.log(`[e2e figures] chaos scale-up: 40 pods Running in ${((Date.now() - t0) / 1000).toFixed(0)} s with faults and 2 kills; ${claims().length} NodeClaims`);
}, 900000);

test("[slow] kill -9 of the watcher during consolidation (40 → 6 pods): the fleet shrinks, no node is left cordoned or tainted karpenter.sh/disrupted", async () => {
  const before = claims().length;
  scale(6);
  await waitFor("a consolidation in progress (a node tainted karpenter.sh/disrupted or a NodeClaim deleting)", async () => {
    const tainted = getJSON(["get", "nodes", "-l", `e2e/pool=${POOL}`]).items.some((n: Obj) => (n.spec.taints ?? []).some((t: Obj) => t.key === "karpenter.sh/disrupted"));
    return tainted || claims().some(c => c.metadata.deletionTimestamp) || undefined;
  }, 180000);
  await killWatcherAfter(0, "consolidation in progress");
  await converged(6);
  await waitFor("the fleet shrunk", async () => claims().filter(c => !c.metadata.deletionTimestamp).length < before || undefined, 240000);
  await converged(6);
}, 900000);

/** A spot interruption warning for a NodeClaim's instance, as EventBridge delivers it. */
function interruption(c: Obj): string {
  const instanceId = c.status.providerID.split("/").pop();
  return JSON.stringify({
    version: "0", id: `chaos-${instanceId}`, "detail-type": "EC2 Spot Instance Interruption Warning", source: "aws.ec2",
    account: "123456789012", time: new Date().toISOString(), region: REGION,
    resources: [`arn:aws:ec2:${REGION}:123456789012:instance/${instanceId}`],
    detail: { "instance-id": instanceId, "instance-action": "terminate" },
  });
}

test("spot interruption: drained and replaced within the two-minute notice; a warning sent while the watcher is killed is not lost; malformed messages are deleted", async () => {
  const sqs = new SQSClient({});
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: CLUSTER }));
  const live = () => claims().filter(c => !c.metadata.deletionTimestamp && c.status?.providerID);
  const gone = (name: string) => waitFor(`interrupted NodeClaim ${name} gone`, async () => !claims().some(c => c.metadata.name === name) || undefined, 240000);
  const idOf = (c: Obj) => c.status.providerID.split("/").pop();
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "{not json" }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ version: "0", "detail-type": "EC2 Spot Instance Interruption Warning", source: "aws.ec2", detail: {} }) }));

  // 1. The notice: from the warning to the pods running elsewhere and the instance gone, under two minutes.
  const first = live()[0]!;
  const sent = Date.now();
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: interruption(first) }));
  await gone(first.metadata.name);
  await waitFor("6 pods Running elsewhere", async () => runningCount() === 6 || undefined, 180000);
  const took = Date.now() - sent;
  console.log(`[e2e figures] chaos interruption: cordoned, drained, replaced and running in ${(took / 1000).toFixed(0)} s (notice: 120 s)`);
  expect(took).toBeLessThan(120000);
  expect((await poolInstances(POOL)).map(i => i.InstanceId)).not.toContain(idOf(first));

  // 2. A warning that arrives as the watcher is killed is still acted on once it is back.
  const second = live()[0]!;
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: interruption(second) }));
  await killWatcherAfter(0, "interruption message on the queue");
  await gone(second.metadata.name);
  expect((await poolInstances(POOL)).map(i => i.InstanceId)).not.toContain(idOf(second));
  await waitFor("the queue drained (malformed messages deleted too)", async () => {
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
    return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) === 0 || undefined;
  }, 120000);
  await converged(6);
}, 600000);

test("[slow] a 60 s apiserver brownout and an apiserver restart: the watcher is not killed, no NodeClaim is falsely deleted, provisioning resumes", async () => {
  const restartsBefore = watcherRestarts();
  // No voluntary disruption meanwhile (budget 0): any NodeClaim that disappears was acted on from a stale cache.
  const budgets = (nodes: string) => kubectl(["patch", "nodepool", POOL, "--type=merge", "-p", JSON.stringify({ spec: { disruption: { budgets: [{ nodes }] } } })]);
  budgets("0");
  const names = claims().filter(c => !c.metadata.deletionTimestamp).map(c => c.metadata.name).sort();
  const api = apiserver();
  await api.brownout(60000);
  await api.restart();
  // Watches were cut by the restart: the state must relist, keep every NodeClaim and act on new pods.
  await sleep(15000);
  for (const n of names) expect(claims().map(c => c.metadata.name)).toContain(n);
  budgets("100%");
  scale(12);
  await converged(12);
  expect(watcherRestarts()).toBe(restartsBefore);
}, 900000);

test("scale to 0: every instance of the pool is terminated; the foreign cluster's instance is left alone", async () => {
  scale(0);
  await waitFor("every NodeClaim of the pool removed", async () => claims().length === 0 || undefined, 240000);
  await waitFor("no instance of the pool running", async () => (await poolInstances(POOL)).length === 0 || undefined, 120000);
  expect(await instanceState(foreign)).toBe("running");
}, 420000);

/** Restarts of the watcher pod (artefact mode), or of the dev module process; -1 when unknown. */
function watcherRestarts(): number {
  const art = e2e.module.artefact;
  if (art) return art.pods.filter(p => p.name.includes("-watcher-")).reduce((s, p) => s + p.restarts, 0);
  return e2e.module.child?.exitCode === null ? 0 : -1;
}
