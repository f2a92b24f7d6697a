// Test fixtures: small builders and a first-fit simulator double standing in for the scheduler in unit tests
// (the real adapter over schedule() is exercised separately).
import type { ClusterSnapshot, NodeInfo, NodePoolLike, PodInfo, ReplacementOption, SimulatedNodeClaim, Simulator } from "../../../src/disruption/types";

export const NOW = new Date("2026-03-02T10:00:00Z"); // a Monday
export const HOUR = 3_600_000;

export function nodePool(name = "default", disruption: NodePoolLike["spec"]["disruption"] = {}, extra: Partial<NodePoolLike["spec"]["template"]["spec"]> = {}): NodePoolLike {
  return {
    metadata: { name },
    spec: {
      template: { metadata: { labels: { team: "a" } }, spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [], ...extra } },
      disruption: { consolidateAfter: "0s", budgets: [{ nodes: "100%" }], ...disruption },
    },
  };
}

let podSeq = 0;
export function pod(overrides: Partial<PodInfo> = {}, cpu = 500, mem = 512 * 2 ** 20): PodInfo {
  podSeq++;
  return { namespace: "default", name: `p${podSeq}`, uid: `uid-${podSeq}`, ownerKind: "ReplicaSet", requests: { cpu, memory: mem }, ...overrides };
}

export function node(name: string, overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name, nodeClaimName: `nc-${name}`, nodePoolName: "default", labels: {},
    instanceType: "m5.xlarge", capacityType: "on-demand", zone: "us-east-1a", pricePerHour: 0.192,
    createdAt: new Date(NOW.getTime() - 2 * HOUR), lastPodEventTime: new Date(NOW.getTime() - HOUR),
    conditions: [{ type: "Initialized", status: "True" }], markedForDeletion: false, pods: [],
    allocatable: { cpu: 4000, memory: 16 * 2 ** 30 },
    ...overrides,
  };
}

export interface CatalogEntry { instanceType: string; capacityType: "spot" | "on-demand"; pricePerHour: number; cpu: number; memory: number }
export const CATALOG: CatalogEntry[] = [
  { instanceType: "t3.medium", capacityType: "on-demand", pricePerHour: 0.0416, cpu: 2000, memory: 4 * 2 ** 30 },
  { instanceType: "m5.large", capacityType: "on-demand", pricePerHour: 0.096, cpu: 2000, memory: 8 * 2 ** 30 },
  { instanceType: "m5.xlarge", capacityType: "on-demand", pricePerHour: 0.192, cpu: 4000, memory: 16 * 2 ** 30 },
  { instanceType: "m5.2xlarge", capacityType: "on-demand", pricePerHour: 0.384, cpu: 8000, memory: 32 * 2 ** 30 },
  { instanceType: "m5.4xlarge", capacityType: "on-demand", pricePerHour: 0.768, cpu: 16000, memory: 64 * 2 ** 30 },
];

const req = (p: PodInfo, k: string): number => p.requests?.[k] ?? 0;

/** First-fit onto surviving nodes, then pack the rest onto new NodeClaims offering every catalog entry that fits. */
export function firstFitSimulator(catalog: CatalogEntry[] = CATALOG, nodePoolName = "default"): Simulator & { calls: number } {
  const sim = {
    calls: 0,
    simulate({ snapshot, pods, removedNodes }: { snapshot: ClusterSnapshot; pods: PodInfo[]; removedNodes: ReadonlySet<string> }) {
      sim.calls++;
      const free = snapshot.nodes
        .filter(n => !removedNodes.has(n.name) && !n.markedForDeletion)
        .map(n => ({
          cpu: (n.allocatable?.cpu ?? 0) - n.pods.reduce((s, p) => s + req(p, "cpu"), 0),
          memory: (n.allocatable?.memory ?? 0) - n.pods.reduce((s, p) => s + req(p, "memory"), 0),
        }));
      const sorted = [...pods].sort((a, b) => req(b, "cpu") - req(a, "cpu") || a.name.localeCompare(b.name));
      const groups: PodInfo[][] = [];
      const biggest = catalog.reduce((m, c) => (c.cpu > m.cpu ? c : m), catalog[0]!);
      const unschedulable: Array<{ pod: PodInfo; reason: string }> = [];
      for (const p of sorted) {
        const slot = free.find(f => f.cpu >= req(p, "cpu") && f.memory >= req(p, "memory"));
        if (slot) { slot.cpu -= req(p, "cpu"); slot.memory -= req(p, "memory"); continue; }
        if (p.labels?.["unschedulable"]) { unschedulable.push({ pod: p, reason: "no instance type satisfies requirements" }); continue; }
        const g = groups.find(gr => gr.reduce((s, x) => s + req(x, "cpu"), 0) + req(p, "cpu") <= biggest.cpu);
        if (g) g.push(p); else groups.push([p]);
      }
      const newNodeClaims: SimulatedNodeClaim[] = groups.map(g => {
        const cpu = g.reduce((s, x) => s + req(x, "cpu"), 0);
        const memory = g.reduce((s, x) => s + req(x, "memory"), 0);
        const options: ReplacementOption[] = catalog.filter(c => c.cpu >= cpu && c.memory >= memory)
          .map(c => ({ instanceType: c.instanceType, capacityType: c.capacityType, pricePerHour: c.pricePerHour }));
        return { nodePoolName, options, podCount: g.length };
      });
      return { unschedulable, newNodeClaims };
    },
  };
  return sim;
}
