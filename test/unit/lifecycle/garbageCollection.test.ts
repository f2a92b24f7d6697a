import { Kinds } from "../../../src/kube/client";
import { cond, miniCluster, nodeClass, nodePool } from "./fakes";

describe("garbage collection", () => {
  it("terminates an instance with no NodeClaim once it is older than the grace period, not before", async () => {
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); } });
    const young = mc.cloud.orphan("default-gone1", 10_000);
    const old = mc.cloud.orphan("default-gone2", 60_000);
    await mc.controllers.gc();
    const running = mc.cloud.running().map(i => i.providerID);
    expect(running).toContain(young);
    expect(running).not.toContain(old);
    expect(mc.logs.messages("garbage collected cloudprovider instance")).toHaveLength(1);
    await mc.tick(30_000); // the GC timer fires on its own
    expect(mc.cloud.running()).toHaveLength(0);
  });

  it("keeps an instance whose NodeClaim exists but has not recorded the providerID yet", async () => {
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); } });
    mc.cloud.orphan("default-known", 120_000);
    mc.controllers.state.apply("NodeClaim", { metadata: { name: "default-known" }, spec: {} }, "ADDED");
    await mc.controllers.gc();
    expect(mc.cloud.running()).toHaveLength(1);
  });

  it("deletes a launched NodeClaim whose instance vanished", async () => {
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    await mc.client.create(Kinds.NodeClaim, {
      metadata: { name: "default-abcde", labels: { "karpenter.sh/nodepool": "default" } },
      spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
    });
    await mc.tick(0);
    expect(cond(await mc.client.get(Kinds.NodeClaim, "default-abcde"), "Launched")).toBe("True");
    for (const i of mc.cloud.instances.values()) i.state = "terminated"; // e.g. terminated from the EC2 console
    await mc.tick(30_000);
    await mc.tick(5_000);
    expect(await mc.client.get(Kinds.NodeClaim, "default-abcde")).toBeUndefined();
  });

  it("terminates a duplicate instance of a NodeClaim that records another instance, keeping the recorded one", async () => {
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    await mc.client.create(Kinds.NodeClaim, {
      metadata: { name: "default-dup", labels: { "karpenter.sh/nodepool": "default" } },
      spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
    });
    await mc.tick(0);
    const recorded = (await mc.client.get(Kinds.NodeClaim, "default-dup"))!.status.providerID;
    const young = mc.cloud.orphan("default-dup", 5_000);
    await mc.controllers.gc();
    expect(mc.cloud.running().map(i => i.providerID)).toEqual(expect.arrayContaining([recorded, young]));
    const dup = mc.cloud.orphan("default-dup", 120_000);
    await mc.controllers.gc();
    const running = mc.cloud.running().map(i => i.providerID);
    expect(running).toContain(recorded);
    expect(running).not.toContain(dup);
    expect(mc.logs.messages("garbage collected cloudprovider instance")[0]).toMatchObject({ reason: "duplicate", "provider-id": dup });
    expect(await mc.client.get(Kinds.NodeClaim, "default-dup")).toBeDefined();
  });
});
