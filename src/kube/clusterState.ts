// The in-memory model every controller reads (Karpenter's state.Cluster): nodes, NodeClaims, pods (bound and
// pending), daemonsets, NodePools, NodeClasses and PDBs, fed by watch events and by our own writes. Reading it
// instead of listing the apiserver keeps decisions fast and API load flat (pepr-details §6.6); it stores slim
// projections only (see slim.ts) because the single watcher replica holds every pod in the cluster.
import { NodePoolHealth } from "./nodePoolHealth";
import { isOwnedByDaemonSet, isOwnedByNode, isTerminal, podKey } from "../apis/pods";
import type { NodeClaim } from "../apis/generated/nodeclaims";
import type { NodePool } from "../apis/generated/nodepools";
import { KubeObject, KindName } from "./client";
import { PodSchedulingTimes } from "./podSchedulingTimes";
import { slimCustom, slimDaemonSet, slimNamespace, slimNode, slimNodeClaim, slimPdb, slimPod } from "./slim";
import { slimStorage } from "./slimStorage";
import type { VolumeSources } from "../scheduling/volumes";
import type { Nomination, StateNode } from "./stateNode";
import { StateNodeIndex } from "./stateNodes";

export type Phase = "ADDED" | "MODIFIED" | "DELETED";
export type StateKind = Exclude<KindName, "Event">;

export { podKey } from "../apis/pods";

/** Numeric comparison of resourceVersions (etcd revisions); unknown formats never count as stale. */
function isStale(incoming: KubeObject, current: KubeObject | undefined): boolean {
  const a = Number(incoming.metadata.resourceVersion),
    b = Number(current?.metadata.resourceVersion);
  return Number.isFinite(a) && Number.isFinite(b) && a < b;
}

export interface StateChange {
  kind: StateKind;
  key: string;
  phase: Phase;
  obj: KubeObject;
  previous?: KubeObject;
}

export class ClusterState {
  readonly nodes = new Map<string, KubeObject>();
  readonly nodeClaims = new Map<string, NodeClaim>();
  readonly pods = new Map<string, KubeObject>();
  readonly daemonSets = new Map<string, KubeObject>();
  readonly nodePools = new Map<string, NodePool>();
  readonly nodeClasses = new Map<string, KubeObject>();
  readonly pdbs = new Map<string, KubeObject>();
  /** karpenter.sh/v1alpha1 NodeOverlays (always watched: with the NodeOverlay gate off each one is told it is not applied). */
  readonly nodeOverlays = new Map<string, KubeObject>();
  /** Storage objects (slim): claims by `namespace/name`, the rest by name. */
  readonly persistentVolumeClaims = new Map<string, KubeObject>();
  readonly persistentVolumes = new Map<string, KubeObject>();
  readonly storageClasses = new Map<string, KubeObject>();
  readonly csiNodes = new Map<string, KubeObject>();
  readonly volumeAttachments = new Map<string, KubeObject>();
  /** Namespaces, name and labels only (pod (anti-)affinity namespaceSelectors). */
  readonly namespaces = new Map<string, KubeObject>();
  /** When the provisioner saw, decided and placed each pending pod (the pod metrics read them). */
  readonly podSchedulingTimes = new PodSchedulingTimes();
  /** The last launches' outcomes per NodePool UID (NodeRegistrationHealthy), as Karpenter keeps them in its state. */
  readonly nodePoolHealth = new NodePoolHealth();
  private readonly podsByNode = new Map<string, Set<string>>();
  /** Keys of the provisionable pods, kept on every change: a batch reads the backlog, not every pod. */
  private readonly provisionable = new Set<string>();
  /** Each Node paired with its NodeClaim (in-flight NodeClaims and unmanaged Nodes alone), re-paired on every change. */
  private readonly paired = new StateNodeIndex(this, this.nodes, this.nodeClaims);
  /** pod key -> NodeClaim name the provisioner planned it onto (cleared when the pod binds or the claim goes). */
  private readonly nominations = new Map<string, string>();
  /** NodeClaim name -> the pods the provisioner planned onto it, until when (Karpenter's StateNode nomination). */
  private readonly nominatedUntil = new Map<string, Nomination>();
  /** Deleted keys remember their last resourceVersion so a late MODIFIED cannot resurrect them. */
  private readonly tombstones = new Map<string, number>();
  private synced = false;
  private changeCount = 0;

  /**
   * Bumped by every applied change and nomination: consolidation skips work while it is unchanged since a pass that
   * found nothing (Karpenter's ConsolidationState).
   */
  get changeVersion(): number {
    return this.changeCount;
  }

  /** True once the initial list of every kind has been applied (the provisioner waits for it). */
  get isSynced(): boolean {
    return this.synced;
  }
  markSynced(): void {
    this.synced = true;
  }

  apply(kind: StateKind, raw: KubeObject, phase: Phase): StateChange | undefined {
    const key =
      kind === "Pod" || kind === "DaemonSet" || kind === "PodDisruptionBudget" || kind === "PersistentVolumeClaim"
        ? podKey(raw)
        : raw.metadata.name;
    const map = this.mapOf(kind);
    const previous = map.get(key) as KubeObject | undefined;
    const tomb = this.tombstones.get(`${kind}/${key}`);
    if (phase !== "DELETED") {
      if (isStale(raw, previous)) return undefined;
      // Strictly older than the deletion only: an object seen again at the very version we dropped it at (a
      // relist after a falsely synthesised DELETED) still exists and must come back.
      if (tomb !== undefined && Number(raw.metadata.resourceVersion) < tomb) return undefined;
    }
    if (phase === "DELETED") {
      if (!previous) return undefined;
      map.delete(key);
      const rv = Number(raw.metadata.resourceVersion);
      if (Number.isFinite(rv)) this.tombstones.set(`${kind}/${key}`, rv);
      if (this.tombstones.size > 10_000) this.tombstones.delete(this.tombstones.keys().next().value as string);
      this.unindex(kind, key, previous);
      if (kind === "Pod") this.podSchedulingTimes.clear(key);
      if (kind === "Node" || kind === "NodeClaim") this.paired.changed(kind, key, previous, undefined);
      this.changeCount++;
      return { kind, key, phase, obj: previous, previous };
    }
    const obj = this.slim(kind, raw);
    if (previous) this.unindex(kind, key, previous);
    (map as Map<string, KubeObject>).set(key, obj);
    this.index(kind, key, obj);
    if (kind === "Node" || kind === "NodeClaim") this.paired.changed(kind, key, previous, obj);
    this.changeCount++;
    return { kind, key, phase, obj, previous };
  }

  private slim(kind: StateKind, o: KubeObject): KubeObject {
    switch (kind) {
      case "Pod":
        return slimPod(o);
      case "Node":
        return slimNode(o);
      case "DaemonSet":
        return slimDaemonSet(o);
      case "PodDisruptionBudget":
        return slimPdb(o);
      case "NodeClaim":
        return slimNodeClaim(o);
      case "PersistentVolumeClaim":
      case "PersistentVolume":
      case "StorageClass":
      case "CSINode":
      case "VolumeAttachment":
        return slimStorage(kind, o);
      case "Namespace":
        return slimNamespace(o);
      default:
        return slimCustom(o);
    }
  }

  private mapOf(kind: StateKind): Map<string, KubeObject> {
    switch (kind) {
      case "Pod":
        return this.pods;
      case "Node":
        return this.nodes;
      case "NodeClaim":
        return this.nodeClaims as unknown as Map<string, KubeObject>;
      case "DaemonSet":
        return this.daemonSets;
      case "NodePool":
        return this.nodePools as unknown as Map<string, KubeObject>;
      case "EC2NodeClass":
        return this.nodeClasses;
      case "PodDisruptionBudget":
        return this.pdbs;
      case "NodeOverlay":
        return this.nodeOverlays;
      case "PersistentVolumeClaim":
        return this.persistentVolumeClaims;
      case "PersistentVolume":
        return this.persistentVolumes;
      case "StorageClass":
        return this.storageClasses;
      case "CSINode":
        return this.csiNodes;
      case "VolumeAttachment":
        return this.volumeAttachments;
      case "Namespace":
        return this.namespaces;
    }
  }

  private index(kind: StateKind, key: string, obj: KubeObject): void {
    if (kind === "Pod") {
      if (isProvisionable(obj)) this.provisionable.add(key);
      const n = obj.spec?.nodeName as string | undefined;
      if (n) {
        let s = this.podsByNode.get(n);
        if (!s) this.podsByNode.set(n, (s = new Set()));
        s.add(key);
        this.nominations.delete(key);
      }
    }
  }

  private unindex(kind: StateKind, key: string, obj: KubeObject): void {
    if (kind === "Pod") {
      this.provisionable.delete(key);
      const n = obj.spec?.nodeName as string | undefined;
      if (n) {
        const s = this.podsByNode.get(n);
        s?.delete(key);
        if (s && s.size === 0) this.podsByNode.delete(n);
      }
      if (!this.pods.has(key)) this.nominations.delete(key);
    } else if (kind === "NodeClaim") {
      if (!this.nodeClaims.has(key)) {
        for (const [p, c] of this.nominations) if (c === key) this.nominations.delete(p);
        this.nominatedUntil.delete(key);
      }
    }
  }

  // ---- queries -------------------------------------------------------------------------------------------

  /** Every Node with its NodeClaim, then every NodeClaim still in flight (Karpenter's Cluster.Nodes). */
  stateNodes(): StateNode[] {
    return this.paired.all();
  }
  stateNodeForNode(nodeName: string): StateNode | undefined {
    return this.paired.forNode(nodeName);
  }
  stateNodeForNodeClaim(nodeClaimName: string): StateNode | undefined {
    return this.paired.forNodeClaim(nodeClaimName);
  }
  stateNodeForProviderID(providerID: string | undefined): StateNode | undefined {
    return this.paired.forProviderID(providerID);
  }

  /** The Node paired with the NodeClaim of this providerID (or reporting it). */
  nodeForProviderID(providerID: string | undefined): KubeObject | undefined {
    return this.paired.forProviderID(providerID)?.node;
  }

  /** The NodeClaim backing a Node; for a Node just deleted (a watch event's object), the one of its providerID. */
  nodeClaimForNode(node: KubeObject): NodeClaim | undefined {
    const live = this.paired.forNode(node.metadata.name);
    return live ? live.nodeClaim : this.paired.forProviderID(node.spec?.providerID)?.nodeClaim;
  }

  podsOnNode(nodeName: string): KubeObject[] {
    // One array per call (asked for every node in each batch), not three.
    const out: KubeObject[] = [];
    const keys = this.podsByNode.get(nodeName);
    if (keys)
      for (const k of keys) {
        const p = this.pods.get(k);
        if (p) out.push(p);
      }
    return out;
  }

  nodeClaimsOfPool(nodePool: string): NodeClaim[] {
    return [...this.nodeClaims.values()].filter((nc) => nc.metadata.labels?.["karpenter.sh/nodepool"] === nodePool);
  }

  /** The storage objects a solve reads (volume topology, attach limits), as the scheduler's VolumeSources. */
  volumeSources(): VolumeSources {
    return {
      claims: this.persistentVolumeClaims as unknown as VolumeSources["claims"],
      volumes: this.persistentVolumes as unknown as VolumeSources["volumes"],
      storageClasses: this.storageClasses as unknown as VolumeSources["storageClasses"],
      csiNodes: this.csiNodes as unknown as VolumeSources["csiNodes"],
    };
  }

  /** VolumeAttachments whose spec.nodeName is this node. */
  volumeAttachmentsOnNode(nodeName: string): KubeObject[] {
    return [...this.volumeAttachments.values()].filter((va) => va.spec?.nodeName === nodeName);
  }

  nominate(podKeys: Iterable<string>, nodeClaimName: string): void {
    for (const k of podKeys) this.nominations.set(k, nodeClaimName);
  }

  /** The provisioner planned these pods onto this NodeClaim's capacity (refreshed by every pass that does). */
  nominateNodeClaim(nodeClaimName: string, podKeys: string[], untilMs: number): void {
    this.nominatedUntil.set(nodeClaimName, { untilMs, pods: podKeys });
    this.changeCount++;
  }

  nominationOf(nodeClaimName: string): Nomination | undefined {
    return this.nominatedUntil.get(nodeClaimName);
  }

  /** See StateNode.nominated: within the window, and some planned pod still waits for this NodeClaim. */
  isNodeClaimNominated(nodeClaimName: string, nowMs: number): boolean {
    return !!this.paired.forNodeClaim(nodeClaimName)?.nominated(nowMs);
  }

  nominatedNodeClaim(podKeyStr: string): string | undefined {
    return this.nominations.get(podKeyStr);
  }

  /** Pods kube-scheduler gave up on that Karpenter should provision for (Karpenter's pod.IsProvisionable). */
  pendingPods(): KubeObject[] {
    const out: KubeObject[] = [];
    for (const k of this.provisionable) out.push(this.pods.get(k)!);
    return out;
  }

  /** How many pods pendingPods() returns, without building the list (triggers check it on every event). */
  pendingCount(): number {
    return this.provisionable.size;
  }

  /** Keys of pendingPods(), in no particular order (a batch sorts these strings instead of keying each pod). */
  pendingPodKeys(): IterableIterator<string> {
    return this.provisionable.values();
  }

  counts(): Record<string, number> {
    return {
      nodes: this.nodes.size,
      nodeClaims: this.nodeClaims.size,
      pods: this.pods.size,
      daemonSets: this.daemonSets.size,
      nodePools: this.nodePools.size,
      nodeClasses: this.nodeClasses.size,
      pdbs: this.pdbs.size,
      nodeOverlays: this.nodeOverlays.size,
      persistentVolumeClaims: this.persistentVolumeClaims.size,
      persistentVolumes: this.persistentVolumes.size,
      storageClasses: this.storageClasses.size,
      csiNodes: this.csiNodes.size,
      volumeAttachments: this.volumeAttachments.size,
      namespaces: this.namespaces.size,
      nominations: this.nominations.size,
    };
  }
}

export function isProvisionable(p: KubeObject): boolean {
  if (p.spec?.nodeName) return false;
  if (p.metadata.deletionTimestamp) return false;
  if (isTerminal(p)) return false;
  if (p.status?.nominatedNodeName) return false; // kube-scheduler is preempting for it
  if (p.spec?.schedulingGates?.length) return false;
  if (isOwnedByDaemonSet(p) || isOwnedByNode(p)) return false;
  const sched = (p.status?.conditions ?? []).find((c: { type: string }) => c.type === "PodScheduled");
  return sched?.status === "False" && sched.reason === "Unschedulable";
}

export function isNodeReady(node: KubeObject): boolean {
  return (node.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True",
  );
}
