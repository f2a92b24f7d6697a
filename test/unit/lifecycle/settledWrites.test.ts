// A settled cluster costs the apiserver nothing: once a NodeClaim is Initialized and its NodePool counted, the
// controllers re-reconcile (refresh periods, events of unrelated objects) without writing what is already there.
// The in-memory apiserver serves objects with their keys sorted, as kube-apiserver does for custom resources, so a
// controller that compares what it computed with what it read by JSON string would patch on every pass here.
import { Kinds } from "../../../src/kube/client";
import { cond, miniCluster, nodeClass, nodePool, pendingPod, registerNode, setNodeReady } from "./fakes";

const writes = (calls: Array<{ method: string; kind: string; name: string }>) =>
  calls.filter((c) => ["patch", "patchStatus", "create", "replace", "delete"].includes(c.method));

test("after a NodeClaim is Initialized, re-reconciling the NodePool, node class, NodeOverlay, NodeClaim and Node writes nothing", async () => {
  const mc = await miniCluster({
    settings: { FEATURE_GATES: "NodeOverlay=true" },
    seed: async (c) => {
      await c.create(Kinds.EC2NodeClass, nodeClass());
      await c.create(Kinds.NodeOverlay, {
        apiVersion: "karpenter.sh/v1alpha1",
        kind: "NodeOverlay",
        metadata: { name: "discount", generation: 1 },
        spec: {
          requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }],
          priceAdjustment: "-10%",
        },
      });
      // No disruption decision may write either: consolidation is off for this pool.
      await c.create(
        Kinds.NodePool,
        nodePool("default", {
          limits: { cpu: "100" },
          disruption: { consolidateAfter: "Never", budgets: [{ nodes: "0" }] },
        }),
      );
    },
  });
  await mc.tick(10);
  await mc.client.create(Kinds.Pod, pendingPod("web"));
  await mc.tick(1_500);
  await mc.tick(1_000);
  const [nc] = mc.client.objects(Kinds.NodeClaim);
  expect(nc?.status?.providerID).toBeDefined();
  await registerNode(mc.client, nc!.status.providerID, "node-a", true);
  await mc.tick(1_000);
  await setNodeReady(mc.client, "node-a");
  const pod = (await mc.client.get(Kinds.Pod, "web", "default"))!;
  pod.spec.nodeName = "node-a";
  pod.status = { phase: "Running", conditions: [{ type: "PodScheduled", status: "True" }] };
  await mc.client.replace(Kinds.Pod, pod);
  // Past one disruption pass (10 s), which persists the pod's binding as the NodeClaim's lastPodEventTime.
  for (let i = 0; i < 12; i++) await mc.tick(1_000);
  expect(cond(mc.client.objects(Kinds.NodeClaim)[0], "Initialized")).toBe("True");
  expect(mc.client.objects(Kinds.NodeClaim)[0]?.status?.lastPodEventTime).toBeDefined();
  expect(mc.client.objects(Kinds.NodePool)[0]?.status?.nodes).toBe(1);
  expect(cond(mc.client.objects(Kinds.NodeOverlay)[0], "Ready")).toBe("True");

  const before = mc.client.calls.length;
  // Every controller's periodic pass, and each object touched by an unrelated writer (a label nobody reads).
  for (const [kind, name] of [
    [Kinds.NodePool, "default"],
    [Kinds.EC2NodeClass, "default"],
    [Kinds.NodeOverlay, "discount"],
    [Kinds.NodeClaim, nc!.metadata.name],
    [Kinds.Node, "node-a"],
  ] as const) {
    const o = (await mc.client.get(kind, name))!;
    o.metadata.annotations = { ...o.metadata.annotations, "example.com/touched": "yes" };
    await mc.client.replace(kind, o);
  }
  const touched = mc.client.calls.length;
  for (let i = 0; i < 12; i++) await mc.tick(60_000);
  const after = writes(mc.client.calls.slice(touched)).filter((c) => c.kind !== "Pod");
  expect(touched - before).toBe(0); // replace is a test-side write and is not recorded
  expect(after).toEqual([]);
  await mc.controllers.stop();
});
