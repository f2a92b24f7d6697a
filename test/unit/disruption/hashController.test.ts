// Modelled on Karpenter's pkg/controllers/nodepool/hash/suite_test.go and the AWS provider's
// pkg/controllers/nodeclass/hash suite: hash annotations written, behaviour fields ignored, hash-version upgrades
// re-stamp NodeClaims (keeping a Drifted NodeClaim's old hash), and static NodeClass drift needs matching versions.
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { ClusterState } from "../../../src/kube/clusterState";
import { KubeObject, Kinds } from "../../../src/kube/client";
import { silentLogger } from "../../../src/log";
import { reconcileNodeClassHash, reconcileNodePoolHash } from "../../../src/disruption/hashController";
import {
  EC2NODECLASS_HASH_ANNOTATION as NCH,
  EC2NODECLASS_HASH_VERSION_ANNOTATION as NCV,
  EC2NODECLASS_HASH_VERSION,
  NODEPOOL_HASH_ANNOTATION as NPH,
  NODEPOOL_HASH_VERSION_ANNOTATION as NPV,
  NODEPOOL_HASH_VERSION,
  ec2NodeClassHashAnnotations,
  nodePoolHash,
} from "../../../src/apis/karpenterHash";
import { staticFieldsDrift } from "../../../src/cloudprovider/aws/drift";

const pool = (annotations?: Record<string, string>): KubeObject => ({
  apiVersion: "karpenter.sh/v1",
  kind: "NodePool",
  metadata: { name: "default", ...(annotations ? { annotations } : {}) },
  spec: {
    template: {
      metadata: { labels: { keyLabel: "valueLabel" } },
      spec: {
        taints: [{ key: "key", effect: "NoExecute" }],
        expireAfter: "5m",
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
        requirements: [],
      },
    },
  },
});
const claim = (name: string, annotations: Record<string, string>, drifted = false): KubeObject => ({
  apiVersion: "karpenter.sh/v1",
  kind: "NodeClaim",
  metadata: { name, labels: { "karpenter.sh/nodepool": "default" }, annotations },
  spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
  status: drifted ? { conditions: [{ type: "Drifted", status: "True", reason: "NodePoolDrifted" }] } : {},
});

async function setup(objs: Array<[keyof typeof Kinds, KubeObject]>) {
  const client = new MemoryKubeClient();
  const state = new ClusterState();
  for (const [kind, o] of objs) state.apply(kind as never, await client.create(Kinds[kind], o), "ADDED");
  return { client, state, log: silentLogger() };
}

describe("nodepool.hash controller", () => {
  it("writes Karpenter's hash and version on the NodePool", async () => {
    const deps = await setup([["NodePool", pool()]]);
    await reconcileNodePoolHash(deps, "default");
    const np = await deps.client.get(Kinds.NodePool, "default");
    expect(np!.metadata.annotations).toEqual({ [NPH]: nodePoolHash(pool() as never), [NPV]: NODEPOOL_HASH_VERSION });
  });
  it("updates the hash when a static field changes, not when a behaviour field does", async () => {
    const deps = await setup([["NodePool", pool()]]);
    await reconcileNodePoolHash(deps, "default");
    const first = (await deps.client.get(Kinds.NodePool, "default"))!.metadata.annotations![NPH];
    await deps.client.patch(Kinds.NodePool, "default", [
      { op: "add", path: "/spec/weight", value: 80 },
      { op: "add", path: "/spec/template/spec/requirements", value: [{ key: "a", operator: "Exists" }] },
    ]);
    deps.state.apply("NodePool", (await deps.client.get(Kinds.NodePool, "default"))!, "MODIFIED");
    await reconcileNodePoolHash(deps, "default");
    expect((await deps.client.get(Kinds.NodePool, "default"))!.metadata.annotations![NPH]).toBe(first);
    await deps.client.patch(Kinds.NodePool, "default", [
      { op: "add", path: "/spec/template/metadata/labels", value: { keyLabeltest: "x" } },
    ]);
    deps.state.apply("NodePool", (await deps.client.get(Kinds.NodePool, "default"))!, "MODIFIED");
    await reconcileNodePoolHash(deps, "default");
    expect((await deps.client.get(Kinds.NodePool, "default"))!.metadata.annotations![NPH]).not.toBe(first);
  });
  it("re-stamps NodeClaims when the NodePool's hash version is out of date; a Drifted one keeps its hash", async () => {
    const old = { [NPH]: "123456", [NPV]: "test" };
    const deps = await setup([
      ["NodePool", pool({ [NPH]: "abceduefed", [NPV]: "test" })],
      ["NodeClaim", claim("one", { ...old })],
      ["NodeClaim", claim("two", { ...old }, true)],
    ]);
    await reconcileNodePoolHash(deps, "default");
    const want = nodePoolHash(pool() as never);
    const one = await deps.client.get(Kinds.NodeClaim, "one");
    const two = await deps.client.get(Kinds.NodeClaim, "two");
    expect(one!.metadata.annotations).toMatchObject({ [NPH]: want, [NPV]: NODEPOOL_HASH_VERSION });
    expect(two!.metadata.annotations).toMatchObject({ [NPH]: "123456", [NPV]: NODEPOOL_HASH_VERSION });
    expect((await deps.client.get(Kinds.NodePool, "default"))!.metadata.annotations).toMatchObject({ [NPH]: want });
  });
  it("leaves NodeClaims alone when the versions already match", async () => {
    const deps = await setup([
      ["NodePool", pool({ [NPH]: "abceduefed", [NPV]: NODEPOOL_HASH_VERSION })],
      ["NodeClaim", claim("one", { [NPH]: "123456", [NPV]: NODEPOOL_HASH_VERSION })],
    ]);
    await reconcileNodePoolHash(deps, "default");
    expect((await deps.client.get(Kinds.NodeClaim, "one"))!.metadata.annotations![NPH]).toBe("123456");
  });
});

describe("nodeclass.hash controller and static NodeClass drift", () => {
  const nodeClass = (annotations?: Record<string, string>): KubeObject => ({
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name: "default", ...(annotations ? { annotations } : {}) },
    spec: { role: "r", amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [], securityGroupSelectorTerms: [] },
  });
  const ann = (nc: KubeObject) => ec2NodeClassHashAnnotations(nc as never, "ca");

  it("writes hash and version, and re-stamps NodeClaims of an older hash version", async () => {
    const deps = await setup([
      ["EC2NodeClass", nodeClass({ [NCH]: "1", [NCV]: "v4" })],
      ["NodeClaim", claim("one", { [NCH]: "9", [NCV]: "v4" })],
    ]);
    await reconcileNodeClassHash(deps, "default", ann);
    const want = ann(nodeClass());
    expect((await deps.client.get(Kinds.EC2NodeClass, "default"))!.metadata.annotations).toEqual(want);
    expect((await deps.client.get(Kinds.NodeClaim, "one"))!.metadata.annotations).toMatchObject(want);
    expect(want[NCV]).toBe(EC2NODECLASS_HASH_VERSION);
  });
  it("reports NodeClassDrift only when both sides carry hash and the same version", () => {
    const cur = { [NCH]: "1", [NCV]: "v6" };
    expect(staticFieldsDrift({ [NCH]: "2", [NCV]: "v6" }, cur)).toBe("NodeClassDrift");
    expect(staticFieldsDrift({ [NCH]: "1", [NCV]: "v6" }, cur)).toBe("");
    expect(staticFieldsDrift({ [NCH]: "2", [NCV]: "v4" }, cur)).toBe("");
    expect(staticFieldsDrift({ [NCH]: "2" }, cur)).toBe("");
    expect(staticFieldsDrift({ [NCH]: "2", [NCV]: "v6" }, { [NCH]: "1" })).toBe("");
  });
});
