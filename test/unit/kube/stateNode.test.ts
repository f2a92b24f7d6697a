import { ClusterState } from "../../../src/kube/clusterState";
import { KubeObject } from "../../../src/kube/client";

const pid = (n: string) => `aws:///us-east-1a/i-${n}`;
const node = (name: string, o: { providerID?: string; labels?: Record<string, string>; rv?: string; deleting?: boolean; taints?: object[] } = {}): KubeObject => ({
  metadata: { name, resourceVersion: o.rv ?? "1", labels: o.labels ?? { "karpenter.sh/nodepool": "default", from: "node" }, ...(o.deleting ? { deletionTimestamp: "2026-03-02T10:00:00Z" } : {}) },
  spec: { ...(o.providerID ? { providerID: o.providerID } : {}), ...(o.taints ? { taints: o.taints } : {}) },
  status: { capacity: { cpu: "4", memory: "16Gi" }, allocatable: { cpu: "3920m", memory: "15Gi" } },
});
const claim = (name: string, o: { providerID?: string; nodeName?: string; rv?: string; deleting?: boolean; conditions?: object[] } = {}): KubeObject => ({
  metadata: { name, resourceVersion: o.rv ?? "1", labels: { "karpenter.sh/nodepool": "default", from: "claim" }, ...(o.deleting ? { deletionTimestamp: "2026-03-02T10:00:00Z" } : {}) },
  spec: { requirements: [], nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, taints: [{ key: "claim", effect: "NoSchedule" }] },
  status: { ...(o.providerID ? { providerID: o.providerID } : {}), ...(o.nodeName ? { nodeName: o.nodeName } : {}), capacity: { cpu: "4" }, allocatable: { cpu: "3900m" }, conditions: o.conditions ?? [] },
});
const pod = (name: string, nodeName: string, o: { cpu?: string; daemonSet?: boolean; rv?: string; phase?: string } = {}): KubeObject => ({
  metadata: { name, namespace: "default", resourceVersion: o.rv ?? "1", ...(o.daemonSet ? { ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "ds", uid: "u", controller: true }] } : {}) },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: "c", resources: { requests: { cpu: o.cpu ?? "500m", memory: "1Gi" }, limits: { cpu: "1" } } }] },
  status: { phase: o.phase ?? (nodeName ? "Running" : "Pending") },
});
const pairs = (s: ClusterState) => s.stateNodes().map((n) => [n.nodeName ?? "-", n.nodeClaimName ?? "-"]);

describe("StateNode pairing", () => {
  it("a NodeClaim in flight becomes the Node's pair when the Node joins with its providerID", () => {
    const s = new ClusterState();
    s.apply("NodeClaim", claim("nc1", { providerID: pid("1") }), "ADDED");
    const inFlight = s.stateNodeForNodeClaim("nc1")!;
    expect(inFlight.inFlight()).toBe(true);
    expect(inFlight.name).toBe("nc1");
    expect(inFlight.labels().from).toBe("claim");
    expect(inFlight.taints()).toEqual([{ key: "claim", effect: "NoSchedule" }]);
    expect(inFlight.allocatable()).toEqual({ cpu: "3900m" });
    s.apply("Node", node("n1", { providerID: pid("1") }), "ADDED");
    expect(pairs(s)).toEqual([["n1", "nc1"]]);
    const sn = s.stateNodeForNode("n1")!;
    expect(sn).toBe(inFlight); // the same StateNode, now registered
    expect(s.stateNodeForProviderID(pid("1"))).toBe(sn);
    expect(sn.name).toBe("n1");
    expect(sn.labels().from).toBe("node");
    expect(sn.allocatable()).toEqual({ cpu: "3920m", memory: "15Gi" });
    expect(sn.nodePoolName()).toBe("default");
    expect(s.nodeForProviderID(pid("1"))?.metadata.name).toBe("n1");
  });

  it("a Node that joined first pairs with its NodeClaim when the claim arrives", () => {
    const s = new ClusterState();
    s.apply("Node", node("n1", { providerID: pid("1") }), "ADDED");
    expect(pairs(s)).toEqual([["n1", "-"]]);
    expect(s.stateNodeForNode("n1")!.managed()).toBe(true); // NodePool label, no claim yet
    s.apply("NodeClaim", claim("nc1", { providerID: pid("1") }), "ADDED");
    expect(pairs(s)).toEqual([["n1", "nc1"]]);
    expect(s.nodeClaimForNode(s.nodes.get("n1")!)?.metadata.name).toBe("nc1");
  });

  it("pairs once the NodeClaim's providerID is set late, and by status.nodeName when only that names the Node", () => {
    const s = new ClusterState();
    s.apply("NodeClaim", claim("nc1"), "ADDED");
    s.apply("Node", node("n1", { providerID: pid("1") }), "ADDED");
    expect(pairs(s)).toEqual([["n1", "-"], ["-", "nc1"]]);
    s.apply("NodeClaim", claim("nc1", { providerID: pid("1"), rv: "2" }), "MODIFIED");
    expect(pairs(s)).toEqual([["n1", "nc1"]]);

    s.apply("Node", node("n2"), "ADDED");
    s.apply("NodeClaim", claim("nc2", { nodeName: "n2" }), "ADDED");
    expect(s.stateNodeForNode("n2")?.nodeClaimName).toBe("nc2");
    // A claim whose providerID another Node reports never pairs by name.
    s.apply("NodeClaim", claim("nc2", { nodeName: "n2", providerID: pid("1"), rv: "2" }), "MODIFIED");
    expect(s.stateNodeForNode("n2")?.nodeClaimName).toBeUndefined();
  });

  it("a Node of another instance under the claim's node name (a reused private IP) does not pair with it", () => {
    const s = new ClusterState();
    s.apply("NodeClaim", claim("old", { providerID: pid("1"), nodeName: "ip-10-0-0-7" }), "ADDED");
    s.apply("Node", node("ip-10-0-0-7", { providerID: pid("2") }), "ADDED");
    expect(s.stateNodeForNodeClaim("old")?.node).toBeUndefined();
    expect(s.nodeForProviderID(pid("1"))).toBeUndefined();
    expect(s.stateNodeForNode("ip-10-0-0-7")?.nodeClaimName).toBeUndefined();
  });

  it("keeps the Node alone when its NodeClaim is deleted, and the claim alone when its Node is", () => {
    const s = new ClusterState();
    s.apply("Node", node("n1", { providerID: pid("1") }), "ADDED");
    s.apply("NodeClaim", claim("nc1", { providerID: pid("1"), conditions: [{ type: "Registered", status: "True" }, { type: "Initialized", status: "True" }] }), "ADDED");
    const sn = s.stateNodeForNode("n1")!;
    expect([sn.registered(), sn.initialized()]).toEqual([true, true]);
    s.apply("NodeClaim", claim("nc1", { providerID: pid("1"), rv: "2" }), "DELETED");
    expect(pairs(s)).toEqual([["n1", "-"]]);
    expect(s.stateNodeForNodeClaim("nc1")).toBeUndefined();
    expect(s.stateNodeForNode("n1")!.initialized()).toBe(true); // no claim: counts as initialized, as Karpenter

    s.apply("NodeClaim", claim("nc2", { providerID: pid("2") }), "ADDED");
    s.apply("Node", node("n2", { providerID: pid("2") }), "ADDED");
    s.apply("Node", node("n2", { providerID: pid("2"), rv: "2" }), "DELETED");
    expect(s.stateNodeForNodeClaim("nc2")!.inFlight()).toBe(true);
    // A deleted Node's watch event still leads to its NodeClaim (the lifecycle reconciles it).
    expect(s.nodeClaimForNode(node("n2", { providerID: pid("2") }))?.metadata.name).toBe("nc2");
    expect(pairs(s)).toEqual([["n1", "-"], ["-", "nc2"]]);
  });

  it("follows pods between nodes with their requests, DaemonSet requests apart, terminal pods not counted", () => {
    const s = new ClusterState();
    s.apply("Node", node("a", { providerID: pid("a") }), "ADDED");
    s.apply("Node", node("b", { providerID: pid("b") }), "ADDED");
    s.apply("Pod", pod("web", "a", { cpu: "500m" }), "ADDED");
    s.apply("Pod", pod("ds", "a", { cpu: "100m", daemonSet: true }), "ADDED");
    s.apply("Pod", pod("done", "a", { cpu: "2", phase: "Succeeded" }), "ADDED");
    const a = s.stateNodeForNode("a")!;
    expect(a.pods().map((p) => p.metadata.name).sort()).toEqual(["done", "ds", "web"]);
    expect(a.podRequests()).toEqual({ cpu: 600, memory: 2 * 2 ** 30 });
    expect(a.daemonSetRequests()).toEqual({ cpu: 100, memory: 2 ** 30 });
    expect(a.podLimits()).toEqual({ cpu: 2000 });
    s.apply("Pod", pod("web", "", { rv: "2" }), "MODIFIED");
    s.apply("Pod", pod("web", "b", { rv: "3" }), "MODIFIED");
    expect(a.podRequests()).toEqual({ cpu: 100, memory: 2 ** 30 });
    expect(s.stateNodeForNode("b")!.pods().map((p) => p.metadata.name)).toEqual(["web"]);
  });

  it("is nominated until the window ends or every planned pod is bound to it", () => {
    const s = new ClusterState();
    s.apply("Pod", pod("p1", ""), "ADDED");
    s.apply("Pod", pod("p2", ""), "ADDED");
    s.apply("NodeClaim", claim("nc1", { providerID: pid("1") }), "ADDED");
    s.nominateNodeClaim("nc1", ["default/p1", "default/p2"], 10_000);
    s.apply("Node", node("n1", { providerID: pid("1") }), "ADDED");
    const sn = s.stateNodeForNodeClaim("nc1")!;
    expect([sn.nominated(9_999), sn.nominated(10_000), sn.nominatedUntil()]).toEqual([true, false, 10_000]);
    s.apply("Pod", pod("p1", "n1", { rv: "2" }), "MODIFIED");
    expect(s.isNodeClaimNominated("nc1", 5_000)).toBe(true); // p2 still pending
    s.apply("Pod", pod("p2", "n1", { rv: "2" }), "MODIFIED");
    expect(s.isNodeClaimNominated("nc1", 5_000)).toBe(false);
    s.apply("NodeClaim", claim("nc1", { providerID: pid("1"), rv: "2" }), "DELETED");
    expect(s.isNodeClaimNominated("nc1", 5_000)).toBe(false);
    expect(s.stateNodeForNode("n1")!.nominatedUntil()).toBeUndefined();
  });

  it("is marked for deletion when its Node or NodeClaim is deleting or the Node carries karpenter.sh/disrupted", () => {
    const s = new ClusterState();
    s.apply("Node", node("a", { providerID: pid("a") }), "ADDED");
    s.apply("NodeClaim", claim("nc-a", { providerID: pid("a") }), "ADDED");
    expect(s.stateNodeForNode("a")!.markedForDeletion()).toBe(false);
    s.apply("NodeClaim", claim("nc-a", { providerID: pid("a"), rv: "2", deleting: true }), "MODIFIED");
    expect([s.stateNodeForNode("a")!.deleting(), s.stateNodeForNode("a")!.markedForDeletion()]).toEqual([true, true]);
    s.apply("Node", node("b", { taints: [{ key: "karpenter.sh/disrupted", effect: "NoSchedule" }] }), "ADDED");
    expect([s.stateNodeForNode("b")!.deleting(), s.stateNodeForNode("b")!.markedForDeletion()]).toEqual([false, true]);
  });
});

describe("StateNode.schedulingTaints (Karpenter's StateNode.Taints)", () => {
  const starting = [
    { key: "karpenter.sh/unregistered", effect: "NoExecute" },
    { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" },
    { key: "node.cloudprovider.kubernetes.io/uninitialized", value: "true", effect: "NoSchedule" },
    { key: "readiness.k8s.io/network", effect: "NoSchedule" },
    { key: "example.com/agent-starting", effect: "NoSchedule" },
    { key: "claim", effect: "NoSchedule" },
  ];
  const withStartup = (c: KubeObject): KubeObject => ({
    ...c,
    spec: { ...c.spec, startupTaints: [{ key: "example.com/agent-starting", effect: "NoSchedule" }] },
  });

  it("uses the NodeClaim's taints until a managed Node is registered", () => {
    const s = new ClusterState();
    s.apply("NodeClaim", withStartup(claim("nc1", { providerID: pid("1") })), "ADDED");
    expect(s.stateNodeForNodeClaim("nc1")!.schedulingTaints()).toEqual([{ key: "claim", effect: "NoSchedule" }]);
    s.apply("Node", node("n1", { providerID: pid("1"), taints: starting }), "ADDED");
    // Joined but not registered: still the claim's (the Node's startup taints are not the node's to keep).
    expect(s.stateNodeForNode("n1")!.schedulingTaints()).toEqual([{ key: "claim", effect: "NoSchedule" }]);
  });

  it("drops the known ephemeral and startup taints of a registered Node until it is initialized, then keeps all", () => {
    const s = new ClusterState();
    s.apply("Node", node("n1", { providerID: pid("1"), taints: starting }), "ADDED");
    s.apply("NodeClaim", withStartup(claim("nc1", { providerID: pid("1"), conditions: [{ type: "Registered", status: "True" }] })), "ADDED");
    expect(s.stateNodeForNode("n1")!.schedulingTaints()).toEqual([{ key: "claim", effect: "NoSchedule" }]);
    s.apply(
      "NodeClaim",
      withStartup(claim("nc1", { providerID: pid("1"), rv: "2", conditions: [{ type: "Registered", status: "True" }, { type: "Initialized", status: "True" }] })),
      "MODIFIED",
    );
    // Initialized: a not-ready taint now means the node is not ready (e.g. it went NotReady), so it counts.
    expect(s.stateNodeForNode("n1")!.schedulingTaints()).toEqual(starting);
  });

  it("an unmanaged Node's taints count as they are", () => {
    const s = new ClusterState();
    s.apply("Node", node("u1", { labels: {}, taints: starting }), "ADDED");
    expect(s.stateNodeForNode("u1")!.schedulingTaints()).toEqual(starting);
  });
});

describe("StateNode capacity and allocatable (Karpenter's StateNode.Capacity/Allocatable)", () => {
  const gpuClaim = (conditions: object[] = []): KubeObject => {
    const c = claim("nc1", { providerID: pid("1"), conditions });
    c.status.capacity = { cpu: "4", "nvidia.com/gpu": "1" };
    c.status.allocatable = { cpu: "3900m", "nvidia.com/gpu": "1", "example.com/widget": "4" };
    return c;
  };
  // The kubelet has registered; the device plugin has not yet advertised the GPU (zero) nor the widget (absent).
  const earlyNode = () => {
    const n = node("n1", { providerID: pid("1") });
    n.status.capacity = { ...n.status.capacity, "nvidia.com/gpu": "0" };
    n.status.allocatable = { ...n.status.allocatable, "nvidia.com/gpu": "0" };
    return n;
  };

  it("until initialized, the NodeClaim's figures fill what the Node reports as zero or not at all", () => {
    const s = new ClusterState();
    s.apply("NodeClaim", gpuClaim(), "ADDED");
    s.apply("Node", earlyNode(), "ADDED");
    const sn = s.stateNodeForNode("n1")!;
    expect(sn.allocatable()).toEqual({ cpu: "3920m", memory: "15Gi", "nvidia.com/gpu": "1", "example.com/widget": "4" });
    expect(sn.capacity()).toEqual({ cpu: "4", memory: "16Gi", "nvidia.com/gpu": "1" });
  });

  it("once initialized, the Node's own status only", () => {
    const s = new ClusterState();
    s.apply("NodeClaim", gpuClaim([{ type: "Initialized", status: "True" }]), "ADDED");
    s.apply("Node", earlyNode(), "ADDED");
    const sn = s.stateNodeForNode("n1")!;
    expect(sn.allocatable()).toEqual({ cpu: "3920m", memory: "15Gi", "nvidia.com/gpu": "0" });
  });

  it("a Node without a NodeClaim reports its own status", () => {
    const s = new ClusterState();
    s.apply("Node", earlyNode(), "ADDED");
    expect(s.stateNodeForNode("n1")!.allocatable()["nvidia.com/gpu"]).toBe("0");
  });
});
