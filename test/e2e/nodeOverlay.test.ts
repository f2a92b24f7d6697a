// NodeOverlay (Karpenter's NodeOverlay gate, karpenter.sh/v1alpha1) in the running controller on the sandbox: a
// price overlay changes the instance type launched in EC2, a capacity overlay makes a pod requesting an extended
// resource schedulable and the launched NodeClaim reports that capacity, and each overlay's status says whether it
// is applied (two same-weight overlays pricing the same type: the one evaluated second is a Conflict, as in
// Karpenter's nodeoverlay controller, which evaluates equal weights in reverse name order).
import { join } from "node:path";
import { startE2E, cleanup, E2EEnv, kubectl, kubectlResult, getJSON, waitFor, root, sleep } from "./support";
import { clusterInstances, regionCatalog, tag } from "./aws";
import { manifests, nodePool } from "./manifests";

const CLUSTER = process.env.CLUSTER_NAME ?? "capsicum-sandbox";
const NS = "overlay-e2e";
const POOL = "overlay";
const IT = "node.kubernetes.io/instance-type";
const WIDGET = "example.com/widget";
const OVERLAYS = ["surcharge", "widgets", "b-first", "a-second"];
let e2e: E2EEnv;
// The pool's two on-demand types: `cheap` is the one EC2 (and capsicum without overlays) would launch.
let cheap: string;
let dear: string;

type Obj = any;
const claims = (): Obj[] => getJSON(["get", "nodeclaims", "-l", `karpenter.sh/nodepool=${POOL}`]).items;
const cond = (o: Obj, type: string): Obj => (o?.status?.conditions ?? []).find((c: Obj) => c.type === type);
const overlay = (name: string, spec: Obj): Obj => ({
  apiVersion: "karpenter.sh/v1alpha1",
  kind: "NodeOverlay",
  metadata: { name },
  spec,
});
const pod = (name: string, requests: Record<string, string>): Obj => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: NS, labels: { app: name } },
  spec: {
    nodeSelector: { "karpenter.sh/nodepool": POOL },
    containers: [{ name: "pause", image: "registry.k8s.io/pause:3.10", resources: { requests, limits: requests } }],
  },
});
const apply = (...objs: Obj[]) => kubectl(["apply", "-f", "-"], manifests(...objs));

/** Waits until the overlay's ValidationSucceeded condition is written for its current generation. */
async function validation(name: string): Promise<{ v: Obj; ready: Obj }> {
  return waitFor(
    `NodeOverlay ${name} evaluated`,
    async () => {
      const o = getJSON(["get", "nodeoverlay", name]);
      const v = cond(o, "ValidationSucceeded");
      return v && v.observedGeneration === o.metadata.generation ? { v, ready: cond(o, "Ready") } : undefined;
    },
    60000,
  );
}

/** The launched NodeClaim (providerID set) whose Node the given pod was nominated to, or the only new one. */
async function launchedClaim(before: Set<string>, what: string): Promise<Obj> {
  return waitFor(
    what,
    async () => claims().find((c) => !before.has(c.metadata.name) && c.status?.providerID && c.metadata.labels?.[IT]),
    180000,
  );
}

beforeAll(async () => {
  const catalog = await regionCatalog();
  const onDemand = (t: string) =>
    Math.min(
      ...catalog
        .get(t)!
        .offerings.filter((o) => o.capacityType === "on-demand")
        .map((o) => o.price),
    );
  [cheap, dear] = ["c5.large", "m5.large"].sort((a, b) => onDemand(a) - onDemand(b)) as [string, string];
  expect(onDemand(cheap)).toBeLessThan(onDemand(dear));
  // A +1000% surcharge makes `cheap` dearer than `dear`: the test below can only pass through the overlay.
  expect(onDemand(cheap) * 11).toBeGreaterThan(onDemand(dear));

  e2e = await startE2E({ FEATURE_GATES: "NodeOverlay=true" });
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", join(root, "examples/ec2nodeclass.yaml")]);
  const pool = nodePool(POOL, {
    // No consolidation while the tests count NodeClaims (Karpenter's own switch: a zero budget).
    spec: { disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "1h", budgets: [{ nodes: "0" }] } },
  });
  pool.spec.template.spec.requirements.push({ key: IT, operator: "In", values: [cheap, dear] });
  apply(pool);
}, 300000);

afterAll(async () => {
  try {
    kubectlResult(["delete", "nodeoverlay", ...OVERLAYS, "--ignore-not-found"]);
    await cleanup(NS, [POOL]);
  } finally {
    await e2e?.stop();
  }
}, 300000);

test("a price overlay on the cheaper type makes the NodeClaim launch the other one in EC2", async () => {
  apply(
    overlay("surcharge", { requirements: [{ key: IT, operator: "In", values: [cheap] }], priceAdjustment: "+1000%" }),
  );
  const { v, ready } = await validation("surcharge");
  expect([v.status, ready.status]).toEqual(["True", "True"]);

  apply(pod("priced", { cpu: "500m", memory: "256Mi" }));
  const nc = await launchedClaim(new Set(), "the priced pod's NodeClaim launched");
  expect(nc.metadata.labels[IT]).toBe(dear);
  // Both types fit the pod; the NodeClaim's options are in overlaid price order.
  const options: string[] = nc.spec.requirements.find((r: Obj) => r.key === IT).values;
  expect(new Set(options)).toEqual(new Set([cheap, dear]));
  const instance = (await clusterInstances(CLUSTER)).find((i) => tag(i, "karpenter.sh/nodeclaim") === nc.metadata.name);
  expect(instance?.InstanceType).toBe(dear);
  expect(instance?.InstanceLifecycle).toBeUndefined(); // on-demand
  await waitFor(
    "the priced pod Running on it",
    async () => {
      const p = getJSON(["get", "pod", "priced", "-n", NS]);
      const node = getJSON(["get", "nodeclaim", nc.metadata.name]).status?.nodeName;
      return (p.status?.phase === "Running" && node && p.spec.nodeName === node) || undefined;
    },
    120000,
  );
}, 400000);

test("a capacity overlay makes a pod requesting an extended resource schedulable; the NodeClaim reports the capacity", async () => {
  const before = new Set(claims().map((c) => c.metadata.name));
  apply(pod("widget", { cpu: "250m", memory: "128Mi", [WIDGET]: "1" }));
  // No instance type offers example.com/widget: capsicum says why and launches nothing.
  const ev = await waitFor(
    "capsicum's FailedScheduling event for the widget pod",
    async () =>
      getJSON(["get", "events", "-n", NS, "--field-selector", "involvedObject.name=widget"]).items.find(
        (e: Obj) => e.reason === "FailedScheduling" && /^Failed to schedule pod/.test(e.message),
      ),
    60000,
  );
  expect(ev.message).toMatch(/example\.com\/widget/);
  await sleep(5000);
  expect(claims().filter((c) => !before.has(c.metadata.name))).toHaveLength(0);

  apply(
    overlay("widgets", {
      requirements: [{ key: IT, operator: "In", values: [cheap, dear] }],
      capacity: { [WIDGET]: "4" },
    }),
  );
  const { v, ready } = await validation("widgets");
  expect([v.status, ready.status]).toEqual(["True", "True"]);
  const nc = await launchedClaim(before, "the widget pod's NodeClaim launched");
  expect(nc.status.capacity[WIDGET]).toBe("4");
  expect(nc.status.allocatable[WIDGET]).toBe("4");
  const instance = (await clusterInstances(CLUSTER)).find((i) => tag(i, "karpenter.sh/nodeclaim") === nc.metadata.name);
  expect(instance?.InstanceType).toBe(nc.metadata.labels[IT]);
  // The node registers without the resource (no device plugin advertises it in the sandbox): the NodeClaim's
  // overlaid capacity still holds the pod, so capsicum launches no second node for it.
  await sleep(15000);
  expect(
    claims()
      .filter((c) => !before.has(c.metadata.name))
      .map((c) => c.metadata.name),
  ).toEqual([nc.metadata.name]);
}, 400000);

test("two same-weight overlays pricing the same type: one is a Conflict and not applied; the others stay applied", async () => {
  apply(
    // Equal weight: Karpenter evaluates the later name first, so b-first is applied and a-second conflicts with it.
    overlay("b-first", { weight: 7, requirements: [{ key: IT, operator: "In", values: [cheap] }], price: "5" }),
    overlay("a-second", { weight: 7, requirements: [{ key: IT, operator: "In", values: [cheap, dear] }], price: "6" }),
  );
  const second = await validation("a-second");
  expect([second.v.status, second.v.reason]).toEqual(["False", "Conflict"]);
  expect(second.v.message).toMatch(/conflict/);
  expect([second.ready.status, second.ready.reason]).toEqual(["False", "Conflict"]);
  const first = await validation("b-first");
  expect([first.v.status, first.ready.status]).toEqual(["True", "True"]);
  for (const name of ["surcharge", "widgets"]) {
    const o = await validation(name);
    expect([name, o.v.status, o.ready.status]).toEqual([name, "True", "True"]);
  }
}, 120000);
