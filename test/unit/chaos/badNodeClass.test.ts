// Chaos scenario 1 (unit level): one EC2NodeClass the CRD accepts but the engine cannot use must not stop the
// other pools. The bad one turns not Ready with a reason and an Event; the healthy pool keeps provisioning.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { FakeClock } from "../../../src/kube/clock";
import { cond, FakeCloud, miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

/** FakeCloud plus the two AWS extras the controllers use: NodeClass status and a per-class catalog (kubelet-aware). */
class NodeClassCloud extends FakeCloud {
  async resolveNodeClass(nc: EC2NodeClassLike) {
    const at = "2025-01-01T00:00:00Z";
    const conditions = ["SubnetsReady", "SecurityGroupsReady", "AMIsReady", "InstanceProfileReady", "Ready"].map(type => ({
      type, status: "True", reason: type, message: "", lastTransitionTime: nc.status?.conditions?.find(c => c.type === type)?.lastTransitionTime ?? at,
    }));
    return { status: { subnets: [{ id: "subnet-1", zone: "us-east-1a" }], conditions }, ready: true, message: "" };
  }
  override async getInstanceTypes(nc?: EC2NodeClassLike) {
    return loadCatalog({ region: "us-east-1", kubelet: nc?.spec.kubelet as never });
  }
}

const badKubelets: Array<[string, Record<string, unknown>]> = [["kubeReserved.cpu 10%", { kubeReserved: { cpu: "10%" } }], ["evictionHard 5 percent", { evictionHard: { "memory.available": "5 percent" } }]];

describe.each(badKubelets)("chaos: a bad EC2NodeClass (%s) next to a healthy pool", (_label, kubelet) => {
  async function cluster() {
    const clock = new FakeClock();
    const bad: KubeObject = { ...nodeClass("bad"), spec: { ...nodeClass("bad").spec, kubelet } };
    return miniCluster({
      clock, cloud: new NodeClassCloud(clock),
      seed: async c => {
        await c.create(Kinds.EC2NodeClass, nodeClass("default"));
        await c.create(Kinds.EC2NodeClass, bad);
        await c.create(Kinds.NodePool, nodePool("default"));
        // The bad pool has the higher weight: it is tried first, so a throw there used to stop every pool.
        const np = nodePool("bad", { weight: 100 });
        np.spec.template.spec.nodeClassRef.name = "bad";
        await c.create(Kinds.NodePool, np);
      },
    });
  }

  it("marks only the bad NodeClass not Ready, with a reason naming the field and a Warning Event", async () => {
    const mc = await cluster();
    await mc.tick(1_000);
    const bad = await mc.client.get(Kinds.EC2NodeClass, "bad");
    expect(cond(bad, "Ready")).toBe("False");
    expect(cond(bad, "ValidationSucceeded")).toBe("False");
    const ready = bad!.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect(ready.reason).toBe("InvalidConfiguration");
    expect(ready.message).toMatch(/kubelet\.(kubeReserved\.cpu|evictionHard)/);
    expect(cond(await mc.client.get(Kinds.EC2NodeClass, "default"), "Ready")).toBe("True");
    const ev = mc.client.events.filter(e => e.reason === "NodeClassNotReady" && (e.involvedObject as { name: string }).name === "bad");
    expect(ev.length).toBeGreaterThanOrEqual(1);
    expect(ev[0]!.type).toBe("Warning");
  });

  it("keeps provisioning the healthy pool, even before the bad NodeClass status is written", async () => {
    const mc = await cluster();
    // No tick before the pods: the provisioner meets the bad class while its status still says Ready.
    for (let i = 0; i < 3; i++) await mc.client.create(Kinds.Pod, pendingPod(`inflate-${i}`));
    await mc.tick(1_000);
    await mc.tick(1_000);
    const claims = mc.client.objects(Kinds.NodeClaim);
    expect(claims.length).toBeGreaterThanOrEqual(1);
    expect(claims.every(c => c.metadata.labels!["karpenter.sh/nodepool"] === "default")).toBe(true);
    expect(mc.logs.messages("provisioning failed")).toHaveLength(0);
  });
});
