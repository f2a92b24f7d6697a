// Karpenter AWS's own examples/v1 (windows, bottlerocket, AL2 custom AMI, custom user data, instance-store RAID0,
// ...) through capsicum's AWS provider and the sandbox node agent: each EC2NodeClass resolves against the
// emulator, a NodeClaim from its NodePool launches through CreateFleet, and the instance boots the user data
// capsicum wrote as that AMI family's bootstrap would (nodeadm, bootstrap.sh, Bottlerocket TOML, PowerShell).
// The node joins with the NodeClaim's labels and Karpenter's unregistered taint, and the plan never promises more
// than the node has: the catalog's allocatable (what the scheduler packed) fits in the Node's.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import YAML from "yaml";
import { EC2Client, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { EKSClient, DescribeClusterCommand } from "@aws-sdk/client-eks";
import { KubeConfig, CoreV1Api, V1Node } from "@kubernetes/client-node";
import { AwsCloudProvider, EC2NodeClassLike } from "../../../src/cloudprovider/aws";
import type { LaunchResult, NodeClaimLike } from "../../../src/cloudprovider/types";
import { parseResource } from "../../../src/apis/quantity";
import { NodeAgent } from "../../../sandbox/nodeAgent";
import { karpenterCache } from "../../corpus/apiserver";
import { resolveSettled } from "../aws/resolveSettled";

const SANDBOX = process.env.CLUSTER_NAME ?? "capsicum-sandbox";
// The test's own cluster: its instances only (other files launch in parallel), its own EKS entry for the
// bootstrap scripts that call eks:DescribeCluster themselves.
const CLUSTER = `examples-it-${Date.now().toString(36)}`;
const core = (() => {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc.makeApiClient(CoreV1Api);
})();
const nodeClasses = new Map<string, EC2NodeClassLike>();
const launched: string[] = [];
let provider: AwsCloudProvider;
let agent: NodeAgent;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
interface Example {
  file: string;
  nodePool: Doc;
  nodeClass: Doc;
}

/** Every NodePool of examples/v1 with the EC2NodeClass it references in the same file, as a user applies them. */
function examples(): Example[] {
  const dir = join(karpenterCache(), "examples");
  if (!existsSync(dir)) throw new Error(`${dir} missing: run npm run karpenter:crds (scripts/karpenter/crds.sh)`);
  const out: Example[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    // "replace with your cluster name": the sandbox's discovery tags and node role; a user script's own
    // `bootstrap.sh my-cluster` names this test's cluster.
    const text = readFileSync(join(dir, file), "utf8")
      .replace(/\$\{CLUSTER_NAME\}/g, SANDBOX)
      .replace(/bootstrap\.sh my-cluster/g, `bootstrap.sh ${CLUSTER}`);
    const docs = YAML.parseAllDocuments(text).map((d) => d.toJS() as Doc).filter(Boolean);
    for (const np of docs.filter((d) => d.kind === "NodePool")) {
      const nc = docs.find((d) => d.kind === "EC2NodeClass" && d.metadata.name === np.spec.template.spec.nodeClassRef.name);
      if (nc) out.push({ file, nodePool: np, nodeClass: nc });
    }
  }
  return out;
}
const EXAMPLES = examples();
const byFile = (f: string) => EXAMPLES.filter((e) => e.file === f);

/** The NodeClaim Karpenter would create from the NodePool's template for one 500m pod. */
function nodeClaimFor(e: Example, classKey: string): NodeClaimLike {
  const t = e.nodePool.spec.template;
  return {
    metadata: {
      name: `${e.nodePool.metadata.name}-${randomUUID().slice(0, 8)}`,
      uid: randomUUID(),
      labels: { ...(t.metadata?.labels ?? {}), "karpenter.sh/nodepool": e.nodePool.metadata.name },
    },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: classKey },
      requirements: t.spec.requirements,
      taints: t.spec.taints,
      startupTaints: t.spec.startupTaints,
      resources: { requests: { cpu: "500m", memory: "512Mi", pods: "1" } },
    },
  } as NodeClaimLike;
}

async function launch(e: Example): Promise<{ res: LaunchResult; node?: V1Node; outcome: ReturnType<NodeAgent["outcome"]> }> {
  const key = `${e.file.replace(/\.yaml$/, "")}-${e.nodeClass.metadata.name}`;
  const nc: EC2NodeClassLike = { metadata: { name: key, generation: 1 }, spec: e.nodeClass.spec };
  const r = await resolveSettled(provider, nc);
  expect({ ready: r.ready, conditions: r.status.conditions?.filter((c) => c.status !== "True") }).toEqual({
    ready: true,
    conditions: [],
  });
  nodeClasses.set(key, { ...nc, status: r.status });
  const res = await provider.create(nodeClaimFor(e, key));
  launched.push(res.instanceID);
  for (let i = 0; i < 20 && !agent.outcome(res.instanceID); i++) await agent.syncOnce();
  const node = (await core.listNode()).items.find((n) => n.spec?.providerID === res.providerID);
  return { res, node, outcome: agent.outcome(res.instanceID) };
}

/** The Node offers at least what the plan packed (cpu, memory, ephemeral-storage) and exactly its pod slots. */
function expectPlanFitsNode(res: LaunchResult, node: V1Node): void {
  const amount = (r: Record<string, string> | undefined, k: string) => parseResource(k, r?.[k] ?? "0", k);
  for (const k of ["cpu", "memory", "ephemeral-storage"]) {
    expect({ [k]: amount(node.status?.allocatable, k) >= amount(res.allocatable, k) }).toEqual({ [k]: true });
  }
  expect(node.status?.allocatable?.pods).toBe(res.allocatable.pods);
}

beforeAll(async () => {
  const cluster = (await new EKSClient({}).send(new DescribeClusterCommand({ name: SANDBOX }))).cluster!;
  const seed = {
    name: CLUSTER,
    endpoint: cluster.endpoint!,
    certificateAuthority: cluster.certificateAuthority!.data!,
    version: cluster.version!,
    serviceIpv4Cidr: cluster.kubernetesNetworkConfig!.serviceIpv4Cidr!,
  };
  const r = await fetch(`${process.env.AWS_ENDPOINT_URL}/_capsicum/eks`, { method: "POST", body: JSON.stringify(seed) });
  expect(r.status).toBe(200);
  provider = new AwsCloudProvider({
    clusterName: CLUSTER,
    clusterEndpoint: seed.endpoint,
    clusterCABundle: seed.certificateAuthority,
    serviceCIDR: seed.serviceIpv4Cidr,
    region: process.env.AWS_REGION!,
    endpoint: process.env.AWS_ENDPOINT_URL,
    kubernetesVersion: `v${seed.version}.0`,
    nodeClassLookup: async (n) => nodeClasses.get(n),
  });
  agent = new NodeAgent({ clusterName: CLUSTER, apiServerEndpoint: process.env.SANDBOX_APISERVER!, bootDelayMs: 0, extendedResourcesAfterMs: "never" });
}, 60_000);

afterAll(async () => {
  if (launched.length) await new EC2Client({}).send(new TerminateInstancesCommand({ InstanceIds: launched }));
  await agent?.syncOnce(); // deletes the Nodes of terminated instances
});

test("the examples are there: Windows, Bottlerocket, AL2 custom AMI, custom user data, RAID0", () => {
  const files = new Set(EXAMPLES.map((e) => e.file));
  for (const f of ["windows-2022.yaml", "bottlerocket.yaml", "al2-custom-ami.yaml", "al2023-custom-userdata.yaml",
    "instance-store-ephemeral-storage.yaml", "windows-custom-userdata.yaml", "custom-family.yaml"]) {
    expect(files).toContain(f);
  }
});

// An alias pinned to a release older than the cluster's Kubernetes version (the min-values examples pin
// al2023@v20240625; the sandbox runs 1.34, whose images start in 2025) selects nothing, in EKS as here.
const pinsMissingRelease = (e: Example) =>
  (e.nodeClass.spec.amiSelectorTerms ?? []).some((t: { alias?: string }) => /@v2024/.test(t.alias ?? ""));
// Families whose user data capsicum writes: the node joins with the NodeClaim's labels and the unregistered taint.
const managed = EXAMPLES.filter((e) => e.nodeClass.spec.amiFamily !== "Custom" && !pinsMissingRelease(e));

test.each(EXAMPLES.filter(pinsMissingRelease).map((e) => [e.file, e] as const))(
  "%s: the pinned AMI release does not exist for this Kubernetes version, so the class is not Ready and nothing launches",
  async (_f, e) => {
    const nc: EC2NodeClassLike = { metadata: { name: `pinned-${e.file}` }, spec: e.nodeClass.spec };
    const r = await provider.resolveNodeClass(nc);
    expect(r.ready).toBe(false);
    expect(r.status.conditions?.find((c) => c.type === "AMIsReady")).toMatchObject({ status: "False", reason: "AMINotFound" });
  },
);
test.each(managed.map((e) => [e.file, e.nodePool.metadata.name, e] as const))(
  "%s (NodePool %s) resolves, launches and joins through the node agent",
  async (_f, _np, e) => {
    const { res, node, outcome } = await launch(e);
    expect(outcome).toEqual({ joined: true, nodeName: node?.metadata?.name });
    const labels = node!.metadata!.labels!;
    expect(labels["karpenter.sh/nodepool"]).toBe(e.nodePool.metadata.name);
    expect(labels["node.kubernetes.io/instance-type"]).toBe(res.instanceType);
    expect(labels["kubernetes.io/os"]).toBe(res.labels["kubernetes.io/os"]);
    expect(node!.spec?.taints).toContainEqual({ key: "karpenter.sh/unregistered", effect: "NoExecute" });
    expectPlanFitsNode(res, node!);
  },
  60_000,
);

test("Windows nodes boot the PowerShell bootstrap and register as windows with the user's script kept", async () => {
  const [e] = byFile("windows-custom-userdata.yaml");
  const { res, node } = await launch(e!);
  expect(node!.metadata!.labels!["kubernetes.io/os"]).toBe("windows");
  expect(res.labels["node.kubernetes.io/windows-build"]).toBe("10.0.20348");
  expect(node!.status?.nodeInfo?.operatingSystem).toBe("windows");
});

test("RAID0: pods' ephemeral storage is the instance-store array, in the plan and on the node", async () => {
  const [e] = byFile("instance-store-ephemeral-storage.yaml");
  const { res, node } = await launch(e!);
  const nvme = Number(res.labels["karpenter.k8s.aws/instance-local-nvme"]);
  expect(nvme).toBeGreaterThan(300);
  expect(parseResource("ephemeral-storage", res.capacity["ephemeral-storage"]!, "plan")).toBe(nvme * 1e9);
  expect(parseResource("ephemeral-storage", node!.status!.capacity!["ephemeral-storage"]!, "node")).toBeGreaterThanOrEqual(nvme * 1e9 - 1024);
});

test("Bottlerocket: the user's TOML is merged and pods' storage is the data volume, not the 4Gi OS volume", async () => {
  const [e] = byFile("br-custom-userdata.yaml");
  const { res, node } = await launch(e!);
  expect(parseResource("ephemeral-storage", node!.status!.capacity!["ephemeral-storage"]!, "node")).toBe(20 * 2 ** 30);
  expectPlanFitsNode(res, node!);
});

test("amiFamily Custom with the AL2 custom image: exactly the user's bootstrap.sh line joins, with its own labels", async () => {
  const [e] = byFile("custom-family.yaml");
  const { res, node, outcome } = await launch(e!);
  expect(outcome?.joined).toBe(true);
  expect(res.imageID).toMatch(/^ami-(123|456)$/);
  expect(node!.metadata!.labels!.foo).toBe("bar");
  // Karpenter adds nothing to a Custom family's user data: no NodeClaim labels, no unregistered taint.
  expect(node!.metadata!.labels!["karpenter.sh/nodepool"]).toBeUndefined();
  expect(node!.spec?.taints ?? []).not.toContainEqual({ key: "karpenter.sh/unregistered", effect: "NoExecute" });
});

test("amiFamily Custom on the Bottlerocket alias with a shell script never joins: Bottlerocket cannot read it", async () => {
  const [e] = byFile("custom-family-with-alias.yaml");
  const { node, outcome } = await launch(e!);
  expect(outcome).toMatchObject({ joined: false, component: "bottlerocket" });
  expect(node).toBeUndefined();
});
