import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import type { InstanceType } from "../../../src/cloudprovider/aws/catalog/types";
import { schedule } from "../../../src/scheduling/scheduler";
import type { DaemonSet, ExistingNode, NodePool, Pod, PodSpec, SchedulingInput, SchedulingResult } from "../../../src/scheduling/types";

export const catalog: InstanceType[] = loadCatalog();
export const byName = new Map(catalog.map(t => [t.name, t]));
export const ZONE = "topology.kubernetes.io/zone";
export const HOST = "kubernetes.io/hostname";
export const CT = "karpenter.sh/capacity-type";
export const IT = "node.kubernetes.io/instance-type";

let seq = 0;
export function pod(opts: Partial<PodSpec> & { name?: string; ns?: string; labels?: Record<string, string>; cpu?: string; memory?: string; extra?: Record<string, string> } = {}): Pod {
  const { name, ns, labels, cpu, memory, extra, ...spec } = opts;
  const requests: Record<string, string> = { ...(extra ?? {}) };
  if (cpu !== undefined) requests.cpu = cpu; else requests.cpu = "100m";
  if (memory !== undefined) requests.memory = memory;
  return {
    metadata: { name: name ?? `pod-${++seq}`, namespace: ns ?? "default", labels: labels ?? {} },
    spec: { containers: [{ name: "c", resources: { requests } }], ...spec },
  };
}
export function pods(n: number, f: (i: number) => Pod): Pod[] { return Array.from({ length: n }, (_, i) => f(i)); }

export function nodePool(name = "default", spec: Partial<NodePool["spec"]["template"]["spec"]> & { limits?: Record<string, string | number>; weight?: number; replicas?: number; labels?: Record<string, string> } = {}): NodePool {
  const { limits, weight, replicas, labels, ...tspec } = spec;
  return {
    metadata: { name },
    spec: {
      template: { metadata: { labels }, spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }], ...tspec } },
      limits, weight, replicas,
    },
  };
}

export function node(name: string, labels: Record<string, string>, allocatable: Record<string, string>, podsOn: Pod[] = [], taints?: ExistingNode["node"]["spec"]): ExistingNode {
  return { node: { metadata: { name, labels: { [HOST]: name, ...labels } }, spec: taints, status: { allocatable } }, pods: podsOn };
}

export function daemonSet(name: string, cpu: string, memory: string, spec: Partial<PodSpec> = {}): DaemonSet {
  return { metadata: { name, namespace: "kube-system" }, spec: { template: { metadata: { labels: { ds: name } }, spec: { containers: [{ name: "d", resources: { requests: { cpu, memory } } }], ...spec } } } };
}

export function run(input: Partial<SchedulingInput> & { pods: Pod[] }): SchedulingResult {
  return schedule({ nodePools: [nodePool()], instanceTypes: catalog, ...input });
}

export const zoneOf = (r: SchedulingResult, podName: string): string | undefined => r.newNodeClaims.find(c => c.pods.some(p => p.metadata.name === podName))?.zone;
export const claimOf = (r: SchedulingResult, podName: string) => r.newNodeClaims.find(c => c.pods.some(p => p.metadata.name === podName));
export const labelOf = (t: string, k: string): string => byName.get(t)!.labels[k]!;
