// Capacity reservations end to end on the sandbox, as a user meets them: an On-Demand Capacity Reservation
// (targeted, one m5.large) created in the emulator with CreateCapacityReservation, an EC2NodeClass selecting it by
// tag through capacityReservationSelectorTerms (status.capacityReservations, CapacityReservationsReady), and a
// NodePool allowing `reserved` and `on-demand`. Two pending pods that cannot share a node: one NodeClaim launches
// into the reservation (labelled reserved + the reservation's id and type; the instance in EC2 runs in it and the
// reservation has no room left), the other falls back to on-demand; a third pod, once the reservation is full,
// gets an on-demand NodeClaim too. Deleting the NodePool terminates the instances and frees the reservation's slot.
import { randomUUID } from "node:crypto";
import {
  CancelCapacityReservationCommand,
  CreateCapacityReservationCommand,
  DescribeCapacityReservationsCommand,
  DescribeInstancesCommand,
  EC2Client,
  Instance,
} from "@aws-sdk/client-ec2";
import { deployment, manifests, nodePool, sandboxNodeClass } from "./manifests";
import { startE2E, cleanup, E2EEnv, kubectl, kubectlResult, getJSON, waitFor } from "./support";

const NS = "reservations-e2e";
const POOL = "reserved";
const CLASS = "reserved";
const ZONE = (process.env.SANDBOX_ZONE_LIST ?? "us-east-1a,us-east-1b,us-east-1c").split(",")[0]!;
const TEAM = `e2e-${randomUUID().slice(0, 8)}`;
const ec2 = new EC2Client({});
let e2e: E2EEnv;
let reservationId = "";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const claims = (): Obj[] => getJSON(["get", "nodeclaims", "-l", `karpenter.sh/nodepool=${POOL}`]).items;
const isTrue = (o: Obj, type: string) =>
  (o.status?.conditions ?? []).some((c: Obj) => c.type === type && c.status === "True");
const runningPods = (): Obj[] =>
  getJSON(["get", "pods", "-n", NS, "-l", `app=${POOL}`]).items.filter((p: Obj) => p.status?.phase === "Running");

async function instanceOf(claim: Obj): Promise<Instance> {
  const id = String(claim.status.providerID).split("/").pop()!;
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations![0]!.Instances![0]!;
}

async function availableInstances(): Promise<number> {
  const out = await ec2.send(new DescribeCapacityReservationsCommand({ CapacityReservationIds: [reservationId] }));
  return out.CapacityReservations![0]!.AvailableInstanceCount!;
}

const NODE_CLASS = manifests(sandboxNodeClass(CLASS, { capacityReservationSelectorTerms: [{ tags: { team: TEAM } }] }));

/** Pods of the Deployment never share a node (required anti-affinity on the hostname), so each needs a NodeClaim. */
function spreadDeployment(replicas: number): Obj {
  const d = deployment(POOL, NS, { replicas, pool: POOL });
  d.spec.template.spec.affinity = {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: POOL } } },
      ],
    },
  };
  return d;
}

beforeAll(async () => {
  const out = await ec2.send(
    new CreateCapacityReservationCommand({
      InstanceType: "m5.large",
      InstancePlatform: "Linux/UNIX",
      AvailabilityZone: ZONE,
      InstanceCount: 1,
      InstanceMatchCriteria: "targeted",
      TagSpecifications: [{ ResourceType: "capacity-reservation", Tags: [{ Key: "team", Value: TEAM }] }],
    }),
  );
  reservationId = out.CapacityReservation!.CapacityReservationId!;
  e2e = await startE2E();
  kubectl(["create", "namespace", NS]);
  kubectl(["apply", "-f", "-"], NODE_CLASS);
  kubectl(
    ["apply", "-f", "-"],
    manifests(
      nodePool(POOL, { nodeClass: CLASS, categories: ["c", "m"], capacityTypes: ["reserved", "on-demand"] }),
      spreadDeployment(2),
    ),
  );
}, 300000);

afterAll(async () => {
  try {
    await cleanup(NS, [POOL]);
    kubectlResult(["delete", "ec2nodeclass", CLASS, "--ignore-not-found", "--wait=false"]);
    if (reservationId) await ec2.send(new CancelCapacityReservationCommand({ CapacityReservationId: reservationId }));
  } finally {
    await e2e?.stop();
  }
}, 300000);

test("the EC2NodeClass resolves the ODCR into status.capacityReservations with CapacityReservationsReady", async () => {
  const cls = await waitFor(
    "the EC2NodeClass Ready with its capacity reservation",
    async () => {
      const c = getJSON(["get", "ec2nodeclass", CLASS]);
      return isTrue(c, "Ready") && c.status?.capacityReservations?.length ? c : undefined;
    },
    60000,
  );
  expect(cls.status.capacityReservations).toEqual([
    expect.objectContaining({
      id: reservationId,
      instanceType: "m5.large",
      availabilityZone: ZONE,
      instanceMatchCriteria: "targeted",
      reservationType: "default",
      state: "active",
    }),
  ]);
  expect(cls.status.conditions).toEqual(
    expect.arrayContaining([expect.objectContaining({ type: "CapacityReservationsReady", status: "True" })]),
  );
}, 90000);

test("pending pods: one NodeClaim launches into the reservation, the next falls back to on-demand", async () => {
  const launched = await waitFor(
    "2 launched NodeClaims and 2 pods Running",
    async () => {
      const cs = claims().filter((c) => isTrue(c, "Launched"));
      return cs.length >= 2 && runningPods().length === 2 ? cs : undefined;
    },
    120000,
  );
  expect(launched).toHaveLength(2);
  const reserved = launched.filter((c: Obj) => c.metadata.labels["karpenter.sh/capacity-type"] === "reserved");
  const onDemand = launched.filter((c: Obj) => c.metadata.labels["karpenter.sh/capacity-type"] === "on-demand");
  expect(reserved).toHaveLength(1);
  expect(onDemand).toHaveLength(1);
  expect(reserved[0].metadata.labels).toMatchObject({
    "karpenter.k8s.aws/capacity-reservation-id": reservationId,
    "karpenter.k8s.aws/capacity-reservation-type": "default",
    "node.kubernetes.io/instance-type": "m5.large",
    "topology.kubernetes.io/zone": ZONE,
  });
  expect(onDemand[0].metadata.labels["karpenter.k8s.aws/capacity-reservation-id"]).toBeUndefined();

  // The Node carries the reservation labels too (synced at registration).
  const node = getJSON(["get", "node", reserved[0].status.nodeName]);
  expect(node.metadata.labels).toMatchObject({
    "karpenter.sh/capacity-type": "reserved",
    "karpenter.k8s.aws/capacity-reservation-id": reservationId,
  });

  // In EC2: the reserved instance runs in the reservation, which has no room left; the other is outside it.
  const inReservation = await instanceOf(reserved[0]);
  expect(inReservation.CapacityReservationId).toBe(reservationId);
  expect(inReservation.CapacityReservationSpecification?.CapacityReservationPreference).toBe(
    "capacity-reservations-only",
  );
  expect(await availableInstances()).toBe(0);
  expect((await instanceOf(onDemand[0])).CapacityReservationId).toBeUndefined();
}, 150000);

test("with the reservation full, a third pod's NodeClaim is on-demand", async () => {
  kubectl(["apply", "-f", "-"], manifests(spreadDeployment(3)));
  const third = await waitFor(
    "a third launched NodeClaim",
    async () => {
      const cs = claims().filter((c) => isTrue(c, "Launched"));
      return cs.length >= 3 ? cs : undefined;
    },
    90000,
  );
  const byType = third.map((c: Obj) => c.metadata.labels["karpenter.sh/capacity-type"]).sort();
  expect(byType).toEqual(["on-demand", "on-demand", "reserved"]);
  expect(await availableInstances()).toBe(0);
}, 120000);

test("deleting the NodePool terminates its instances and frees the reservation's slot", async () => {
  await cleanup(NS, [POOL]);
  await waitFor(
    "the reservation's slot free again",
    async () => (await availableInstances()) === 1 || undefined,
    60000,
  );
}, 240000);
