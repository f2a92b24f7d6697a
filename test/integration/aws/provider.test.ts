// The AWS provider end to end against moto: nodeclass resolution, CreateFleet launches, idempotency, ICE,
// deletion, drift and listing, all through the real SDK code paths.
import { randomUUID } from "node:crypto";
import { EC2Client, DescribeInstancesCommand, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand } from "@aws-sdk/client-ec2";
import { AwsCloudProvider, EC2NodeClassLike } from "../../../src/cloudprovider/aws";
import { InsufficientCapacityError, NodeClaimLike, NodeClaimNotFoundError, NodeClassNotReadyError } from "../../../src/cloudprovider/types";
import { motoForTests, TestMoto } from "./motoForTests";

let moto: TestMoto;
let provider: AwsCloudProvider;
let ec2: EC2Client;
const nodeClasses = new Map<string, EC2NodeClassLike>();

function nodeClass(name: string, over: Partial<EC2NodeClassLike["spec"]> = {}): EC2NodeClassLike {
  return {
    metadata: { name, generation: 1 },
    spec: {
      role: `KarpenterNodeRole-${moto.clusterName}`,
      amiSelectorTerms: [{ alias: "al2023@latest" }],
      subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": moto.clusterName } }],
      securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": moto.clusterName } }],
      tags: { team: "platform" },
      ...over,
    },
  };
}

async function resolved(nc: EC2NodeClassLike): Promise<EC2NodeClassLike> {
  const r = await provider.resolveNodeClass(nc);
  const out = { ...nc, status: r.status };
  nodeClasses.set(nc.metadata.name, out);
  return out;
}

function nodeClaim(types: string[], capacityTypes = ["spot", "on-demand"], nodeClassName = "default"): NodeClaimLike {
  const name = `default-${randomUUID().slice(0, 8)}`;
  return {
    metadata: { name, uid: randomUUID(), labels: { "karpenter.sh/nodepool": "default" } },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: nodeClassName },
      requirements: [
        { key: "node.kubernetes.io/instance-type", operator: "In", values: types },
        { key: "karpenter.sh/capacity-type", operator: "In", values: capacityTypes },
        { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
      ],
      resources: { requests: { cpu: "500m", pods: "1" } },
    },
  };
}

async function describeInstance(instanceId: string) {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations![0]!.Instances![0]!;
}

beforeAll(async () => {
  moto = await motoForTests("provider-it");
  const cfg = { region: moto.region, endpoint: moto.endpoint, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
  ec2 = new EC2Client(cfg);
  provider = new AwsCloudProvider({
    clusterName: moto.clusterName, clusterEndpoint: "https://127.0.0.1:6443", clusterCABundle: "Q0EK", serviceCIDR: "10.100.0.0/16", region: moto.region,
    endpoint: moto.endpoint, kubernetesVersion: "v1.34.4", interruptionQueue: moto.clusterName, nodeClassLookup: async n => nodeClasses.get(n),
  });
  await resolved(nodeClass("default"));
}, 90_000);
afterAll(async () => { await moto?.clearFaults().catch(() => undefined); await moto?.stop(); });
afterEach(async () => { await moto.clearFaults(); });

describe("EC2NodeClass resolution", () => {
  test("the getting-started nodeclass resolves 3 subnets, 1 security group, one AL2023 AMI per arch and an instance profile", async () => {
    const { status, ready } = await provider.resolveNodeClass(nodeClass("default"));
    expect(ready).toBe(true);
    expect(status.subnets!.map(s => s.zone)).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(status.subnets!.every(s => /^use1-az\d$/.test(s.zoneID ?? ""))).toBe(true);
    expect(status.securityGroups!.map(g => g.name)).toEqual([`eks-cluster-sg-${moto.clusterName}`]);
    expect(status.amis!.map(a => [a.name, a.requirements[0]!.values])).toEqual(expect.arrayContaining([
      ["amazon-eks-node-al2023-x86_64-standard-1.34-v20250301", ["amd64"]],
      ["amazon-eks-node-al2023-arm64-standard-1.34-v20250301", ["arm64"]],
    ]));
    expect(status.amis).toHaveLength(2);
    expect(status.instanceProfile).toMatch(new RegExp(`^${moto.clusterName}_[0-9a-f]+$`));
    expect(status.conditions!.find(c => c.type === "Ready")).toMatchObject({ status: "True", reason: "Ready" });
  });

  test("a pinned alias resolves to the older image", async () => {
    const { status } = await provider.resolveNodeClass(nodeClass("pinned", { amiSelectorTerms: [{ alias: "al2023@v20250101" }] }));
    expect(status.amis!.map(a => a.name).sort()).toEqual([
      "amazon-eks-node-al2023-arm64-standard-1.34-v20250101", "amazon-eks-node-al2023-x86_64-standard-1.34-v20250101"]);
  });

  test("a selector that matches no subnet makes the nodeclass not Ready with a reason naming the tag", async () => {
    const { status, ready } = await provider.resolveNodeClass(nodeClass("typo", { subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "demo" } }] }));
    expect(ready).toBe(false);
    const cond = status.conditions!.find(c => c.type === "Ready")!;
    expect(cond).toMatchObject({ status: "False", reason: "SubnetsNotFound" });
    expect(cond.message).toContain("no subnet matches tag karpenter.sh/discovery=demo");
    expect(status.conditions!.find(c => c.type === "SecurityGroupsReady")!.status).toBe("True");
  });

  test("the launch calls are dry-run against EC2: a denied ec2:CreateFleet makes the class ValidationSucceeded=False, Ready=False", async () => {
    const ok = await provider.resolveNodeClass(nodeClass("authorized"));
    expect(ok.status.conditions!.find(c => c.type === "ValidationSucceeded")).toMatchObject({ status: "True", reason: "ValidationSucceeded" });
    // An SCP denying CreateFleet (dry runs included); a fresh class, so no cached verdict.
    await moto.injectFaults({ deny: [{ action: "CreateFleet" }] });
    const denied = await provider.resolveNodeClass(nodeClass("denied"));
    expect(denied.ready).toBe(false);
    expect(denied.status.conditions!.find(c => c.type === "ValidationSucceeded")).toMatchObject({
      status: "False", reason: "CreateFleetAuthCheckFailed", message: "Controller isn't authorized to call ec2:CreateFleet",
    });
    expect(denied.status.conditions!.find(c => c.type === "Ready")).toMatchObject({ status: "False", reason: "CreateFleetAuthCheckFailed" });
    // The verdict is cached (30 min): the class stays failed after the policy is fixed until the inputs change.
    await moto.clearFaults();
    const cached = await provider.resolveNodeClass({ ...nodeClass("denied"), status: denied.status });
    expect(cached.status.conditions!.find(c => c.type === "ValidationSucceeded")?.reason).toBe("CreateFleetAuthCheckFailed");
    const changed = await provider.resolveNodeClass({ ...nodeClass("denied", { tags: { team: "web" } }), status: denied.status });
    expect(changed.status.conditions!.find(c => c.type === "ValidationSucceeded")).toMatchObject({ status: "True", reason: "ValidationSucceeded" });
    // RunInstances and CreateLaunchTemplate are checked too; nothing was launched by any dry run.
    await moto.injectFaults({ deny: [{ action: "RunInstances" }] });
    const noRun = await provider.resolveNodeClass(nodeClass("norun"));
    expect(noRun.status.conditions!.find(c => c.type === "ValidationSucceeded")?.reason).toBe("RunInstancesAuthCheckFailed");
    await moto.clearFaults();
    await moto.injectFaults({ deny: [{ action: "CreateLaunchTemplate" }] });
    const noLt = await provider.resolveNodeClass(nodeClass("nolt"));
    expect(noLt.status.conditions!.find(c => c.type === "ValidationSucceeded")?.reason).toBe("CreateLaunchTemplateAuthCheckFailed");
    const all = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "tag:karpenter.k8s.aws/ec2nodeclass", Values: ["authorized", "denied", "norun", "nolt"] }] }));
    expect((all.Reservations ?? []).flatMap(r => r.Instances ?? [])).toHaveLength(0);
  });

  test("a throttled dry run is inconclusive: the condition stays as it was", async () => {
    await moto.injectFaults({ deny: [{ action: "CreateFleet" }] });
    const denied = await provider.resolveNodeClass(nodeClass("flaky"));
    expect(denied.status.conditions!.find(c => c.type === "ValidationSucceeded")?.reason).toBe("CreateFleetAuthCheckFailed");
    await moto.clearFaults();
    await moto.injectFaults({ throttle: [{ action: "CreateLaunchTemplate" }] });
    const flaky = await provider.resolveNodeClass({ ...nodeClass("flaky", { tags: { team: "other" } }), status: denied.status });
    expect(flaky.status.conditions!.find(c => c.type === "ValidationSucceeded")?.reason).toBe("CreateFleetAuthCheckFailed");
  });

  test("security groups select by name and by id; a missing role is reported", async () => {
    const sgId = nodeClasses.get("default")!.status!.securityGroups![0]!.id;
    const byName = await provider.resolveNodeClass(nodeClass("byname", { securityGroupSelectorTerms: [{ name: `eks-cluster-sg-${moto.clusterName}` }] }));
    expect(byName.status.securityGroups!.map(g => g.id)).toEqual([sgId]);
    const noRole = await provider.resolveNodeClass(nodeClass("norole", { role: "NoSuchRole", securityGroupSelectorTerms: [{ id: sgId }] }));
    expect(noRole.status.securityGroups!.map(g => g.id)).toEqual([sgId]);
    expect(noRole.ready).toBe(false);
    expect(noRole.status.conditions!.find(c => c.type === "InstanceProfileReady")).toMatchObject({ status: "False", reason: "RoleNotFound" });
  });
});

describe("launching", () => {
  test("create launches one tagged spot instance through CreateFleet with IMDSv2 and nodeadm user data", async () => {
    const nc = nodeClaim(["m5.large", "m5.xlarge"]);
    const res = await provider.create(nc);
    expect(res.capacityType).toBe("spot");
    expect(res.instanceType).toBe("m5.large");
    expect(res.providerID).toBe(`aws:///${res.zone}/${res.instanceID}`);
    expect(res.imageID).toBe(nodeClasses.get("default")!.status!.amis!.find(a => a.requirements[0]!.values![0] === "amd64")!.id);
    expect(res.labels).toMatchObject({ "karpenter.sh/capacity-type": "spot", "topology.kubernetes.io/zone": res.zone, "kubernetes.io/arch": "amd64" });
    expect(Number(res.allocatable.pods)).toBeGreaterThan(0);
    const inst = await describeInstance(res.instanceID);
    expect(inst.InstanceLifecycle).toBe("spot");
    expect(inst.MetadataOptions?.HttpTokens).toBe("required");
    const tags = Object.fromEntries(inst.Tags!.map(t => [t.Key, t.Value]));
    expect(tags).toMatchObject({
      "karpenter.sh/nodepool": "default", "karpenter.sh/nodeclaim": nc.metadata.name, "karpenter.k8s.aws/ec2nodeclass": "default",
      [`kubernetes.io/cluster/${moto.clusterName}`]: "owned", "eks:eks-cluster-name": moto.clusterName, Name: nc.metadata.name, team: "platform",
    });
    const lts = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "tag:karpenter.k8s.aws/ec2nodeclass", Values: ["default"] }] }));
    expect(lts.LaunchTemplates!.length).toBeGreaterThan(0);
    const v = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lts.LaunchTemplates![0]!.LaunchTemplateId, Versions: ["$Latest"] }));
    const userData = Buffer.from(v.LaunchTemplateVersions![0]!.LaunchTemplateData!.UserData!, "base64").toString("utf8");
    expect(userData).toContain("Content-Type: application/node.eks.aws");
    expect(userData).toContain(`name: ${moto.clusterName}`);
    expect(userData).toContain("karpenter.sh/nodepool=default");
  });

  test("creating twice for the same NodeClaim returns the same instance", async () => {
    const nc = nodeClaim(["m5.large"]);
    const a = await provider.create(nc);
    const b = await provider.create(nc);
    expect(b.instanceID).toBe(a.instanceID);
    const mine = (await provider.list()).filter(i => i.tags["karpenter.sh/nodeclaim"] === nc.metadata.name);
    expect(mine).toHaveLength(1);
  });

  test("on-demand only NodeClaims launch on-demand", async () => {
    const res = await provider.create(nodeClaim(["m5.large"], ["on-demand"]));
    expect(res.capacityType).toBe("on-demand");
    expect((await describeInstance(res.instanceID)).InstanceLifecycle).toBeUndefined();
  });

  test("InsufficientInstanceCapacity marks the offering unavailable and the next launch skips it", async () => {
    await moto.injectInsufficientCapacity([{ instanceType: "c5.large", capacityType: "spot" }]);
    const first = await provider.create(nodeClaim(["c5.large", "c5.xlarge"], ["spot"]));
    expect(first.instanceType).toBe("c5.xlarge");
    for (const z of ["us-east-1a", "us-east-1b", "us-east-1c"]) expect(provider.unavailableOfferings.isUnavailable("c5.large", z, "spot")).toBe(true);
    await moto.clearFaults();
    // moto would now launch c5.large (the cheapest override) if the provider still offered it.
    const second = await provider.create(nodeClaim(["c5.large", "c5.xlarge"], ["spot"]));
    expect(second.instanceType).toBe("c5.xlarge");
  });

  test("when every offering is ICE'd the launch fails with InsufficientCapacityError", async () => {
    await moto.injectInsufficientCapacity([{ instanceType: "r5.large" }]);
    await expect(provider.create(nodeClaim(["r5.large"], ["on-demand"]))).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(provider.create(nodeClaim(["r5.large"], ["on-demand"]))).rejects.toThrow(/no available on-demand offering/);
  });

  test("a NodeClaim whose nodeclass is not Ready is refused with NodeClassNotReadyError", async () => {
    nodeClasses.set("broken", { ...nodeClass("broken"), status: (await provider.resolveNodeClass(nodeClass("broken", { subnetSelectorTerms: [{ id: "subnet-0000000000" }] }))).status });
    await expect(provider.create(nodeClaim(["m5.large"], ["spot"], "broken"))).rejects.toBeInstanceOf(NodeClassNotReadyError);
    await expect(provider.create(nodeClaim(["m5.large"], ["spot"], "missing"))).rejects.toThrow(/EC2NodeClass "missing" not found/);
  });
});

describe("lifecycle", () => {
  test("the interruption queue named in settings resolves to its SQS URL", async () => {
    expect(await provider.interruptionQueueUrl()).toMatch(new RegExp(`/${moto.clusterName}$`));
  });

  test("delete terminates the instance; afterwards get and delete report NodeClaimNotFoundError", async () => {
    const nc = nodeClaim(["m5.large"]);
    const res = await provider.create(nc);
    const withStatus = { ...nc, status: { providerID: res.providerID } };
    await provider.delete(withStatus);
    expect((await describeInstance(res.instanceID)).State?.Name).toBe("terminated");
    await expect(provider.get(res.providerID)).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    await expect(provider.delete(withStatus)).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    expect((await provider.list()).map(i => i.instanceID)).not.toContain(res.instanceID);
  });

  test("list returns the launched instance with its NodeClaim tag", async () => {
    const nc = nodeClaim(["m5.large"]);
    const res = await provider.create(nc);
    const found = (await provider.list()).find(i => i.instanceID === res.instanceID);
    expect(found).toMatchObject({ providerID: res.providerID, instanceType: "m5.large", state: "running" });
    expect(found!.tags["karpenter.sh/nodeclaim"]).toBe(nc.metadata.name);
  });

  test("isDrifted reports AMIDrift once the nodeclass selects a different AMI", async () => {
    const nc = nodeClaim(["m5.large"]);
    const res = await provider.create(nc);
    const claim = { ...nc, status: { providerID: res.providerID, imageID: res.imageID } };
    expect(await provider.isDrifted(claim)).toBe("");
    const saved = nodeClasses.get("default")!;
    try {
      await resolved(nodeClass("default", { amiSelectorTerms: [{ alias: "al2023@v20250101" }] }));
      expect(await provider.isDrifted(claim)).toBe("AMIDrift");
    } finally {
      nodeClasses.set("default", saved);
    }
  });
});
