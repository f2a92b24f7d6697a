// The running controller watches Namespaces (name and labels kept): a pod (anti-)affinity namespaceSelector matches
// any label a Namespace carries, not only kubernetes.io/metadata.name, and a Namespace relabelled later changes what
// the next provisioning pass sees (Karpenter's buildNamespaceList reads the namespace informer on every solve).
import { Kinds, KubeObject } from "../../../src/kube/client";
import { miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

const ZONE = "topology.kubernetes.io/zone";
const namespace = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels }, annotations: { owner: "payments-team" } },
  spec: { finalizers: ["kubernetes"] },
  status: { phase: "Active" },
});
/** A pod that must share a zone with `app=web` pods in namespaces labelled team=payments (itself included). */
const webPod = (name: string, ns: string): KubeObject => {
  const p = pendingPod(name);
  p.metadata.namespace = ns;
  p.metadata.labels = { app: "web" };
  p.spec.affinity = {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { app: "web" } }, namespaceSelector: { matchLabels: { team: "payments" } }, topologyKey: ZONE },
      ],
    },
  };
  return p;
};

async function cluster() {
  return miniCluster({
    seed: async (c) => {
      await c.create(Kinds.EC2NodeClass, nodeClass());
      await c.create(Kinds.NodePool, nodePool());
    },
  });
}
const failedScheduling = (mc: Awaited<ReturnType<typeof cluster>>, pod: string) =>
  mc.client.events.filter((e) => e.reason === "FailedScheduling" && (e.involvedObject as { name: string }).name === pod);

describe("pod affinity namespaceSelector in the running controller", () => {
  it("matches a custom Namespace label: a pod whose namespace the selector selects is its own first peer", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.Namespace, namespace("shop", { team: "payments" }));
    await mc.client.create(Kinds.Pod, webPod("web-0", "shop"));
    await mc.tick(1_500);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(1);
    expect(failedScheduling(mc, "web-0")).toHaveLength(0);
  });

  it("a namespace labelled later: unschedulable while unlabelled, provisioned once the label arrives, not after it goes", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.Namespace, namespace("shop", {}));
    await mc.client.create(Kinds.Pod, webPod("web-0", "shop"));
    await mc.tick(1_500);
    // Not selected: no pod anywhere matches the required term, and the pod itself is outside the selected set.
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(0);
    expect(failedScheduling(mc, "web-0").length).toBeGreaterThan(0);

    await mc.client.patch(Kinds.Namespace, "shop", [{ op: "add", path: "/metadata/labels/team", value: "payments" }]);
    await mc.tick(1_500);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(1);

    // The label removed again: a new pod of the same kind in that namespace is no longer selected.
    await mc.client.patch(Kinds.Namespace, "shop", [{ op: "remove", path: "/metadata/labels/team" }]);
    await mc.client.create(Kinds.Pod, webPod("web-1", "shop"));
    await mc.tick(1_500);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(1);
    expect(failedScheduling(mc, "web-1").length).toBeGreaterThan(0);
  });

  it("keeps only a Namespace's name and labels", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.Namespace, namespace("shop", { team: "payments" }));
    await mc.tick(10);
    const ns = mc.controllers.state.namespaces.get("shop")!;
    expect(ns.spec).toBeUndefined();
    expect(ns.status).toBeUndefined();
    expect(ns.metadata.annotations).toBeUndefined();
    expect(ns.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "shop", team: "payments" });
  });
});
