// Chaos scenario 5 (unit level): a drain blocked by a PDB, next to emptiness consolidation, must not churn. The
// provisioner pre-spins capacity for the draining node's pods; that replacement is empty until the PDB lets the
// pods move, and deleting it as "empty" only makes the provisioner launch another (11 in 15 minutes, before).
// As Karpenter: a node the provisioner nominated for pods (pending or on deleting nodes) is not a candidate.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { miniCluster, MiniCluster, nodeClass, nodePool, registerNode, setNodeReady, typeResources } from "../lifecycle/fakes";

const SETTINGS = { DISRUPTION_POLL_INTERVAL: "2s", CONSOLIDATION_VALIDATION_DELAY: "2s", BATCH_IDLE_DURATION: "1s", BATCH_MAX_DURATION: "2s" };

/** Plays the kubelet: a Ready Node for every launched NodeClaim. */
async function kubelet(mc: MiniCluster): Promise<void> {
  for (const nc of mc.client.objects(Kinds.NodeClaim)) {
    const pid = nc.status?.providerID;
    if (!pid || nc.metadata.deletionTimestamp) continue;
    const name = `node-${nc.metadata.name}`;
    if (await mc.client.get(Kinds.Node, name)) continue;
    await registerNode(mc.client, pid, name);
    await mc.tick(10);
    const res = typeResources(nc.metadata.labels!["node.kubernetes.io/instance-type"]!);
    await setNodeReady(mc.client, name, n => { n.status.allocatable = res.allocatable; n.status.capacity = res.capacity; });
    await mc.tick(10);
  }
}

const guardedPod = (name: string, node: string): KubeObject => ({
  metadata: { name, namespace: "default", labels: { app: "guarded" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "guarded-abc", uid: "rs-g", controller: true }] },
  spec: { nodeName: node, containers: [{ name: "c", image: "pause", resources: { requests: { cpu: "500m" } } }] },
  status: { phase: "Running", startTime: "2025-01-01T00:00:00Z", conditions: [{ type: "PodScheduled", status: "True" }] },
});

describe("chaos: a PDB-blocked drain next to emptiness consolidation", () => {
  it("launches one replacement for the draining node's pods and keeps it for 15 minutes (no churn)", async () => {
    const pool = nodePool("default", { disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "30s", budgets: [{ nodes: "100%" }] } });
    const mc = await miniCluster({ settings: SETTINGS, seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, pool); } });
    await mc.client.create(Kinds.NodeClaim, {
      metadata: { name: "default-old", labels: { "karpenter.sh/nodepool": "default" } },
      spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }], resources: { requests: { cpu: "1" } } },
    });
    await mc.tick(100);
    await kubelet(mc);
    for (let i = 0; i < 2; i++) await mc.client.create(Kinds.Pod, guardedPod(`guarded-${i}`, "node-default-old"));
    // minAvailable 2 of 2: the PDB never allows an eviction, so the drain waits (no terminationGracePeriod).
    await mc.client.create(Kinds.PodDisruptionBudget, {
      metadata: { name: "guarded", namespace: "default" },
      spec: { minAvailable: 2, selector: { matchLabels: { app: "guarded" } } },
      status: { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2 },
    });
    mc.client.evictionBlocked = p => p.metadata.labels?.app === "guarded";
    await mc.tick(1_000);

    await mc.client.delete(Kinds.NodeClaim, "default-old"); // e.g. kubectl delete nodeclaim, or expiry
    const names = new Set<string>();
    for (let t = 0; t < 15 * 60_000; t += 5_000) {
      await mc.tick(5_000);
      await kubelet(mc);
      for (const nc of mc.client.objects(Kinds.NodeClaim)) if (nc.metadata.name !== "default-old") names.add(nc.metadata.name);
    }

    expect(await mc.client.get(Kinds.NodeClaim, "default-old")).toBeDefined(); // the drain is still blocked
    expect(mc.client.objects(Kinds.Pod).filter(p => p.spec.nodeName === "node-default-old")).toHaveLength(2);
    expect([...names]).toHaveLength(1); // one replacement, kept
    const replacement = mc.client.objects(Kinds.NodeClaim).find(c => c.metadata.name !== "default-old");
    expect(replacement?.metadata.deletionTimestamp).toBeUndefined();
    expect(mc.logs.messages("disrupting node(s)")).toHaveLength(0);
  }, 120_000);
});
