// The cluster state's pairing of Nodes with NodeClaims into StateNodes (Karpenter's state.Cluster keeps its nodes
// by providerID the same way). A Node pairs with the NodeClaim of the same providerID, else with the NodeClaim whose
// status.nodeName names it (a claim whose providerID another Node holds never pairs by name); every Node and every
// NodeClaim is in exactly one StateNode. Each change re-pairs only the objects it touches (and their partners).
import type { NodeClaim } from "../apis/generated/nodeclaims";
import type { KubeObject } from "./client";
import { StateNode, type StateNodeSource } from "./stateNode";

const providerOf = (o: { spec?: any; status?: any } | undefined, kind: "Node" | "NodeClaim"): string | undefined =>
  ((kind === "Node" ? o?.spec?.providerID : o?.status?.providerID) as string | undefined) || undefined;

export class StateNodeIndex {
  private readonly byNode = new Map<string, StateNode>();
  private readonly byClaim = new Map<string, StateNode>();
  private readonly nodeByProvider = new Map<string, string>();
  private readonly claimByProvider = new Map<string, string>();
  private readonly claimByNodeName = new Map<string, string>();

  constructor(
    private readonly source: StateNodeSource,
    private readonly nodes: ReadonlyMap<string, KubeObject>,
    private readonly claims: ReadonlyMap<string, NodeClaim>,
  ) {}

  /** A Node or NodeClaim was added, changed or deleted; the maps already hold `current` (undefined: deleted). */
  changed(kind: "Node" | "NodeClaim", name: string, previous: KubeObject | undefined, current: KubeObject | undefined) {
    const byProvider = kind === "Node" ? this.nodeByProvider : this.claimByProvider;
    const before = providerOf(previous, kind);
    if (before && byProvider.get(before) === name) byProvider.delete(before);
    const after = providerOf(current, kind);
    if (after) byProvider.set(after, name);
    if (kind === "NodeClaim") {
      const was = previous?.status?.nodeName as string | undefined;
      if (was && this.claimByNodeName.get(was) === name) this.claimByNodeName.delete(was);
      const is = current?.status?.nodeName as string | undefined;
      if (is) this.claimByNodeName.set(is, name);
      this.relink([], [name]);
    } else this.relink([name], []);
  }

  forNode(name: string): StateNode | undefined {
    return this.byNode.get(name);
  }
  forNodeClaim(name: string): StateNode | undefined {
    return this.byClaim.get(name);
  }
  forProviderID(providerID: string | undefined): StateNode | undefined {
    if (!providerID) return undefined;
    const n = this.nodeByProvider.get(providerID);
    const c = this.claimByProvider.get(providerID);
    return (n !== undefined ? this.byNode.get(n) : undefined) ?? (c !== undefined ? this.byClaim.get(c) : undefined);
  }

  /** Every StateNode: those with a Node in the Nodes' order, then the in-flight NodeClaims in the claims' order. */
  all(): StateNode[] {
    const out: StateNode[] = [];
    for (const name of this.nodes.keys()) {
      const sn = this.byNode.get(name);
      if (sn) out.push(sn);
    }
    for (const name of this.claims.keys()) {
      const sn = this.byClaim.get(name);
      if (sn && !sn.node) out.push(sn);
    }
    return out;
  }

  /** The NodeClaim a Node pairs with: same providerID, else one naming it in status.nodeName. */
  private claimFor(nodeName: string): string | undefined {
    const node = this.nodes.get(nodeName);
    if (!node) return undefined;
    const pid = providerOf(node, "Node");
    // Two Nodes reporting one providerID: only the one the index holds pairs by it.
    const byPid = pid && this.nodeByProvider.get(pid) === nodeName ? this.claimByProvider.get(pid) : undefined;
    if (byPid !== undefined && this.claims.has(byPid)) return byPid;
    const byName = this.claimByNodeName.get(nodeName);
    if (byName === undefined || !this.claims.has(byName)) return undefined;
    const claimPid = providerOf(this.claims.get(byName), "NodeClaim");
    // Another instance's Node under the claim's node name (EC2 reuses private IPs, names derive from them).
    if (pid && claimPid && pid !== claimPid) return undefined;
    const other = this.nodeByProvider.get(claimPid ?? "");
    return other === undefined || other === nodeName ? byName : undefined;
  }

  /** The Node a NodeClaim pairs with: the one whose claimFor is this claim (so the pairing is one to one). */
  private nodeFor(claimName: string): string | undefined {
    const claim = this.claims.get(claimName);
    if (!claim) return undefined;
    const byPid = this.nodeByProvider.get(providerOf(claim, "NodeClaim") ?? "");
    if (byPid !== undefined && this.nodes.has(byPid)) return this.claimFor(byPid) === claimName ? byPid : undefined;
    const byName = claim.status?.nodeName as string | undefined;
    return byName !== undefined && this.claimFor(byName) === claimName ? byName : undefined;
  }

  private relink(nodeNames: string[], claimNames: string[]): void {
    const nodes = new Set(nodeNames);
    const claims = new Set(claimNames);
    // Close over partners old (current StateNodes) and new (pairing rules) until nothing more is touched.
    for (let size = -1; size !== nodes.size + claims.size; ) {
      size = nodes.size + claims.size;
      for (const n of nodes) {
        const old = this.byNode.get(n)?.nodeClaimName;
        if (old !== undefined) claims.add(old);
        const c = this.claimFor(n);
        if (c !== undefined) claims.add(c);
      }
      for (const c of claims) {
        const old = this.byClaim.get(c)?.nodeName;
        if (old !== undefined) nodes.add(old);
        const n = this.nodeFor(c);
        if (n !== undefined) nodes.add(n);
      }
    }
    const oldByNode = new Map<string, StateNode>();
    const oldByClaim = new Map<string, StateNode>();
    for (const n of nodes) {
      const sn = this.byNode.get(n);
      if (sn) oldByNode.set(n, sn);
      this.byNode.delete(n);
    }
    for (const c of claims) {
      const sn = this.byClaim.get(c);
      if (sn) oldByClaim.set(c, sn);
      this.byClaim.delete(c);
    }
    // A NodeClaim's StateNode keeps its identity when its Node joins; a Node's when its NodeClaim goes.
    const used = new Set<StateNode>();
    const reuse = (...candidates: Array<StateNode | undefined>): StateNode => {
      const sn =
        candidates.find((x) => x !== undefined && !used.has(x)) ?? new StateNode(this.source, undefined, undefined);
      used.add(sn);
      return sn;
    };
    for (const n of nodes) {
      const node = this.nodes.get(n);
      if (!node) continue;
      const c = this.claimFor(n);
      const sn = reuse(c !== undefined ? oldByClaim.get(c) : undefined, oldByNode.get(n));
      sn.pair(node, c !== undefined ? this.claims.get(c) : undefined);
      this.byNode.set(n, sn);
      if (c !== undefined) this.byClaim.set(c, sn);
    }
    for (const c of claims) {
      const claim = this.claims.get(c);
      if (!claim || this.byClaim.has(c)) continue;
      const sn = reuse(oldByClaim.get(c));
      sn.pair(undefined, claim);
      this.byClaim.set(c, sn);
    }
  }
}

/**
 * StateNodes over plain object lists, the objects as given (no slimming, no nominations): for offline callers
 * (`capsicum plan`, benches, tests) that hold lists rather than a watched cluster state.
 */
export function pairObjects(nodes: KubeObject[], claims: NodeClaim[], pods: KubeObject[] = []): StateNode[] {
  const byNode = new Map<string, KubeObject[]>();
  for (const p of pods) {
    const n = p.spec?.nodeName as string | undefined;
    if (n) byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const podMap = new Map(pods.map((p) => [`${p.metadata.namespace ?? "default"}/${p.metadata.name}`, p]));
  const source: StateNodeSource = {
    podsOnNode: (name) => byNode.get(name) ?? [],
    pods: podMap,
    nominationOf: () => undefined,
  };
  const nodeMap = new Map<string, KubeObject>();
  const claimMap = new Map<string, NodeClaim>();
  const index = new StateNodeIndex(source, nodeMap, claimMap);
  for (const n of nodes) {
    nodeMap.set(n.metadata.name, n);
    index.changed("Node", n.metadata.name, undefined, n);
  }
  for (const c of claims) {
    claimMap.set(c.metadata.name!, c);
    index.changed("NodeClaim", c.metadata.name!, undefined, c as unknown as KubeObject);
  }
  return index.all();
}
