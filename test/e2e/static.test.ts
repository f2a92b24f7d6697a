// Static NodePools (Karpenter v1.14 spec.replicas, StaticCapacity feature gate) end to end on the sandbox: a pool
// with replicas 3 gets 3 NodeClaims, 3 moto instances and 3 Ready nodes with no pods asking for them; scaling the
// pool to 1 removes 2 NodeClaims and terminates their instances.
import { claimsOf, e2eSuite, getJSON, isReady, kubectl, waitFor } from "./support";
import { poolInstances as instancesOf } from "./chaosSupport";
import { manifests, nodePool } from "./manifests";

const NS = "static-e2e";
const POOL = "static";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const claims = (): Obj[] => claimsOf(POOL);
const liveClaims = (): Obj[] => claims().filter((c) => !c.metadata.deletionTimestamp);
const nodes = (): Obj[] => getJSON(["get", "nodes", "-l", `karpenter.sh/nodepool=${POOL}`]).items;
const poolInstances = () => instancesOf(POOL);

const MANIFESTS = manifests(
  nodePool(POOL, {
    categories: ["c", "m"],
    template: { expireAfter: "720h" },
    spec: { replicas: 3, limits: { nodes: 5 }, disruption: undefined },
  }),
);

const suite = e2eSuite({ namespace: NS, pools: [POOL], env: { FEATURE_GATES: "StaticCapacity=true" }, manifests: MANIFESTS });

test("replicas: 3 → 3 NodeClaims, 3 instances and 3 Ready nodes without any pod", async () => {
  await waitFor(
    "3 Ready static NodeClaims",
    async () => {
      const cs = liveClaims();
      return (cs.length === 3 && cs.every(isReady)) || undefined;
    },
    240000,
  );
  for (const c of liveClaims()) expect(c.metadata.name).toMatch(new RegExp(`^${POOL}-[a-z0-9]{5}$`));
  await waitFor("3 Ready nodes", async () => nodes().filter(isReady).length === 3 || undefined, 120000);
  const instances = await poolInstances();
  expect(instances).toHaveLength(3);
  for (const i of instances) expect(i.InstanceLifecycle).not.toBe("spot");
  expect(getJSON(["get", "pods", "-n", NS]).items).toHaveLength(0);
  // Steady: no extra NodeClaim appears while nothing changes.
  await new Promise((r) => setTimeout(r, 5000));
  expect(claims()).toHaveLength(3);
  expect(getJSON(["get", "nodepool", POOL]).status?.nodes).toBe(3);
}, 300000);

test("patching replicas to 1 removes 2 NodeClaims and terminates their instances", async () => {
  const before = (await poolInstances()).map((i) => i.InstanceId);
  kubectl(["patch", "nodepool", POOL, "--type=merge", "-p", JSON.stringify({ spec: { replicas: 1 } })]);
  await waitFor("1 static NodeClaim left", async () => claims().length === 1 || undefined, 240000);
  await waitFor("2 instances terminated", async () => (await poolInstances()).length === 1 || undefined, 120000);
  const left = await poolInstances();
  expect(before).toContain(left[0]!.InstanceId);
  await waitFor("1 static node left", async () => nodes().length === 1 || undefined, 120000);
  expect(
    kubectl(["get", "events", "-A", "--field-selector", `involvedObject.kind=NodePool,involvedObject.name=${POOL}`]),
  ).toMatch(/ScaledDown/);
}, 300000);
