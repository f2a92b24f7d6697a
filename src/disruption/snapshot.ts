// Builds the disruption snapshot from the cluster state's StateNodes (each Node already paired with its NodeClaim):
// one NodeInfo view per registered StateNode, its bound pods with the PDBs that select them, its offering priced.
// Pure and structural, so the engine stays free of client code; the controller calls it once per pass.
import { matchesLabelSelector } from "../apis/labelSelector";
import type { StateNode } from "../kube/stateNode";
import type { Pod } from "../scheduling/types";
import type { ClusterSnapshot, Condition, NodeInfo, NodePoolLike, PdbRef, PodInfo } from "./types";

export interface KubeObjectLike {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
    deletionTimestamp?: string;
    creationTimestamp?: string;
  };
  spec?: any;
  status?: any;
}

export interface SnapshotInput {
  /** The cluster state's pairs (ClusterState.stateNodes()); NodeClaims still in flight are skipped. */
  stateNodes: StateNode[];
  pdbs: KubeObjectLike[];
  nodePools: NodePoolLike[];
  /** $/h of an offering (NodeOverlay-adjusted if applicable); undefined when unknown. */
  price(instanceType: string, zone: string, capacityType: string): number | undefined;
  /** Node names already in an executing disruption command (count against budgets, never re-picked). */
  disrupting?: ReadonlySet<string>;
}

export function toPodInfo(p: KubeObjectLike, pdbs: KubeObjectLike[]): PodInfo {
  const owner = p.metadata.ownerReferences?.find((o) => o.controller);
  const ns = p.metadata.namespace ?? "default";
  const labels = p.metadata.labels ?? {};
  const matching: PdbRef[] = pdbs
    .filter((b) => (b.metadata.namespace ?? "default") === ns && matchesLabelSelector(b.spec?.selector, labels))
    .map((b) => ({
      namespace: ns,
      name: b.metadata.name,
      disruptionsAllowed: Number(b.status?.disruptionsAllowed ?? 0),
    }));
  return {
    namespace: ns,
    name: p.metadata.name,
    uid: p.metadata.uid,
    labels,
    annotations: p.metadata.annotations,
    ownerKind: owner?.kind,
    priority: p.spec?.priority,
    priorityClassName: p.spec?.priorityClassName,
    startTime: p.status?.startTime,
    phase: p.status?.phase,
    deletionTimestamp: p.metadata.deletionTimestamp,
    terminationGracePeriodSeconds: p.spec?.terminationGracePeriodSeconds,
    tolerations: p.spec?.tolerations,
    pdbs: matching.length ? matching : undefined,
    pod: p as unknown as Pod,
  };
}

const date = (s: string | undefined, fallback: Date): Date => (s ? new Date(s) : fallback);

export function buildSnapshot(input: SnapshotInput, now: Date): ClusterSnapshot {
  const out: NodeInfo[] = [];
  for (const sn of input.stateNodes) {
    const node = sn.node as KubeObjectLike | undefined;
    if (!node) continue; // not registered yet: nothing to disrupt, and no capacity to simulate onto
    const pods = sn.pods().map((p) => toPodInfo(p as KubeObjectLike, input.pdbs));
    const nc = sn.nodeClaim as KubeObjectLike | undefined;
    if (!nc) {
      out.push({
        name: node.metadata.name,
        nodeClaimName: "",
        nodePoolName: "",
        unmanaged: true,
        labels: node.metadata.labels ?? {},
        instanceType: "",
        capacityType: "on-demand",
        zone: "",
        pricePerHour: 0,
        createdAt: date(node.metadata.creationTimestamp, now),
        conditions: [],
        markedForDeletion: !!node.metadata.deletionTimestamp,
        pods,
        stateNode: sn,
      });
      continue;
    }
    const labels = { ...(nc.metadata.labels ?? {}), ...(node.metadata.labels ?? {}) };
    const instanceType = labels["node.kubernetes.io/instance-type"] ?? "";
    const zone = labels["topology.kubernetes.io/zone"] ?? "";
    const capacityType = (labels["karpenter.sh/capacity-type"] ?? "on-demand") as NodeInfo["capacityType"];
    out.push({
      name: node.metadata.name,
      nodeClaimName: nc.metadata.name,
      nodePoolName: sn.nodePoolName(),
      labels,
      nodeAnnotations: node.metadata.annotations,
      nodeClaimAnnotations: nc.metadata.annotations,
      instanceType,
      capacityType,
      zone,
      pricePerHour: input.price(instanceType, zone, capacityType) ?? 0,
      createdAt: date(nc.metadata.creationTimestamp, now),
      lastPodEventTime: nc.status?.lastPodEventTime ? new Date(nc.status.lastPodEventTime) : undefined,
      conditions: (nc.status?.conditions ?? []) as Condition[],
      markedForDeletion: sn.markedForDeletion() || !!input.disrupting?.has(node.metadata.name),
      nominated: sn.nominated(now.getTime()) || undefined,
      expireAfter: nc.spec?.expireAfter,
      terminationGracePeriod: nc.spec?.terminationGracePeriod,
      pods,
      stateNode: sn,
    });
  }
  out.sort((a, b) => a.name.localeCompare(b.name));
  return { nodes: out, nodePools: input.nodePools };
}
