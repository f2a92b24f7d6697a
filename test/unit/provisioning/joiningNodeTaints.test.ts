// A node that has just joined still carries the taints of a starting node (karpenter.sh/unregistered,
// node.kubernetes.io/not-ready, the NodeClaim's startup taints). As Karpenter's StateNode.Taints, the scheduler
// ignores them until the node is initialized: the pods planned onto it, and new pods that fit, wait for it
// instead of each getting another NodeClaim.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { miniCluster, nodeClass, nodePool, pendingPod, registerNode } from "../lifecycle/fakes";

const SETTINGS = { BATCH_IDLE_DURATION: "1s", BATCH_MAX_DURATION: "2s" };

test("pods wait for a joined, not yet ready node instead of launching more NodeClaims", async () => {
  const mc = await miniCluster({
    settings: SETTINGS,
    seed: async (c) => {
      await c.create(Kinds.EC2NodeClass, nodeClass());
      await c.create(Kinds.NodePool, nodePool());
    },
  });
  await mc.client.create(Kinds.Pod, pendingPod("a-0", "500m"));
  await mc.tick(1_500);
  await mc.tick(100);
  const claims = () => mc.client.objects(Kinds.NodeClaim).filter((c) => !c.metadata.deletionTimestamp);
  expect(claims()).toHaveLength(1);
  const providerID = claims()[0]!.status?.providerID as string;
  expect(providerID).toBeTruthy();

  // The kubelet joins: unregistered and not ready, with the node lifecycle controller's not-ready taint.
  await registerNode(mc.client, providerID, "n1");
  const n = (await mc.client.get<KubeObject>(Kinds.Node, "n1"))!;
  n.spec.taints = [...n.spec.taints, { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }];
  await mc.client.replace(Kinds.Node, n);
  await mc.tick(100);

  // Another pod that fits next to the first: the next batch plans both onto n1.
  await mc.client.create(Kinds.Pod, pendingPod("a-1", "500m"));
  await mc.tick(1_500);
  await mc.tick(100);
  expect(claims()).toHaveLength(1);
});
