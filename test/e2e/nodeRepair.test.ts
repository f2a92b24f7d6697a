// Node repair (Karpenter's NodeRepair gate) end to end on the sandbox: the kubelet of a node running a Deployment's
// pods stops (sandbox fault: KWOK stops simulating it and the Node reports Ready=False). Karpenter AWS's policy
// tolerates Ready=False for 30 minutes, counted from the condition's lastTransitionTime, and Karpenter has no knob
// to shorten it; so the fault reports a transition 31 minutes ago, which is what the controller reads, instead of
// a test-only duration setting. capsicum then force-deletes the NodeClaim (the pods' PDB and do-not-disrupt do not
// hold it), terminates the instance, and the pods run on a replacement node.
import { claimsOf, e2eSuite, getJSON, isReady, podsOf, waitFor } from "./support";
import { poolInstances as instancesOf } from "./chaosSupport";
import { deployment, manifests, nodePool } from "./manifests";

const NS = "repair-e2e";
const POOL = "repair";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const claims = (): Obj[] => claimsOf(POOL);
const pods = (): Obj[] => podsOf(NS, "app=repair");
const poolInstances = () => instancesOf(POOL);

const MANIFESTS =
  manifests(
    // Repair does not wait for terminationGracePeriod: the drain is forced at once.
    nodePool(POOL, { categories: ["c", "m"], template: { terminationGracePeriod: "24h" } }),
    deployment("repair", NS, { replicas: 2, pool: POOL, annotations: { "karpenter.sh/do-not-disrupt": "true" } }),
  ) +
  `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: repair
  namespace: ${NS}
spec:
  maxUnavailable: 0
  selector:
    matchLabels: { app: repair }
`;

const suite = e2eSuite({ namespace: NS, pools: [POOL], env: { FEATURE_GATES: "NodeRepair=true" }, manifests: MANIFESTS });

test("a node Ready=False for 30 minutes is replaced: its NodeClaim force-deleted, the pods Running on a new node", async () => {
  await waitFor(
    "2 repair pods Running",
    async () => {
      const ps = pods();
      return (ps.length === 2 && ps.every((p) => p.status?.phase === "Running")) || undefined;
    },
    240000,
  );
  const [before] = claims();
  expect(claims()).toHaveLength(1);
  const nodeName: string = before.status.nodeName;
  const [instance] = await poolInstances();
  expect(instance).toBeDefined();

  await suite.e2e.agent.failKubelet(nodeName, { status: "False", since: new Date(Date.now() - 31 * 60_000) });

  await waitFor(
    "the unhealthy NodeClaim gone",
    async () => !claims().some((c) => c.metadata.name === before.metadata.name) || undefined,
    180000,
  );
  expect(suite.e2e.logs()).toMatch(/"message":"deleting unhealthy node"/);
  await waitFor(
    "the instance terminated",
    async () => !(await poolInstances()).some((i) => i.InstanceId === instance!.InstanceId) || undefined,
    60000,
  );
  await waitFor(
    "the unhealthy Node gone",
    async () => !getJSON(["get", "nodes"]).items.some((n: Obj) => n.metadata.name === nodeName) || undefined,
    60000,
  );

  await waitFor(
    "a replacement NodeClaim Ready, both pods Running on it",
    async () => {
      const cs = claims();
      if (cs.length !== 1 || !isReady(cs[0]) || cs[0].metadata.name === before.metadata.name) return undefined;
      const ps = pods();
      return (
        (ps.length === 2 &&
          ps.every((p) => p.status?.phase === "Running" && p.spec.nodeName === cs[0].status.nodeName)) ||
        undefined
      );
    },
    240000,
  );
}, 600000);
