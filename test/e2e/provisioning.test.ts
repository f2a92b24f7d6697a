// Issue: pending pods → NodeClaims → EC2 CreateFleet → registered nodes, end to end on the sandbox, with the
// module running as the built artefact (admission + watcher pods), moto as EC2 and the node agent as kubelets.
import { join } from "node:path";
import { startE2E, cleanup, E2EEnv, kubectl, getJSON, waitFor, root, sleep } from "./support";
import { clusterInstances, tag } from "./aws";
import { clearFaults, injectFaults } from "./chaosSupport";
import { parseResource } from "../../src/apis/quantity";

const CLUSTER = process.env.CLUSTER_NAME ?? "capsicum-sandbox";
// The sandbox's region and the zones that have a subnet (SANDBOX_REGION / SANDBOX_ZONES). Tests named
// "[regions]" also run in CI's second pass in eu-west-1 with two zones (npm run test:e2e:region).
const REGION = process.env.SANDBOX_REGION ?? "us-east-1";
const ZONES = (process.env.SANDBOX_ZONE_LIST ?? "us-east-1a,us-east-1b,us-east-1c").split(",");
const NS = "inflate-e2e";
let e2e: E2EEnv;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const nodeClaims = (): Obj[] => getJSON(["get", "nodeclaims"]).items;
const pods = (selector = "app=inflate"): Obj[] => getJSON(["get", "pods", "-n", NS, "-l", selector]).items;
const running = (ps: Obj[]) => ps.filter(p => p.status?.phase === "Running");

function scale(replicas: number, name = "inflate"): void {
  kubectl(["scale", "deployment", name, "-n", NS, `--replicas=${replicas}`]);
}

async function timeToRunning(replicas: number): Promise<{ toClaim: number; toRunning: number }> {
  const t0 = Date.now();
  const before = new Set(nodeClaims().map(c => c.metadata.name));
  scale(replicas);
  let toClaim = -1;
  await waitFor(`${replicas} inflate pods Running`, async () => {
    if (toClaim < 0 && nodeClaims().some(c => !before.has(c.metadata.name))) toClaim = Date.now() - t0;
    return running(pods()).length === replicas || undefined;
  }, 240000);
  return { toClaim, toRunning: Date.now() - t0 };
}

beforeAll(async () => {
  e2e = await startE2E({ BATCH_IDLE_DURATION: "1s", BATCH_MAX_DURATION: "10s" });
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
  kubectl(["apply", "-f", join(root, "examples/nodepool.yaml")]);
  // This file measures provisioning alone: a zero disruption budget (Karpenter's own switch) keeps consolidation
  // from replacing nodes while the tests count NodeClaims. test/e2e/disruption.test.ts covers disruption.
  kubectl(["patch", "nodepool", "default", "--type=merge", "-p", JSON.stringify({ spec: { disruption: { budgets: [{ nodes: "0" }] } } })]);
}, 300000);

afterAll(async () => {
  try {
    await cleanup(NS, ["default", "spread"]);
  } finally {
    await e2e?.stop();
  }
}, 300000);

test(`[regions] the EC2NodeClass from examples/ becomes Ready with ${ZONES.length} subnets, 1 security group and the AL2023 AMI`, async () => {
  const nc = await waitFor("EC2NodeClass Ready", async () => {
    const o = getJSON(["get", "ec2nodeclass", "default"]);
    return o.status?.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True") ? o : undefined;
  }, 60000);
  expect(nc.status.subnets).toHaveLength(ZONES.length);
  expect(new Set(nc.status.subnets.map((s: Obj) => s.zone))).toEqual(new Set(ZONES));
  expect(nc.status.securityGroups).toHaveLength(1);
  expect(nc.status.amis.length).toBeGreaterThanOrEqual(1);
  expect(nc.status.amis.map((a: Obj) => a.name).join(",")).toMatch(/al2023/i);
  // The NodePool follows its node class: READY=True in `kubectl get nodepools`.
  await waitFor("NodePool Ready", async () =>
    getJSON(["get", "nodepool", "default"]).status?.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True") || undefined, 30000);
  expect(kubectl(["get", "nodepool", "default", "--no-headers"])).toMatch(/^default\s+default\s+\d+\s+True/);
});

test("[regions] inflate 10 × 500m: NodeClaims launch spot instances, nodes register, all 10 pods run", async () => {
  kubectl(["apply", "-n", NS, "-f", join(root, "examples/inflate.yaml")]);
  const t = await timeToRunning(10);
  console.log(`[e2e figures] 10 pods: pending → NodeClaim created ${t.toClaim} ms; pending → all Running ${t.toRunning} ms`);
  const claims = nodeClaims();
  expect(claims.length).toBeGreaterThan(0);
  const instances = await clusterInstances(CLUSTER);
  expect(instances).toHaveLength(claims.length);
  for (const i of instances) {
    expect(i.InstanceLifecycle).toBe("spot");
    expect(tag(i, "karpenter.sh/nodepool")).toBe("default");
    expect(tag(i, "karpenter.k8s.aws/ec2nodeclass")).toBe("default");
    expect(tag(i, "eks:eks-cluster-name")).toBe(CLUSTER);
    expect(claims.map(c => c.metadata.name)).toContain(tag(i, "karpenter.sh/nodeclaim"));
  }
  // Its nodes joined: the NodePool says so as Karpenter v1.14 does.
  const np = await waitFor("NodePool NodeRegistrationHealthy=True", async () => {
    const o = getJSON(["get", "nodepool", "default"]);
    return o.status?.conditions?.some((c: Obj) => c.type === "NodeRegistrationHealthy" && c.status === "True") ? o : undefined;
  }, 30000);
  expect(np.status.nodeClassObservedGeneration).toBe(getJSON(["get", "ec2nodeclass", "default"]).metadata.generation);
  for (const c of claims) {
    expect(ZONES).toContain(c.status.providerID.split("/")[3]);
    expect(c.status.providerID).toMatch(new RegExp(`^aws:///${REGION}[a-z]/i-`));
    expect(c.status.conditions.find((x: Obj) => x.type === "Ready")?.status).toBe("True");
    expect(c.metadata.labels["karpenter.sh/capacity-type"]).toBe("spot");
  }
  const launched = e2e.logs().split("\n").filter(l => l.includes("launched nodeclaim"));
  expect(launched).toHaveLength(claims.length);
  // Each node joined the way a real one does: its kubelet registered with the user data's taints (the agent
  // adds none) and capsicum removed karpenter.sh/unregistered.
  const nodes: Obj[] = getJSON(["get", "nodes"]).items;
  for (const c of claims) {
    const node = nodes.find(n => n.spec.providerID === c.status.providerID);
    expect(node).toBeDefined();
    expect((node.spec.taints ?? []).map((t: Obj) => t.key)).not.toContain("karpenter.sh/unregistered");
    expect(e2e.agent.outcome(c.status.providerID.split("/").pop())).toMatchObject({ joined: true });
  }
}, 300000);

test("[regions] a zone topology spread lands pods in every zone of the node class, without NodeClaim churn", async () => {
  const replicas = 2 * ZONES.length;
  const before = new Set(nodeClaims().map(c => c.metadata.name));
  // Its own tainted NodePool: kube-scheduler counts spread domains over the nodes a pod may use, so spare capacity
  // the earlier tests left in some zones would satisfy maxSkew without capsicum (Karpenter acts on pending pods only).
  const pool = getJSON(["get", "nodepool", "default"]);
  kubectl(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "spread" },
    spec: {
      template: {
        metadata: { labels: { "e2e/pool": "spread" } },
        spec: { ...pool.spec.template.spec, taints: [{ key: "e2e/spread", effect: "NoSchedule" }] },
      },
      disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m", budgets: [{ nodes: "0" }] },
    },
  }));
  // 1.5 CPU each: a 4-vCPU node holds two, so the first node to register cannot take a third zone's share
  // before the other zones' nodes exist (kube-scheduler only knows the zones of registered nodes).
  kubectl(["apply", "-n", NS, "-f", "-"], JSON.stringify({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "spread" },
    spec: {
      replicas, selector: { matchLabels: { app: "spread" } },
      template: {
        metadata: { labels: { app: "spread" } },
        spec: {
          terminationGracePeriodSeconds: 0,
          nodeSelector: { "e2e/pool": "spread" },
          tolerations: [{ key: "e2e/spread", operator: "Exists", effect: "NoSchedule" }],
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "spread" } } }],
          containers: [{ name: "pause", image: "public.ecr.aws/eks-distro/kubernetes/pause:3.7", resources: { requests: { cpu: "1500m" } } }],
        },
      },
    },
  }));
  try {
    await waitFor(`${replicas} spread pods Running`, async () => running(pods("app=spread")).length === replicas || undefined, 240000);
    const nodeZone = new Map<string, string>(getJSON(["get", "nodes"]).items.map((n: Obj) => [n.metadata.name, n.metadata.labels["topology.kubernetes.io/zone"]]));
    const perZone = new Map<string, number>();
    for (const p of running(pods("app=spread"))) perZone.set(nodeZone.get(p.spec.nodeName)!, (perZone.get(nodeZone.get(p.spec.nodeName)!) ?? 0) + 1);
    expect(new Set(perZone.keys())).toEqual(new Set(ZONES));
    expect(Math.max(...perZone.values()) - Math.min(...perZone.values())).toBeLessThanOrEqual(1);
    // No churn: at most one new NodeClaim per pod, and none created after the pods run.
    const created = nodeClaims().filter(c => !before.has(c.metadata.name)).length;
    expect(created).toBeLessThanOrEqual(replicas);
    await sleep(10000);
    expect(nodeClaims().filter(c => !before.has(c.metadata.name)).length).toBe(created);
  } finally {
    // The spread pool and its NodeClaims go, so the later tests count only the default pool's.
    kubectl(["delete", "deployment", "spread", "-n", NS, "--wait=true", "--timeout=120s"]);
    kubectl(["delete", "nodepool", "spread", "--wait=false"]);
    await waitFor("the spread NodeClaims to be removed", async () =>
      nodeClaims().every(c => c.metadata.labels?.["karpenter.sh/nodepool"] !== "spread") || undefined, 180000);
  }
}, 420000);

test("scaling inflate to 30 adds capacity", async () => {
  const before = nodeClaims().length;
  await timeToRunning(30);
  expect(nodeClaims().length).toBeGreaterThan(before);
}, 300000);

test("NodePool limits stop launches at the limit and pending pods get an event saying so", async () => {
  const cpuInUse = nodeClaims().reduce((s, c) => s + parseResource("cpu", c.status?.capacity?.cpu ?? "0"), 0);
  kubectl(["patch", "nodepool", "default", "--type=merge", "-p", JSON.stringify({ spec: { limits: { cpu: `${cpuInUse}m` } } })]);
  const claimsBefore = nodeClaims().length;
  try {
    scale(60);
    await waitFor("a limit event on a pending pod", async () => {
      const ev = getJSON(["get", "events", "-n", NS, "--field-selector", "involvedObject.kind=Pod"]).items;
      return ev.some((e: Obj) => /limits exceeded/i.test(e.message)) || undefined;
    }, 90000);
    await sleep(5000);
    expect(nodeClaims().length).toBe(claimsBefore);
    expect(pods().filter(p => p.status?.phase === "Pending").length).toBeGreaterThan(0);
  } finally {
    kubectl(["patch", "nodepool", "default", "--type=merge", "-p", JSON.stringify({ spec: { limits: { cpu: "1000" } } })]);
    scale(30);
  }
}, 180000);

test("deleting a NodeClaim drains its node and terminates its instance", async () => {
  const claim = nodeClaims()[0];
  const id = claim.status.providerID.split("/").pop();
  kubectl(["delete", "nodeclaim", claim.metadata.name, "--wait=false"]);
  await waitFor("NodeClaim gone", async () => !nodeClaims().some(c => c.metadata.name === claim.metadata.name) || undefined, 120000);
  const live = await clusterInstances(CLUSTER);
  expect(live.map(i => i.InstanceId)).not.toContain(id);
  expect(getJSON(["get", "nodes"]).items.map((n: Obj) => n.spec.providerID)).not.toContain(claim.status.providerID);
  await waitFor("30 pods Running again", async () => running(pods()).length === 30 || undefined, 180000);
}, 300000);

test("killing the controller while a launch is in flight leaks nothing and duplicates nothing", async () => {
  // EC2 throttles the first CreateFleets, so the launch stays in flight for seconds rather than the ~100 ms the
  // emulator takes: the kill below always lands mid-launch instead of racing a 250 ms poll.
  await injectFaults({ throttle: [{ action: "CreateFleet", count: 6 }] });
  try {
    scale(45);
    await waitFor("a new NodeClaim without providerID (launch in flight)", async () =>
      nodeClaims().some(c => !c.status?.providerID) || undefined, 60000);
    await e2e.restart();
  } finally {
    await clearFaults();
  }
  await waitFor("45 pods Running", async () => running(pods()).length === 45 || undefined, 240000);
  const claims = nodeClaims();
  const instances = await clusterInstances(CLUSTER);
  const byClaim = new Map<string, number>();
  for (const i of instances) byClaim.set(tag(i, "karpenter.sh/nodeclaim") ?? "", (byClaim.get(tag(i, "karpenter.sh/nodeclaim") ?? "") ?? 0) + 1);
  for (const c of claims) expect(byClaim.get(c.metadata.name)).toBe(1);
  expect(instances).toHaveLength(claims.length);
}, 360000);

test("100 pods: pending → NodeClaims → Running figures", async () => {
  scale(0);
  await waitFor("inflate at 0", async () => pods().length === 0 || undefined, 60000);
  const t = await timeToRunning(100);
  console.log(`[e2e figures] 100 pods: pending → NodeClaim created ${t.toClaim} ms; pending → all Running ${t.toRunning} ms`);
  expect(running(pods())).toHaveLength(100);
}, 360000);

test("[regions] at the end no capsicum-tagged instance exists without a NodeClaim", async () => {
  const claims = new Set(nodeClaims().map(c => c.metadata.name));
  const orphans = (await clusterInstances(CLUSTER)).filter(i => !claims.has(tag(i, "karpenter.sh/nodeclaim") ?? ""));
  expect(orphans).toEqual([]);
});
