// One Node paired with its NodeClaim, as the cluster state keeps them (Karpenter's state.StateNode): a NodeClaim
// still launching (no Node yet), a Node with its NodeClaim, or a Node capsicum did not launch (no NodeClaim). The
// cluster state re-pairs them as Nodes and NodeClaims change (by providerID, else the NodeClaim's status.nodeName),
// so controllers read the pair, its bound pods and their requests, and its nomination without pairing themselves.
import { isOwnedByDaemonSet, isTerminal } from "../apis/pods";
import { podResourcesOrEmpty } from "../apis/podResources";
import { addResources, isZeroQuantity, type ResourceMap } from "../apis/quantity";
import type { NodeClaim } from "../apis/generated/nodeclaims";
import { isKnownEphemeralTaint, LabelRegistered, matchTaint, TaintDisrupted } from "../lifecycle/constants";
import type { KubeObject } from "./client";

type Taint = { key: string; value?: string; effect: string };

type ResourceList = Record<string, string>;

/** The provisioner's nomination of a NodeClaim: the pods it planned onto it, until when. */
export interface Nomination {
  untilMs: number;
  pods: string[];
}

/** What a StateNode reads from the cluster state that owns it (pods by node, pods by key, nominations). */
export interface StateNodeSource {
  podsOnNode(nodeName: string): KubeObject[];
  readonly pods: ReadonlyMap<string, KubeObject>;
  nominationOf(nodeClaimName: string): Nomination | undefined;
}

const conditionTrue = (nc: NodeClaim | undefined, type: string): boolean =>
  (nc?.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");

export class StateNode {
  /** Set by the cluster state only (it re-pairs on every Node/NodeClaim change). */
  constructor(
    private readonly source: StateNodeSource,
    private nodeObj: KubeObject | undefined,
    private claimObj: NodeClaim | undefined,
  ) {}

  /** @internal the cluster state's re-pairing */
  pair(node: KubeObject | undefined, nodeClaim: NodeClaim | undefined): void {
    this.nodeObj = node;
    this.claimObj = nodeClaim;
  }

  get node(): KubeObject | undefined {
    return this.nodeObj;
  }
  get nodeClaim(): NodeClaim | undefined {
    return this.claimObj;
  }
  get nodeName(): string | undefined {
    return this.nodeObj?.metadata.name;
  }
  get nodeClaimName(): string | undefined {
    return this.claimObj?.metadata.name;
  }
  /** The Node's name once it joined, else the NodeClaim's (Karpenter's StateNode.Name for a registered pair). */
  get name(): string {
    return this.nodeObj?.metadata.name ?? this.claimObj!.metadata.name!;
  }
  get providerID(): string | undefined {
    return (this.nodeObj?.spec?.providerID as string | undefined) || this.claimObj?.status?.providerID || undefined;
  }

  /** Launched by capsicum/Karpenter: it has a NodeClaim, or its Node carries a NodePool label. */
  managed(): boolean {
    return !!this.claimObj || !!this.nodeObj?.metadata.labels?.["karpenter.sh/nodepool"];
  }
  /** In flight: a NodeClaim whose Node has not joined. */
  inFlight(): boolean {
    return !this.nodeObj;
  }
  /** The Node joined: its NodeClaim says Registered (or the Node carries karpenter.sh/registered); any unmanaged Node. */
  registered(): boolean {
    if (!this.nodeObj) return false;
    if (!this.claimObj) return true;
    return conditionTrue(this.claimObj, "Registered") || this.nodeObj.metadata.labels?.[LabelRegistered] === "true";
  }
  /** The NodeClaim says Initialized; a Node with no NodeClaim always is (as Karpenter). */
  initialized(): boolean {
    if (!this.claimObj) return !!this.nodeObj;
    return !!this.nodeObj && conditionTrue(this.claimObj, "Initialized");
  }

  /** Labels and taints come from the Node once it joined, from the NodeClaim while it is in flight. */
  labels(): Record<string, string> {
    return (
      (this.nodeObj ? this.nodeObj.metadata.labels : this.claimObj?.metadata.labels) ?? ({} as Record<string, string>)
    );
  }
  annotations(): Record<string, string> {
    return (this.nodeObj ? this.nodeObj.metadata.annotations : this.claimObj?.metadata.annotations) ?? {};
  }
  taints(): Taint[] {
    return ((this.nodeObj ? this.nodeObj.spec?.taints : this.claimObj?.spec?.taints) ?? []) as Taint[];
  }
  /**
   * The taints the scheduler holds against this node (Karpenter's StateNode.Taints): the NodeClaim's until a managed
   * Node is registered; until it is initialized, without the known ephemeral taints (not-ready, unreachable, the
   * cloud provider's uninitialized, karpenter.sh/unregistered, readiness.k8s.io/*) and its startup taints, which
   * are about to go. Otherwise a node that has just joined looks untolerable and its pods get another NodeClaim.
   */
  schedulingTaints(): Taint[] {
    const managed = this.managed();
    const taints = (
      (!this.registered() && managed) || !this.nodeObj ? (this.claimObj?.spec?.taints ?? []) : this.taints()
    ) as Taint[];
    if (!managed || this.initialized()) return taints;
    const startup = (this.claimObj?.spec?.startupTaints ?? []) as Taint[];
    return taints.filter((t) => !isKnownEphemeralTaint(t) && !startup.some((s) => matchTaint(s, t)));
  }
  nodePoolName(): string {
    return this.labels()["karpenter.sh/nodepool"] ?? this.claimObj?.metadata.labels?.["karpenter.sh/nodepool"] ?? "";
  }

  /**
   * Karpenter's StateNode.Capacity/Allocatable: the Node's status once initialized; before that the NodeClaim's
   * launch figures fill every resource the Node reports as zero or not at all (a GPU or an overlay's extended
   * resource appears on the Node only once its device plugin runs: until then the pods it was launched for must
   * still fit it, or each batch would launch another node for them).
   */
  capacity(): ResourceList {
    return this.resources("capacity");
  }
  allocatable(): ResourceList {
    return this.resources("allocatable");
  }
  private resources(field: "capacity" | "allocatable"): ResourceList {
    const onNode = (this.nodeObj?.status?.[field] ?? undefined) as ResourceList | undefined;
    const fromClaim = (this.claimObj?.status?.[field] ?? undefined) as ResourceList | undefined;
    if (this.initialized() || !this.claimObj) return onNode ?? fromClaim ?? {};
    if (!this.nodeObj) return fromClaim ?? {};
    const out: ResourceList = { ...(onNode ?? {}) };
    for (const [k, v] of Object.entries(fromClaim ?? {})) if (isZeroQuantity(out[k])) out[k] = v;
    return out;
  }

  /** Every pod bound to the Node (none while in flight), terminal ones included. */
  pods(): KubeObject[] {
    return this.nodeObj ? this.source.podsOnNode(this.nodeObj.metadata.name) : [];
  }
  /** Summed effective requests/limits of the bound pods still holding capacity (not Succeeded/Failed). */
  podRequests(): ResourceMap {
    return this.sum("requests", false);
  }
  podLimits(): ResourceMap {
    return this.sum("limits", false);
  }
  /** The same, DaemonSet pods only (what every node of this shape spends before any workload). */
  daemonSetRequests(): ResourceMap {
    return this.sum("requests", true);
  }
  daemonSetLimits(): ResourceMap {
    return this.sum("limits", true);
  }
  private sum(which: "requests" | "limits", daemonSetOnly: boolean): ResourceMap {
    let total: ResourceMap = {};
    for (const p of this.pods()) {
      if (isTerminal(p) || (daemonSetOnly && !isOwnedByDaemonSet(p))) continue;
      total = addResources(total, podResourcesOrEmpty(p, which));
    }
    return total;
  }

  /** The Node or its NodeClaim has a deletionTimestamp. */
  deleting(): boolean {
    return !!this.nodeObj?.metadata.deletionTimestamp || !!this.claimObj?.metadata.deletionTimestamp;
  }
  /** Going away: deleting, or its Node carries karpenter.sh/disrupted:NoSchedule (a disruption or interruption). */
  markedForDeletion(): boolean {
    return this.deleting() || this.hasDisruptedTaint();
  }
  hasDisruptedTaint(): boolean {
    return (this.nodeObj?.spec?.taints ?? []).some(
      (t: Taint) => t.key === TaintDisrupted.key && t.effect === TaintDisrupted.effect,
    );
  }

  /** When the provisioner's nomination of this NodeClaim ends (undefined: never nominated, or it is gone). */
  nominatedUntil(): number | undefined {
    return this.claimObj ? this.source.nominationOf(this.claimObj.metadata.name!)?.untilMs : undefined;
  }
  /**
   * Nominated = within the window and some planned pod still waits for it: pending, or still on another node
   * (a draining one). Once they are bound here the node is simply in use, and disruption judges it as such.
   */
  nominated(nowMs: number): boolean {
    const n = this.claimObj ? this.source.nominationOf(this.claimObj.metadata.name!) : undefined;
    if (!n || n.untilMs <= nowMs) return false;
    const here = this.nodeObj?.metadata.name;
    return n.pods.some((k) => {
      const p = this.source.pods.get(k);
      return p !== undefined && !p.metadata.deletionTimestamp && p.spec?.nodeName !== here;
    });
  }
}
