// Silent failures surface: a failed NodeClaim create is retried, and a 422 (e.g. a NodePool name over 63
// characters, which its NodeClaims carry as a label value) is not mistaken for a name conflict: it is an Event
// on the NodePool that names the fix.
import { KubeError, Kinds } from "../../../src/kube/client";
import { miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

describe("chaos: silent failures", () => {
  it("retries provisioning after a failed create", async () => {
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    mc.client.failNext("create", new KubeError(500, "etcdserver: request timed out"), "NodeClaim");
    await mc.client.create(Kinds.Pod, pendingPod("inflate-0"));
    await mc.tick(1_500);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(0);
    expect(mc.logs.messages("failed creating nodeclaim")).toHaveLength(1);
    // Nothing else changes in the cluster: only the retry can create it.
    await mc.tick(10_000);
    await mc.tick(1_500);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(1);
  });

  it("surfaces a 422 for a NodePool name over 63 characters instead of retrying it as a name conflict", async () => {
    const long = "a".repeat(70);
    const mc = await miniCluster({ seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool(long)); } });
    await mc.client.create(Kinds.Pod, pendingPod("inflate-0"));
    await mc.tick(1_500);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(0);
    // One create attempt, not three "conflict" re-draws.
    expect(mc.client.calls.filter(c => c.method === "create" && c.kind === "NodeClaim")).toHaveLength(1);
    const ev = mc.client.events.find(e => e.reason === "FailedCreatingNodeClaim");
    expect(ev?.type).toBe("Warning");
    expect((ev?.involvedObject as { kind: string; name: string })).toMatchObject({ kind: "NodePool", name: long });
    expect(ev?.message).toMatch(/must be no more than 63 characters/);
    expect(ev?.message).toMatch(/NodePool name is 70 characters.*rename the NodePool/);
  });
});
