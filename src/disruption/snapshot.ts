// Builds the disruption snapshot from Kubernetes-shaped objects (what the cluster state cache holds): pairs
// NodeClaims with their Nodes, attaches bound pods with the PDBs that select them, and prices each node's offering.
// Pure and structural, so the engine stays free of client code; the controller calls it once per pass.
import { matchesLabelSelector } from "../apis/labelSelector";
import { hasDisruptedTaint } from "./taints";
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
  nodes: KubeObjectLike[];
  nodeClaims: KubeObjectLike[];
  pods: KubeObjectLike[];
  pdbs: KubeObjectLike[];
  nodePools: NodePoolLike[];
  /** $/h of an offering (NodeOverlay-adjusted if applicable); undefined when unknown. */
  price(instanceType: string, zone: string, capacityType: string): number | undefined;
  /** Node names already in an executing disruption command (count against budgets, never re-picked). */
  disrupting?: ReadonlySet<string>;
  /** NodeClaims the provisioner nominated for pods within its nomination window. */
  nominated?: (nodeClaimName: string) => boolean;
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
    raw: p,
  };
}

const date = (s: string | undefined, fallback: Date): Date => (s ? new Date(s) : fallback);

export function buildSnapshot(input: SnapshotInput, now: Date): ClusterSnapshot {
  const podsByNode = new Map<string, KubeObjectLike[]>();
  for (const p of input.pods) {
    const n = p.spec?.nodeName as string | undefined;
    if (!n) continue;
    if (!podsByNode.has(n)) podsByNode.set(n, []);
    podsByNode.get(n)!.push(p);
  }
  const nodesByName = new Map(input.nodes.map((n) => [n.metadata.name, n]));
  const nodesByProvider = new Map(
    input.nodes.filter((n) => n.spec?.providerID).map((n) => [n.spec.providerID as string, n]),
  );
  const claimed = new Set<string>();
  const out: NodeInfo[] = [];
  const podsOf = (name: string): PodInfo[] => (podsByNode.get(name) ?? []).map((p) => toPodInfo(p, input.pdbs));

  for (const nc of input.nodeClaims) {
    const node =
      (nc.status?.nodeName && nodesByName.get(nc.status.nodeName)) ||
      (nc.status?.providerID && nodesByProvider.get(nc.status.providerID)) ||
      undefined;
    if (!node) continue; // not registered yet: nothing to disrupt, and no capacity to simulate onto
    claimed.add(node.metadata.name);
    const labels = { ...(nc.metadata.labels ?? {}), ...(node.metadata.labels ?? {}) };
    const instanceType = labels["node.kubernetes.io/instance-type"] ?? "";
    const zone = labels["topology.kubernetes.io/zone"] ?? "";
    const capacityType = (labels["karpenter.sh/capacity-type"] ?? "on-demand") as NodeInfo["capacityType"];
    const tainted = hasDisruptedTaint(node as never);
    out.push({
      name: node.metadata.name,
      nodeClaimName: nc.metadata.name,
      nodePoolName: labels["karpenter.sh/nodepool"] ?? "",
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
      markedForDeletion:
        !!nc.metadata.deletionTimestamp ||
        !!node.metadata.deletionTimestamp ||
        tainted ||
        !!input.disrupting?.has(node.metadata.name),
      nominated: input.nominated?.(nc.metadata.name) || undefined,
      expireAfter: nc.spec?.expireAfter,
      terminationGracePeriod: nc.spec?.terminationGracePeriod,
      pods: podsOf(node.metadata.name),
      raw: { node, nodeClaim: nc },
    });
  }
  for (const node of input.nodes) {
    if (claimed.has(node.metadata.name)) continue;
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
      pods: podsOf(node.metadata.name),
      raw: { node },
    });
  }
  out.sort((a, b) => a.name.localeCompare(b.name));
  return { nodes: out, nodePools: input.nodePools };
}
