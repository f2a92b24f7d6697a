// Issue: node removal on the sandbox — emptiness, consolidation (cheaper fleet, PDBs respected,
// do-not-disrupt honoured), drift within budgets, and SQS spot-interruption handling.
import { SQSClient, SendMessageCommand, GetQueueUrlCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { join } from "node:path";
import type { InstanceType } from "../../src/cloudprovider/aws/catalog";
import { startE2E, cleanup, E2EEnv, kubectl, getJSON, waitFor, root, sleep } from "./support";
import { clusterInstances, regionCatalog } from "./aws";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const CLUSTER = process.env.CLUSTER_NAME ?? "capsicum-sandbox";
const NS = "disrupt-e2e";
let e2e: E2EEnv;

const claims = (pool = "disrupt"): Obj[] => getJSON(["get", "nodeclaims", "-l", `karpenter.sh/nodepool=${pool}`]).items;
const pods = (app: string): Obj[] => getJSON(["get", "pods", "-n", NS, "-l", `app=${app}`]).items;
const runningCount = (app: string) => pods(app).filter(p => p.status?.phase === "Running" && !p.metadata.deletionTimestamp).length;

// Priced in the sandbox's region (set in beforeAll): a launched NodeClaim whose offering is unknown fails the
// test instead of counting as free; one not launched yet (no type/zone labels) costs nothing yet.
let catalog = new Map<string, InstanceType>();
function fleetPrice(cs: Obj[]): number {
  return cs.reduce((sum, c) => {
    const l = c.metadata.labels;
    if (!l["node.kubernetes.io/instance-type"] || !l["topology.kubernetes.io/zone"]) return sum;
    const it = catalog.get(l["node.kubernetes.io/instance-type"]);
    const off = it?.offerings.find(o => o.zone === l["topology.kubernetes.io/zone"] && o.capacityType === l["karpenter.sh/capacity-type"]);
    if (!off) throw new Error(`NodeClaim ${c.metadata.name}: no offering ${l["node.kubernetes.io/instance-type"]}/${l["topology.kubernetes.io/zone"]}/${l["karpenter.sh/capacity-type"]} in the region's catalog`);
    return sum + off.price;
  }, 0);
}

function nodePool(extra: { labels?: Record<string, string>; budgets?: Obj[] } = {}): string {
  return JSON.stringify({
    apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "disrupt" },
    spec: {
      template: {
        metadata: { labels: { "e2e/pool": "disrupt", ...(extra.labels ?? {}) } },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          requirements: [
            { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
            { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
            { key: "karpenter.k8s.aws/instance-cpu", operator: "In", values: ["2", "4", "8"] },
          ],
          taints: [{ key: "e2e/disrupt", effect: "NoSchedule" }],
        },
      },
      disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "5s", budgets: extra.budgets ?? [{ nodes: "100%" }] },
    },
  });
}

function deployment(name: string, replicas: number, cpu: string, extra: { annotations?: Record<string, string> } = {}): string {
  return JSON.stringify({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: NS },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: extra.annotations ?? {} },
        spec: {
          nodeSelector: { "e2e/pool": "disrupt" },
          tolerations: [{ key: "e2e/disrupt", operator: "Exists", effect: "NoSchedule" }],
          terminationGracePeriodSeconds: 0,
          containers: [{ name: "pause", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu } } }],
        },
      },
    },
  });
}

async function settle(app: string, replicas: number, timeout = 240000): Promise<void> {
  await waitFor(`${replicas} ${app} pods Running`, async () => runningCount(app) === replicas || undefined, timeout);
}

beforeAll(async () => {
  e2e = await startE2E({ BATCH_IDLE_DURATION: "1s", BATCH_MAX_DURATION: "5s", DISRUPTION_POLL_INTERVAL: "2s", CONSOLIDATION_VALIDATION_DELAY: "2s" });
  catalog = await regionCatalog();
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
  kubectl(["apply", "-f", "-"], nodePool());
}, 300000);

afterAll(async () => {
  try {
    await cleanup(NS, ["disrupt"]);
  } finally {
    await e2e?.stop();
  }
}, 300000);

test("[regions] inflate 10 → 0: empty nodes are removed after consolidateAfter and their instances terminated", async () => {
  kubectl(["apply", "-f", "-"], deployment("empty", 10, "500m"));
  await settle("empty", 10);
  // Karpenter's NodeClaim status as users read it: the pods' binding as lastPodEventTime, then Consolidatable
  // once consolidateAfter (5s) has passed.
  const marked = await waitFor("a NodeClaim with lastPodEventTime and Consolidatable=True", async () =>
    claims().find(c => c.status?.lastPodEventTime && c.status.conditions?.some((x: Obj) => x.type === "Consolidatable" && x.status === "True")), 60000);
  expect(Date.parse(marked.status.lastPodEventTime)).toBeGreaterThanOrEqual(Date.parse(marked.metadata.creationTimestamp));
  const ids = claims().map(c => c.status.providerID.split("/").pop());
  expect(ids.length).toBeGreaterThan(0);
  kubectl(["scale", "deployment", "empty", "-n", NS, "--replicas=0"]);
  await waitFor("every disrupt NodeClaim removed", async () => claims().length === 0 || undefined, 180000);
  const live = (await clusterInstances(CLUSTER)).map(i => i.InstanceId);
  for (const id of ids) expect(live).not.toContain(id);
  kubectl(["delete", "deployment", "empty", "-n", NS]);
}, 420000);

test("[regions] 30 pods → 5: the fleet consolidates to a strictly cheaper one with the 5 pods running throughout, PDB never violated", async () => {
  kubectl(["apply", "-f", "-"], deployment("web", 30, "500m"));
  kubectl(["apply", "-f", "-"], deployment("guarded", 6, "250m"));
  kubectl(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "guarded", namespace: NS },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: "guarded" } } },
  }));
  await settle("web", 30);
  await settle("guarded", 6);
  const before = fleetPrice(claims());
  kubectl(["scale", "deployment", "web", "-n", NS, "--replicas=5"]);
  await settle("web", 5, 60000);
  let worstGuarded = 6, worstWeb = 5;
  const deadline = Date.now() + 240000;
  let after = before;
  let stableSince = Date.now();
  let lastNames = "";
  while (Date.now() < deadline) {
    worstGuarded = Math.min(worstGuarded, runningCount("guarded"));
    worstWeb = Math.min(worstWeb, runningCount("web"));
    const cs = claims();
    const names = cs.map(c => c.metadata.name).sort().join(",");
    if (names !== lastNames) { lastNames = names; stableSince = Date.now(); }
    after = fleetPrice(cs.filter(c => !c.metadata.deletionTimestamp));
    if (after < before && Date.now() - stableSince > 30000) break;
    await sleep(500);
  }
  console.log(`[e2e figures] consolidation: fleet $${before.toFixed(4)}/h → $${after.toFixed(4)}/h; min running web=${worstWeb}/5, guarded=${worstGuarded}/6`);
  expect(after).toBeLessThan(before);
  // maxUnavailable: 1 → at least 5 of 6 guarded pods are always running.
  expect(worstGuarded).toBeGreaterThanOrEqual(5);
  await settle("web", 5, 120000);
  await settle("guarded", 6, 120000);
}, 600000);

test("a pod annotated karpenter.sh/do-not-disrupt keeps its node", async () => {
  kubectl(["apply", "-f", "-"], deployment("precious", 1, "100m", { annotations: { "karpenter.sh/do-not-disrupt": "true" } }));
  await settle("precious", 1);
  const node = pods("precious")[0].spec.nodeName;
  kubectl(["scale", "deployment", "web", "-n", NS, "--replicas=0"]);
  kubectl(["scale", "deployment", "guarded", "-n", NS, "--replicas=0"]);
  await sleep(30000); // several consolidation passes with consolidateAfter 5s
  const p = pods("precious")[0];
  expect(p.spec.nodeName).toBe(node);
  expect(getJSON(["get", "nodes"]).items.map((n: Obj) => n.metadata.name)).toContain(node);
  kubectl(["delete", "deployment", "precious", "-n", NS]);
}, 120000);

test("changing template labels marks NodeClaims Drifted and rolls them one at a time (budget nodes: 1)", async () => {
  kubectl(["apply", "-f", "-"], nodePool({ budgets: [{ nodes: "1" }] }));
  // 20 × 500m = 10 vCPU: more than the largest allowed type (8 vCPU), so the fleet has at least two nodes to roll.
  kubectl(["scale", "deployment", "web", "-n", NS, "--replicas=20"]);
  await settle("web", 20);
  const original = new Set(claims().map(c => c.metadata.name));
  expect(original.size).toBeGreaterThanOrEqual(2);
  kubectl(["apply", "-f", "-"], nodePool({ labels: { "e2e/rev": "2" }, budgets: [{ nodes: "1" }] }));
  await waitFor("a Drifted NodeClaim", async () =>
    claims().some(c => c.status?.conditions?.some((x: Obj) => x.type === "Drifted" && x.status === "True")) || undefined, 90000);
  let maxDisrupting = 0;
  await waitFor("every original NodeClaim replaced", async () => {
    const cs = claims();
    maxDisrupting = Math.max(maxDisrupting, cs.filter(c => original.has(c.metadata.name) && c.metadata.deletionTimestamp).length);
    return !cs.some(c => original.has(c.metadata.name)) || undefined;
  }, 480000);
  expect(maxDisrupting).toBeLessThanOrEqual(1);
  for (const c of claims()) expect(c.metadata.labels["e2e/rev"]).toBe("2");
  await settle("web", 20);
}, 600000);

test("a spot interruption warning on the SQS queue replaces the node, drains and terminates it, and deletes the message", async () => {
  const target = claims()[0];
  const instanceId = target.status.providerID.split("/").pop();
  const sqs = new SQSClient({});
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: CLUSTER }));
  await sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: JSON.stringify({
      version: "0", id: "e2e-1", "detail-type": "EC2 Spot Instance Interruption Warning", source: "aws.ec2",
      account: "123456789012", time: new Date().toISOString(), region: process.env.SANDBOX_REGION ?? "us-east-1",
      resources: [`arn:aws:ec2:${process.env.SANDBOX_REGION ?? "us-east-1"}:123456789012:instance/${instanceId}`],
      detail: { "instance-id": instanceId, "instance-action": "terminate" },
    }),
  }));
  await waitFor("interrupted NodeClaim gone", async () => !claims().some(c => c.metadata.name === target.metadata.name) || undefined, 180000);
  expect((await clusterInstances(CLUSTER)).map(i => i.InstanceId)).not.toContain(instanceId);
  await settle("web", 20);
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
  expect(Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)).toBe(0);
}, 300000);
