// Karpenter AWS's interruption.instancestatus end to end on the sandbox, with no interruption queue: the emulator
// reports a node's instance failing its system status check (since an hour, past the 2-minute threshold). Within
// a poll (a minute) capsicum force-terminates it: the NodeClaim is deleted with the termination timestamp, so
// neither the pods' PDB nor do-not-disrupt nor a 24h terminationGracePeriod holds the drain; the instance is
// terminated and the pods run on a replacement. The unhealthy instance is counted (logged) once, however many
// polls see it before it is gone.
import { claimsOf, e2eSuite, isReady, podsOf, waitFor } from "./support";
import { clearFaults, injectFaults, poolInstances as instancesOf } from "./chaosSupport";
import { deployment, manifests, nodePool } from "./manifests";

const NS = "instancestatus-e2e";
const POOL = "instancestatus";

type Obj = any;
const claims = (): Obj[] => claimsOf(POOL);
const pods = (): Obj[] => podsOf(NS, "app=impaired");
const poolInstances = () => instancesOf(POOL);

const MANIFESTS =
  manifests(
    nodePool(POOL, { categories: ["c", "m"], template: { terminationGracePeriod: "24h" } }),
    deployment("impaired", NS, { replicas: 2, pool: POOL, annotations: { "karpenter.sh/do-not-disrupt": "true" } }),
  ) +
  `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: impaired
  namespace: ${NS}
spec:
  maxUnavailable: 0
  selector:
    matchLabels: { app: impaired }
`;

const suite = e2eSuite({ namespace: NS, pools: [POOL], manifests: MANIFESTS, beforeCleanup: clearFaults });

test("an instance failing its system status check is force-terminated and replaced, counted once", async () => {
  await waitFor(
    "2 pods Running",
    async () => {
      const ps = pods();
      return (ps.length === 2 && ps.every((p) => p.status?.phase === "Running")) || undefined;
    },
    240000,
  );
  const [before] = claims();
  expect(claims()).toHaveLength(1);
  const instanceId: string = before.status.providerID.split("/").pop();

  await injectFaults({
    impairInstances: [
      { instanceId, category: "systemStatus", impairedSince: new Date(Date.now() - 3_600_000).toISOString() },
    ],
  });

  await waitFor(
    "the impaired NodeClaim gone",
    async () => !claims().some((c) => c.metadata.name === before.metadata.name) || undefined,
    180000,
  );
  await waitFor(
    "the instance terminated",
    async () => !(await poolInstances()).some((i) => i.InstanceId === instanceId) || undefined,
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
  const detected = suite.e2e
    .logs()
    .split("\n")
    .filter((l) => l.includes('"detected unhealthy instance owned by cluster"') && l.includes(instanceId));
  expect(detected).toHaveLength(1);
  expect(detected[0]).toContain('"category":"SystemStatus"');
}, 600000);
