// interruption.instancestatus against the emulator's DescribeInstanceStatus (EC2's filters; impaired instances
// injected through /_capsicum/faults): the NodeClaim of our impaired instance is cordoned and deleted with the
// termination timestamp; the metric counts it once across two polls, an impaired instance that is not ours
// never; once EC2 stops reporting it (healed) it is forgotten, so a relapse counts again.
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { instanceStatus } from "../../../src/controllers/instanceStatus";
import { Kinds, type KubeObject } from "../../../src/kube/client";
import { realClock } from "../../../src/kube/clock";
import { ClusterState } from "../../../src/kube/clusterState";
import { EventRecorder } from "../../../src/kube/events";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { silentLogger } from "../../../src/log";
import { Metrics } from "../../../src/metrics";
import { motoForTests, TestMoto } from "./motoForTests";

let moto: TestMoto;
let ec2: EC2Client;

beforeAll(async () => {
  moto = await motoForTests();
  ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
}, 120000);

afterAll(async () => {
  await moto?.clearFaults();
  await moto?.stop();
});

test("an impaired instance's NodeClaim is force-terminated, counted once across polls, forgotten once healed", async () => {
  const image = (await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], MaxResults: 5 }))).Images?.[0]?.ImageId ?? "ami-12c6146b";
  const launched = await ec2.send(new RunInstancesCommand({ ImageId: image, InstanceType: "m5.large", MinCount: 2, MaxCount: 2 }));
  const [ours, foreign] = launched.Instances!.map(i => i.InstanceId!);

  const client = new MemoryKubeClient();
  const state = new ClusterState();
  client.watch((kind, obj, phase) => state.apply(kind.kind as never, obj, phase === "DELETED" ? "DELETED" : "MODIFIED"));
  state.markSynced();
  const providerID = `aws:///${moto.region}a/${ours}`;
  await client.create(Kinds.NodeClaim, {
    apiVersion: "karpenter.sh/v1", kind: "NodeClaim",
    metadata: { name: "nc-ours", labels: { "karpenter.sh/nodepool": "default" }, finalizers: ["karpenter.sh/termination"] },
    spec: {}, status: { providerID },
  } as KubeObject);
  await client.create(Kinds.Node, { apiVersion: "v1", kind: "Node", metadata: { name: "node-ours" }, spec: { providerID } } as KubeObject);
  const metrics = new Metrics();
  let disrupted = 0;
  const [controller] = instanceStatus(
    { client, state, clock: realClock, log: silentLogger(), metrics, events: new EventRecorder(client) },
    { ec2, onDisrupted: () => disrupted++ },
  );
  const poll = () => controller!.every!.run();
  const unhealthy = async (category: string) =>
    Number(new RegExp(`^karpenter_interruption_instance_status_unhealthy_total\\{category="${category}"\\} (\\d+)$`, "m").exec(await metrics.registry.metrics())?.[1] ?? 0);

  // Healthy: the filters leave every (running, ok) instance out.
  await poll();
  expect(client.objects(Kinds.NodeClaim)[0]!.metadata.deletionTimestamp).toBeUndefined();

  const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const impair = () => moto.injectFaults({ impairInstances: [
    { instanceId: ours, category: "systemStatus", impairedSince: anHourAgo },
    { instanceId: foreign, category: "instanceStatus", impairedSince: anHourAgo },
  ] });
  await impair();
  await poll();
  const nc = client.objects(Kinds.NodeClaim)[0]!;
  expect(nc.metadata.deletionTimestamp).toBeDefined();
  expect(nc.metadata.annotations?.["karpenter.sh/nodeclaim-termination-timestamp"]).toBeDefined();
  expect(client.objects(Kinds.Node)[0]!.spec.taints).toContainEqual({ key: "karpenter.sh/disrupted", effect: "NoSchedule" });
  expect(disrupted).toBe(1);
  expect(await unhealthy("SystemStatus")).toBe(1);
  expect(await unhealthy("InstanceStatus")).toBe(0); // the foreign instance has no NodeClaim

  await poll(); // still reported: not counted again, not deleted again
  expect(await unhealthy("SystemStatus")).toBe(1);
  expect(disrupted).toBe(1);

  await moto.clearFaults(); // healed: no longer reported, forgotten
  await poll();
  await impair();
  await poll();
  expect(await unhealthy("SystemStatus")).toBe(2);
  expect(await metrics.registry.metrics()).toMatch(/karpenter_nodeclaims_disrupted_total\{[^}]*reason="system_status"[^}]*\} 1/);
}, 60000);
