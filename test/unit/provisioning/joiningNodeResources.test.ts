// A node that has joined but is not initialized may not report all it has yet: an extended resource appears only
// once its device plugin runs, and a kubelet can post zero before its first real status. As Karpenter's
// StateNode.Allocatable, the scheduler fills what the Node reports as zero or not at all from the NodeClaim's
// launch figures until initialization, so pending pods that fit wait for the node instead of each batch
// launching another NodeClaim.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

const SETTINGS = { BATCH_IDLE_DURATION: "1s", BATCH_MAX_DURATION: "2s" };

test("pods wait for a joined node that reports zero of what its NodeClaim launched with", async () => {
  const mc = await miniCluster({
    settings: SETTINGS,
    seed: async (c) => {
      await c.create(Kinds.EC2NodeClass, nodeClass());
      await c.create(Kinds.NodePool, nodePool());
    },
  });
  await mc.client.create(Kinds.Pod, pendingPod("a-0", "300m"));
  await mc.tick(1_500);
  await mc.tick(100);
  const claims = () => mc.client.objects(Kinds.NodeClaim).filter((c) => !c.metadata.deletionTimestamp);
  expect(claims()).toHaveLength(1);
  const claim = claims()[0]!;
  const providerID = claim.status?.providerID as string;
  expect(Number.parseFloat(String(claim.status?.allocatable?.cpu))).toBeGreaterThan(1);

  // The kubelet registers before its first real status: cpu 0, no memory.
  await mc.client.create<KubeObject>(Kinds.Node, {
    metadata: { name: "n1", labels: { "kubernetes.io/hostname": "n1" } },
    spec: { providerID, taints: [{ key: "karpenter.sh/unregistered", effect: "NoExecute" }] },
    status: { allocatable: { cpu: "0", pods: "29" }, capacity: { cpu: "0", pods: "29" }, conditions: [{ type: "Ready", status: "False" }] },
  });
  await mc.tick(100);

  await mc.client.create(Kinds.Pod, pendingPod("a-1", "300m"));
  await mc.tick(1_500);
  await mc.tick(100);
  await mc.tick(1_500);
  expect(claims()).toHaveLength(1);
  await mc.controllers.stop();
});
