import { ClusterState, isProvisionable } from "../../../src/kube/clusterState";
import { KubeObject } from "../../../src/kube/client";

const pendingPod = (name: string, rv = "1"): KubeObject => ({
  metadata: { name, namespace: "default", resourceVersion: rv, managedFields: [{ manager: "kubectl" }], annotations: { "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(5000), "karpenter.sh/do-not-disrupt": "true" } },
  spec: { containers: [{ name: "c", image: "pause", env: [{ name: "A", value: "b" }], resources: { requests: { cpu: "500m" } } }], volumes: [{ name: "tok", projected: {} }] },
  status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available" }] },
});

describe("ClusterState", () => {
  it("lists only pods kube-scheduler marked Unschedulable as pending", () => {
    const s = new ClusterState();
    s.apply("Pod", pendingPod("a"), "ADDED");
    s.apply("Pod", { ...pendingPod("b"), status: { phase: "Pending" } }, "ADDED");
    s.apply("Pod", { ...pendingPod("c"), metadata: { name: "c", namespace: "default", ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "ds", uid: "1", controller: true }] } }, "ADDED");
    s.apply("Pod", { ...pendingPod("d"), spec: { nodeName: "n1", containers: [] } }, "ADDED");
    expect(s.pendingPods().map(p => p.metadata.name)).toEqual(["a"]);
  });

  it("keeps a slim projection of pods: no managedFields, env, images or unrelated annotations", () => {
    const s = new ClusterState();
    s.apply("Pod", pendingPod("a"), "ADDED");
    const p = s.pods.get("default/a")!;
    expect(p.metadata.managedFields).toBeUndefined();
    expect(p.metadata.annotations).toEqual({ "karpenter.sh/do-not-disrupt": "true" });
    expect(p.spec.containers).toEqual([{ name: "c", resources: { requests: { cpu: "500m" } } }]);
    expect(p.spec.volumes).toBeUndefined();
    expect(JSON.stringify(p).length).toBeLessThan(JSON.stringify(pendingPod("a")).length / 10);
    expect(isProvisionable(p)).toBe(true);
  });

  it("ignores watch events older than what it already holds and never resurrects deleted objects", () => {
    const s = new ClusterState();
    s.apply("Node", { metadata: { name: "n", resourceVersion: "5", labels: { a: "new" } }, spec: {} }, "MODIFIED");
    expect(s.apply("Node", { metadata: { name: "n", resourceVersion: "3", labels: { a: "old" } }, spec: {} }, "MODIFIED")).toBeUndefined();
    expect(s.nodes.get("n")!.metadata.labels).toEqual({ a: "new" });
    s.apply("Node", { metadata: { name: "n", resourceVersion: "6" }, spec: {} }, "DELETED");
    s.apply("Node", { metadata: { name: "n", resourceVersion: "5" }, spec: {} }, "MODIFIED");
    expect(s.nodes.has("n")).toBe(false);
  });

  it("indexes pods by node and nodes/NodeClaims by providerID", () => {
    const s = new ClusterState();
    s.apply("Node", { metadata: { name: "n1" }, spec: { providerID: "aws:///us-east-1a/i-1" } }, "ADDED");
    s.apply("NodeClaim", { metadata: { name: "nc1" }, spec: { requirements: [], nodeClassRef: { group: "g", kind: "k", name: "n" } }, status: { providerID: "aws:///us-east-1a/i-1" } }, "ADDED");
    s.apply("Pod", { ...pendingPod("p"), spec: { nodeName: "n1", containers: [] } }, "ADDED");
    expect(s.nodeForProviderID("aws:///us-east-1a/i-1")?.metadata.name).toBe("n1");
    expect(s.nodeClaimForNode(s.nodes.get("n1")!)?.metadata.name).toBe("nc1");
    expect(s.podsOnNode("n1").map(p => p.metadata.name)).toEqual(["p"]);
    s.apply("Pod", { ...pendingPod("p"), spec: { nodeName: "n1", containers: [] } }, "DELETED");
    expect(s.podsOnNode("n1")).toEqual([]);
  });

  it("drops nominations when the pod binds or its NodeClaim disappears", () => {
    const s = new ClusterState();
    s.apply("Pod", pendingPod("a"), "ADDED");
    s.apply("Pod", pendingPod("b"), "ADDED");
    s.apply("NodeClaim", { metadata: { name: "nc" }, spec: {} }, "ADDED");
    s.nominate(["default/a", "default/b"], "nc");
    s.apply("Pod", { ...pendingPod("a", "2"), spec: { nodeName: "n", containers: [] } }, "MODIFIED");
    expect(s.nominatedNodeClaim("default/a")).toBeUndefined();
    expect(s.nominatedNodeClaim("default/b")).toBe("nc");
    s.apply("NodeClaim", { metadata: { name: "nc" }, spec: {} }, "DELETED");
    expect(s.nominatedNodeClaim("default/b")).toBeUndefined();
  });
});
