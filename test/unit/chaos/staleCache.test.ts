// Chaos scenario 6 (unit level): the cache is double-checked. A falsely deleted object is re-added at relist,
// and garbage collection asks the apiserver (and the cloud, by ID) before it terminates or deletes anything.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { ClusterState } from "../../../src/kube/clusterState";
import { miniCluster, nodeClass, nodePool } from "../lifecycle/fakes";

describe("chaos: state cache double-check", () => {
  it("re-adds an object seen at relist at the same resourceVersion it was (falsely) deleted at", () => {
    const s = new ClusterState();
    const nc = { metadata: { name: "default-a", resourceVersion: "10" }, spec: {} } as KubeObject;
    s.apply("NodeClaim", nc, "ADDED");
    s.apply("NodeClaim", nc, "DELETED"); // e.g. a watch restart synthesised a delete
    expect(s.nodeClaims.has("default-a")).toBe(false);
    expect(s.apply("NodeClaim", nc, "ADDED")).toBeDefined(); // the relist still lists it
    expect(s.nodeClaims.has("default-a")).toBe(true);
  });

  it("still ignores a late event older than a real deletion", () => {
    const s = new ClusterState();
    s.apply("NodeClaim", { metadata: { name: "default-a", resourceVersion: "10" }, spec: {} }, "ADDED");
    s.apply("NodeClaim", { metadata: { name: "default-a", resourceVersion: "12" }, spec: {} }, "DELETED");
    expect(s.apply("NodeClaim", { metadata: { name: "default-a", resourceVersion: "11" }, spec: {} }, "MODIFIED")).toBeUndefined();
    expect(s.nodeClaims.has("default-a")).toBe(false);
  });

  async function launchedCluster() {
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    await mc.client.create(Kinds.NodeClaim, {
      metadata: { name: "default-abcde", labels: { "karpenter.sh/nodepool": "default" } },
      spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
    });
    await mc.tick(0);
    return mc;
  }

  it("GC does not terminate an instance whose NodeClaim the cache lost but the apiserver has", async () => {
    const mc = await launchedCluster();
    const inst = mc.cloud.running()[0]!;
    const nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    mc.controllers.state.apply("NodeClaim", { ...nc, metadata: { ...nc.metadata, resourceVersion: String(Number(nc.metadata.resourceVersion) + 1) } }, "DELETED");
    expect(mc.controllers.state.nodeClaims.has("default-abcde")).toBe(false);
    await mc.clock.advance(120_000);
    await mc.controllers.gc();
    expect(mc.cloud.running().map(i => i.instanceID)).toContain(inst.instanceID);
    expect(mc.logs.messages("garbage collected cloudprovider instance")).toHaveLength(0);
  });

  it("GC does not delete a NodeClaim whose instance a List missed but a lookup by ID finds", async () => {
    const mc = await launchedCluster();
    mc.cloud.list = async () => []; // eventually consistent DescribeInstances
    await mc.tick(30_000);
    await mc.tick(30_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeDefined();
    expect(mc.logs.messages("garbage collecting nodeclaim with no cloudprovider instance")).toHaveLength(0);
  });
});
