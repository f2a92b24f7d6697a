import { buildSnapshot } from "../../../src/disruption/snapshot";
import { matchesLabelSelector as selectorMatches } from "../../../src/apis/labelSelector";
import { selectCandidates } from "../../../src/disruption/candidates";
import { DEFAULT_SETTINGS } from "../../../src/disruption/types";
import { NOW, nodePool } from "./fixtures";
import { pairObjects } from "../../../src/kube/stateNodes";

const paired = (i: { nodes: object[]; nodeClaims: object[]; pods: object[] }) => pairObjects(i.nodes as never, i.nodeClaims as never, i.pods as never);

const nodeObj = (name: string, labels: Record<string, string> = {}, extra: object = {}) => ({ metadata: { name, labels }, spec: { providerID: `aws:///us-east-1a/i-${name}` }, ...extra });
const claim = (name: string, nodeName: string) => ({
  metadata: { name, creationTimestamp: "2026-03-02T08:00:00Z", labels: { "karpenter.sh/nodepool": "default", "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": "us-east-1a", "karpenter.sh/capacity-type": "spot" } },
  spec: { expireAfter: "720h" },
  status: { nodeName, lastPodEventTime: "2026-03-02T09:00:00Z", conditions: [{ type: "Initialized", status: "True" }] },
});
const podObj = (name: string, nodeName: string, labels: Record<string, string> = {}) => ({
  metadata: { name, namespace: "web", labels, ownerReferences: [{ kind: "ReplicaSet", name: "rs", controller: true }] }, spec: { nodeName, priority: 0 }, status: { phase: "Running" },
});

describe("buildSnapshot", () => {
  const price = (t: string, z: string, ct: string) => (t === "m5.large" && z === "us-east-1a" && ct === "spot" ? 0.035 : undefined);

  it("pairs NodeClaims with Nodes, prices them and attaches bound pods with their PDBs", () => {
    const snap = buildSnapshot({
      stateNodes: paired({
      nodes: [nodeObj("n1"), nodeObj("control-plane")],
      nodeClaims: [claim("nc1", "n1"), claim("nc-pending", "not-registered")],
      pods: [podObj("a", "n1", { app: "web" }), podObj("b", "n1", { app: "other" }), podObj("pending", "")] }),
      pdbs: [{ metadata: { name: "web-pdb", namespace: "web" }, spec: { selector: { matchLabels: { app: "web" } } }, status: { disruptionsAllowed: 0 } }],
      nodePools: [nodePool()], price,
    }, NOW);
    expect(snap.nodes.map(n => [n.name, n.nodeClaimName, !!n.unmanaged])).toEqual([["control-plane", "", true], ["n1", "nc1", false]]);
    const n1 = snap.nodes[1]!;
    expect(n1).toMatchObject({ instanceType: "m5.large", capacityType: "spot", zone: "us-east-1a", pricePerHour: 0.035, nodePoolName: "default", expireAfter: "720h" });
    expect(n1.lastPodEventTime).toEqual(new Date("2026-03-02T09:00:00Z"));
    expect(n1.pods.map(p => [p.name, p.pdbs?.map(b => b.name)])).toEqual([["a", ["web-pdb"]], ["b", undefined]]);
    const sel = selectCandidates(snap, NOW, DEFAULT_SETTINGS);
    expect(sel.blocked).toEqual([{ node: "n1", nodeClaim: "nc1", reason: "pdb web/web-pdb prevents pod evictions" }]);
  });
  it("marks nodes tainted karpenter.sh/disrupted, deleting, or in a running command as being disrupted", () => {
    const snap = buildSnapshot({
      stateNodes: paired({ nodes: [nodeObj("t", {}, { spec: { taints: [{ key: "karpenter.sh/disrupted", effect: "NoSchedule" }] } }), nodeObj("c"), nodeObj("ok")],
      nodeClaims: [claim("nc-t", "t"), claim("nc-c", "c"), claim("nc-ok", "ok")], pods: [] }), pdbs: [], nodePools: [nodePool()], price, disrupting: new Set(["c"]),
    }, NOW);
    expect(snap.nodes.map(n => [n.name, n.markedForDeletion])).toEqual([["c", true], ["ok", false], ["t", true]]);
  });
});

describe("selectorMatches", () => {
  it("follows LabelSelector semantics", () => {
    expect(selectorMatches({}, { a: "1" })).toBe(true);
    expect(selectorMatches(undefined, { a: "1" })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "a", operator: "In", values: ["1", "2"] }] }, { a: "2" })).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, { a: "1" })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "b", operator: "Exists" }] }, { a: "1" })).toBe(false);
    expect(selectorMatches({ matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "DoesNotExist" }] }, { a: "1" })).toBe(true);
  });
});
