// Acceptance for the sandbox node agent against the real apiserver + moto: the user data of the launch
// template decides whether and how a node joins, as nodeadm + the kubelet decide on a real instance.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EC2Client, CreateLaunchTemplateCommand, RunInstancesCommand, TerminateInstancesCommand, DescribeSubnetsCommand, DescribeInstancesCommand,
} from "@aws-sdk/client-ec2";
import { SSMClient, GetParameterCommand } from "@aws-sdk/client-ssm";
import { EKSClient, DescribeClusterCommand } from "@aws-sdk/client-eks";
import { KubeConfig, CoreV1Api, V1Node } from "@kubernetes/client-node";
import { NodeAgent } from "../../../sandbox/nodeAgent";
import { generatePki } from "../../../sandbox/certs";
import { parseQuantity } from "../../../sandbox/kubelet";

/** A Node's resources as numbers (the apiserver canonicalises quantities: 7968768Ki reads back as 7782Mi). */
const amounts = (r: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, parseQuantity(v, k)]));

const CLUSTER = `agent-it-${Date.now().toString(36)}`; // its own instances only: other files launch in parallel
const SANDBOX = process.env.CLUSTER_NAME ?? "capsicum-sandbox";
const ec2 = new EC2Client({});
const kc = new KubeConfig();
kc.loadFromDefault();
const core = kc.makeApiClient(CoreV1Api);
let agent: NodeAgent;
let ami: string;
let subnet: string;
let ca: string;
let endpoint: string;
const launched: string[] = [];

const mime = (...nodeConfigs: string[]) =>
  ["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="//"', "",
    ...nodeConfigs.flatMap(nc => ["--//", "Content-Type: application/node.eks.aws", "", nc, ""]), "--//--", ""].join("\n");

function nodeConfig(cluster: Partial<Record<"name" | "apiServerEndpoint" | "certificateAuthority" | "cidr", string>>, kubelet = ""): string {
  const c = Object.entries(cluster).map(([k, v]) => `    ${k}: ${v}`).join("\n");
  return `apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n${c}\n${kubelet}`;
}
const good = () => ({ name: CLUSTER, apiServerEndpoint: endpoint, certificateAuthority: ca, cidr: "10.96.0.0/16" });

async function launch(userData: string, instanceType = "m5.large"): Promise<string> {
  const name = `agent-it-${launched.length}-${Date.now().toString(36)}`;
  await ec2.send(new CreateLaunchTemplateCommand({
    LaunchTemplateName: name,
    LaunchTemplateData: { ImageId: ami, UserData: Buffer.from(userData).toString("base64") },
  }));
  const out = await ec2.send(new RunInstancesCommand({
    MinCount: 1, MaxCount: 1, InstanceType: instanceType as never, SubnetId: subnet,
    LaunchTemplate: { LaunchTemplateName: name, Version: "$Latest" },
    TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: `kubernetes.io/cluster/${CLUSTER}`, Value: "owned" }] }],
  }));
  const id = out.Instances![0]!.InstanceId!;
  launched.push(id);
  return id;
}

async function bootOf(id: string) {
  for (let i = 0; i < 20 && !agent.outcome(id); i++) await agent.syncOnce();
  return agent.outcome(id);
}

async function nodeOf(id: string): Promise<V1Node | undefined> {
  return (await core.listNode()).items.find(n => n.spec?.providerID?.endsWith(`/${id}`));
}

beforeAll(async () => {
  // What the bootstrap would be given: the EKS cluster's endpoint and CA, as eks:DescribeCluster reports them.
  const cluster = (await new EKSClient({}).send(new DescribeClusterCommand({ name: SANDBOX }))).cluster!;
  endpoint = cluster.endpoint!;
  ca = cluster.certificateAuthority!.data!;
  ami = (await new SSMClient({}).send(new GetParameterCommand({
    Name: "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id",
  }))).Parameter!.Value!;
  subnet = (await ec2.send(new DescribeSubnetsCommand({
    Filters: [{ Name: "tag:karpenter.sh/discovery", Values: [SANDBOX] }],
  }))).Subnets![0]!.SubnetId!;
  agent = new NodeAgent({ clusterName: CLUSTER, apiServerEndpoint: process.env.SANDBOX_APISERVER!, bootDelayMs: 0, extendedResourcesAfterMs: 1500 });
}, 60000);

afterAll(async () => {
  if (launched.length) await ec2.send(new TerminateInstancesCommand({ InstanceIds: launched }));
  await agent?.syncOnce(); // deletes the Nodes of terminated instances
});

test("the sandbox EKS cluster describes the sandbox apiserver", async () => {
  const cluster = (await new EKSClient({}).send(new DescribeClusterCommand({ name: SANDBOX }))).cluster!;
  expect(cluster.endpoint).toBe(process.env.SANDBOX_APISERVER);
  expect(cluster.kubernetesNetworkConfig?.serviceIpv4Cidr).toBe("10.96.0.0/16");
  expect(cluster.version).toMatch(/^1\.\d+$/);
  expect(Buffer.from(cluster.certificateAuthority!.data!, "base64").toString()).toContain("BEGIN CERTIFICATE");
});

test.each([
  ["certificateAuthority", "Certificate authority is missing in cluster configuration"],
  ["cidr", "CIDR is missing in cluster configuration"],
  ["apiServerEndpoint", "Apiserver endpoint is missing in cluster configuration"],
])("a NodeConfig without %s never joins; the agent log names the missing field", async (field, words) => {
  const cluster: Record<string, string> = good();
  delete cluster[field];
  const id = await launch(mime(nodeConfig(cluster)));
  expect(await bootOf(id)).toEqual({ joined: false, component: "nodeadm", reason: `Command failed: ${words}` });
  expect(agent.logOf(id)).toContain(words);
  await agent.syncOnce();
  expect(await nodeOf(id)).toBeUndefined();
});

test("a restricted --node-labels entry never joins (the kubelet refuses to start)", async () => {
  const id = await launch(mime(nodeConfig(good(), "  kubelet:\n    flags:\n      - --node-labels=karpenter.sh/nodepool=default,node-role.kubernetes.io/worker=true\n")));
  const o = await bootOf(id);
  expect(o?.joined).toBe(false);
  expect(agent.logOf(id)).toContain(
    "kubelet: failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/worker]",
  );
  expect(await nodeOf(id)).toBeUndefined();
});

test("a CA that does not verify the apiserver, or another endpoint, never joins", async () => {
  const other = generatePki(mkdtempSync(join(tmpdir(), "capsicum-other-ca-")));
  const wrongCa = await launch(mime(nodeConfig({ ...good(), certificateAuthority: readFileSync(other.caCrt).toString("base64") })));
  expect(await bootOf(wrongCa)).toMatchObject({ joined: false, component: "kubelet" });
  expect(agent.logOf(wrongCa)).toContain("x509: certificate signed by unknown authority");
  const wrongEndpoint = await launch(mime(nodeConfig({ ...good(), apiServerEndpoint: "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com" })));
  expect(await bootOf(wrongEndpoint)).toMatchObject({ joined: false, component: "kubelet" });
  expect(agent.logOf(wrongEndpoint)).toContain("lookup abcdef.gr7.us-east-1.eks.amazonaws.com: no such host");
  expect(await nodeOf(wrongCa)).toBeUndefined();
  expect(await nodeOf(wrongEndpoint)).toBeUndefined();
});

test("a good NodeConfig joins with exactly its labels, the registerWithTaints taints and allocatable from its kubelet config", async () => {
  const user = nodeConfig({ name: "overridden-below" }, "  kubelet:\n    flags:\n      - --node-labels=team=payments\n");
  const karpenter = nodeConfig(good(), [
    "  kubelet:",
    "    config:",
    "      maxPods: 20",
    "      kubeReserved: {cpu: 100m, memory: 300Mi, ephemeral-storage: 2Gi}",
    "      systemReserved: {cpu: 50m, memory: 100Mi}",
    "      evictionHard: {memory.available: 200Mi, nodefs.available: 15%}",
    "      registerWithTaints:",
    "        - {key: karpenter.sh/unregistered, effect: NoExecute}",
    "        - {key: dedicated, value: payments, effect: NoSchedule}",
    "    flags:",
    "      - --node-labels=karpenter.sh/nodepool=default,karpenter.sh/capacity-type=on-demand",
    "",
  ].join("\n"));
  const id = await launch(mime(user, karpenter));
  expect(await bootOf(id)).toMatchObject({ joined: true });
  const node = (await nodeOf(id))!;
  // node.kubernetes.io/not-ready is the node lifecycle controller's until KWOK reports the node Ready.
  const registeredTaints = (n: V1Node) => (n.spec?.taints ?? []).filter(t => !t.key.startsWith("node.kubernetes.io/")).map(t => ({ ...t }));
  expect(registeredTaints(node)).toEqual([
    { key: "karpenter.sh/unregistered", effect: "NoExecute" },
    { key: "dedicated", value: "payments", effect: "NoSchedule" },
  ]);
  const zone = node.metadata!.labels!["topology.kubernetes.io/zone"]!;
  // The controller-manager's node lifecycle controller adds beta.kubernetes.io/{os,arch} a moment later, as on
  // a real cluster: what the kubelet registered is everything else.
  const registered = Object.fromEntries(Object.entries(node.metadata!.labels!).filter(([k]) => !k.startsWith("beta.kubernetes.io/")));
  expect(registered).toEqual({
    "kubernetes.io/hostname": node.metadata!.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
    "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": zone,
    "topology.kubernetes.io/region": zone.slice(0, -1),
    team: "payments", "karpenter.sh/nodepool": "default", "karpenter.sh/capacity-type": "on-demand",
  });
  // m5.large from DescribeInstanceTypes: 2 vCPU, 8192 MiB (5 % kept by the kernel), 20 GiB root volume.
  const Mi = 2 ** 20, memMi = Math.floor(8192 * 0.95);
  const capacity = amounts(node.status?.capacity), allocatable = amounts(node.status?.allocatable);
  expect(capacity).toMatchObject({ cpu: 2, memory: memMi * Mi, pods: 20 });
  expect(allocatable).toMatchObject({ cpu: 1.85, memory: (memMi - 300 - 100 - 200) * Mi, pods: 20 });
  const disk = capacity["ephemeral-storage"]!;
  expect(disk).toBeGreaterThanOrEqual(8 * 2 ** 30);
  expect(allocatable["ephemeral-storage"]).toBe(Math.floor(disk - 2 * 2 ** 30 - disk * 0.15));
  expect(node.status?.allocatable?.["vpc.amazonaws.com/pod-eni"]).toBeUndefined();
  // The VPC resource controller advertises pod ENIs a little later; the agent never touches the taints.
  await new Promise(r => setTimeout(r, 1600));
  await agent.syncOnce();
  const later = (await nodeOf(id))!;
  expect(later.status?.allocatable?.["vpc.amazonaws.com/pod-eni"]).toBe("9");
  expect(registeredTaints(later)).toEqual(registeredTaints(node));
});

test("a new instance whose node name (from its private IP) is still held by a terminated instance's Node registers only once that Node is gone", async () => {
  const first = await launch(mime(nodeConfig(good())));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first] }));
  const second = await launch(mime(nodeConfig(good())));
  const inst = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [second] }))).Reservations![0]!.Instances![0]!;
  const name = inst.PrivateDnsName || `ip-${inst.PrivateIpAddress!.replace(/\./g, "-")}.ec2.internal`;
  // EC2 reuses private IPs: the terminated instance had this one, and its Node lingers while a finalizer runs.
  const firstPid = `aws:///${inst.Placement!.AvailabilityZone}/${first}`;
  await core.createNode({ body: { metadata: { name, finalizers: ["capsicum.test/hold"] }, spec: { providerID: firstPid } } });
  await agent.syncOnce(); // deletes the terminated instance's Node (held by its finalizer); the new one must wait
  await agent.syncOnce();
  expect(await nodeOf(second)).toBeUndefined();
  expect((await core.readNode({ name })).spec?.providerID).toBe(firstPid);
  expect(agent.logOf(second)).toMatch(/the name is held by the Node of .*\/i-/);
  const held = await core.readNode({ name });
  await core.replaceNode({ name, body: { ...held, metadata: { ...held.metadata, finalizers: [] } } });
  for (let i = 0; i < 20 && !(await nodeOf(second)); i++) await agent.syncOnce();
  const fresh = (await nodeOf(second))!;
  expect(fresh.metadata!.name).toBe(name);
  await agent.syncOnce(); // the terminated instance is still listed: nothing of it may take the new Node
  expect((await nodeOf(second))?.metadata?.uid).toBe(fresh.metadata!.uid);
}, 120000);
