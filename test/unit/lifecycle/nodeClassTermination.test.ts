// Modelled on Karpenter AWS's nodeclass termination suite: the finalizer is added; deletion waits (with a
// WaitingOnNodeClaimTermination event) while NodeClaims reference the class; then the cloud cleanup runs once and
// the finalizer goes, so the apiserver removes the EC2NodeClass.
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { ClusterState } from "../../../src/kube/clusterState";
import { KubeObject, Kinds } from "../../../src/kube/client";
import { silentLogger } from "../../../src/log";
import {
  NODECLASS_TERMINATION_FINALIZER,
  reconcileNodeClassTermination,
} from "../../../src/lifecycle/nodeClassTermination";

const nodeClass: KubeObject = {
  apiVersion: "karpenter.k8s.aws/v1",
  kind: "EC2NodeClass",
  metadata: { name: "default", uid: "uid-1" },
  spec: { role: "KarpenterNodeRole", amiSelectorTerms: [{ alias: "al2023@latest" }], subnetSelectorTerms: [], securityGroupSelectorTerms: [] },
};
const claim: KubeObject = {
  apiVersion: "karpenter.sh/v1",
  kind: "NodeClaim",
  metadata: { name: "default-abcde" },
  spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
};

async function setup(withClaim: boolean) {
  const client = new MemoryKubeClient();
  const state = new ClusterState();
  state.apply("EC2NodeClass", await client.create(Kinds.EC2NodeClass, nodeClass), "ADDED");
  if (withClaim) state.apply("NodeClaim", await client.create(Kinds.NodeClaim, claim), "ADDED");
  const published: Array<{ reason: string; message: string }> = [];
  const finalized: string[] = [];
  const deps = {
    client,
    state,
    log: silentLogger(),
    events: { publish: (e: { reason: string; message: string }) => (published.push(e), true) },
    finalize: async (nc: KubeObject) => void finalized.push(nc.metadata.name),
  };
  const refresh = async () => {
    const cur = await client.get(Kinds.EC2NodeClass, "default");
    if (cur) state.apply("EC2NodeClass", cur, "MODIFIED");
    else state.apply("EC2NodeClass", nodeClass, "DELETED");
    return cur;
  };
  return { client, state, deps, published, finalized, refresh };
}

describe("EC2NodeClass termination finalizer", () => {
  it("adds karpenter.k8s.aws/termination to an EC2NodeClass", async () => {
    const t = await setup(false);
    await reconcileNodeClassTermination(t.deps, "default");
    expect((await t.refresh())!.metadata.finalizers).toEqual([NODECLASS_TERMINATION_FINALIZER]);
  });
  it("waits for NodeClaims that use the class, then deletes its cloud resources and the finalizer", async () => {
    const t = await setup(true);
    await reconcileNodeClassTermination(t.deps, "default");
    await t.refresh();
    await t.client.delete(Kinds.EC2NodeClass, "default");
    await t.refresh();
    const wait = await reconcileNodeClassTermination(t.deps, "default");
    expect(wait).toBe(600_000);
    expect(t.finalized).toEqual([]);
    expect(t.published).toEqual([
      expect.objectContaining({ reason: "WaitingOnNodeClaimTermination", message: "Waiting on NodeClaim termination for default-abcde" }),
    ]);
    expect(await t.client.get(Kinds.EC2NodeClass, "default")).toBeDefined();

    await t.client.delete(Kinds.NodeClaim, "default-abcde");
    expect(await reconcileNodeClassTermination(t.deps, "default")).toBeUndefined();
    expect(t.finalized).toEqual(["default"]);
    expect(await t.client.get(Kinds.EC2NodeClass, "default")).toBeUndefined();
  });
  it("only NodeClaims of this EC2NodeClass (group, kind and name) hold it", async () => {
    const t = await setup(false);
    const other = { ...claim, metadata: { name: "other-abcde" }, spec: { ...claim.spec, nodeClassRef: { group: "example.com", kind: "OtherNodeClass", name: "default" } } };
    await t.client.create(Kinds.NodeClaim, other);
    await reconcileNodeClassTermination(t.deps, "default");
    await t.refresh();
    await t.client.delete(Kinds.EC2NodeClass, "default");
    await t.refresh();
    expect(await reconcileNodeClassTermination(t.deps, "default")).toBeUndefined();
    expect(t.published).toEqual([]);
    expect(t.finalized).toEqual(["default"]);
  });
  it("does not clean up again once the finalizer is gone (idempotent after a restart)", async () => {
    const t = await setup(false);
    await reconcileNodeClassTermination(t.deps, "default");
    await t.refresh();
    await t.client.delete(Kinds.EC2NodeClass, "default");
    await t.refresh();
    await reconcileNodeClassTermination(t.deps, "default");
    await reconcileNodeClassTermination(t.deps, "default");
    expect(t.finalized).toEqual(["default"]);
  });
});

describe("a terminating EC2NodeClass launches nothing more", () => {
  it("create refuses with Karpenter's 'is terminating, treating as not found' while the finalizer waits", async () => {
    const { AwsCloudProvider } = await import("../../../src/cloudprovider/aws");
    const { NodeClassNotReadyError } = await import("../../../src/cloudprovider/types");
    const deleting = {
      ...nodeClass,
      metadata: { ...nodeClass.metadata, deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [NODECLASS_TERMINATION_FINALIZER] },
      status: { conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "" }] },
    };
    const p = new AwsCloudProvider({ clusterName: "c", clusterEndpoint: "https://k", region: "us-east-1", nodeClassLookup: async () => deleting as never, clients: { ec2: {}, ssm: {}, iam: {}, sqs: {} } as never });
    const create = p.create({ metadata: { name: "default-abcde", uid: "u" }, spec: claim.spec as never });
    await expect(create).rejects.toThrow(NodeClassNotReadyError);
    await expect(create).rejects.toThrow('ec2nodeclasses.karpenter.k8s.aws "default" is terminating, treating as not found');
  });
});
