// Scheduling throughput over the full us-east-1 catalog with the pod mixes of Karpenter's own benchmark
// (kubernetes-sigs/karpenter pkg/controllers/provisioning/scheduling/scheduling_benchmark_test.go):
// "generic" pods with random cpu/memory, and the "diverse" mix = 1/5 each of generic, zone spread, hostname spread,
// zone pod affinity and hostname pod anti-affinity (labels/selectors drawn from 7 random values), remainder generic.
// Prints pods/s, NodeClaims, $/h, and heap. Target: 5,000 pods < 2 s on 2 cores.
import { loadCatalog } from "../src/cloudprovider/aws/catalog";
import { schedule } from "../src/scheduling/scheduler";
import type { NodePool, Pod } from "../src/scheduling/types";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

export function makePods(count: number, mix: "generic" | "diverse" | "spread" | "affinity", seed = 42): Pod[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const cpu = () => pick(["100m", "250m", "500m", "1", "1500m"]);
  const mem = () => pick(["100Mi", "256Mi", "512Mi", "1Gi", "2Gi", "4Gi"]);
  const lbl = () => ({ "my-affinity": pick(["a", "b", "c", "d", "e", "f", "g"]) });
  let n = 0;
  const base = (labels: Record<string, string> = {}): Pod => ({ metadata: { name: `p-${n++}`, namespace: "default", labels }, spec: { containers: [{ name: "c", resources: { requests: { cpu: cpu(), memory: mem() } } }] } });
  const generic = (k: number) => Array.from({ length: k }, () => base());
  const spread = (k: number, key: string) => Array.from({ length: k }, () => { const p = base(lbl()); p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: key, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: lbl() } }]; return p; });
  const affinity = (k: number, key: string) => Array.from({ length: k }, () => { const p = base(lbl()); p.spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: key, labelSelector: { matchLabels: lbl() } }] } }; return p; });
  const anti = (k: number, key: string) => Array.from({ length: k }, () => { const p = base(lbl()); p.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: key, labelSelector: { matchLabels: lbl() } }] } }; return p; });
  if (mix === "generic") return generic(count);
  if (mix === "spread") return [...spread(Math.floor(count / 2), "topology.kubernetes.io/zone"), ...spread(count - Math.floor(count / 2), "kubernetes.io/hostname")];
  if (mix === "affinity") return [...affinity(Math.floor(count / 2), "topology.kubernetes.io/zone"), ...anti(count - Math.floor(count / 2), "kubernetes.io/hostname")];
  const k = Math.floor(count / 5);
  const pods = [...generic(k), ...spread(k, "topology.kubernetes.io/zone"), ...spread(k, "kubernetes.io/hostname"), ...affinity(k, "topology.kubernetes.io/zone"), ...anti(k, "kubernetes.io/hostname")];
  return [...pods, ...generic(count - pods.length)];
}

export const nodePool: NodePool = {
  metadata: { name: "default" },
  spec: { template: { spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [
    { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
    { key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64"] },
  ] } } },
};

export default async function (): Promise<void> {
  const t0 = performance.now();
  const catalog = loadCatalog();
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  loadCatalog();
  console.log(`catalog: ${catalog.length} instance types (us-east-1), cold load ${loadMs.toFixed(0)} ms, warm ${(performance.now() - t1).toFixed(1)} ms`);
  const rows: string[][] = [["mix", "pods", "ms", "pods/s", "nodeclaims", "$/h", "unschedulable", "heap MB"]];
  for (const mix of ["generic", "diverse", "spread", "affinity"] as const) {
    for (const count of [1, 100, 1000, 5000]) {
      const pods = makePods(count, mix);
      (globalThis as { gc?: () => void }).gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      let peak = heapBefore;
      const start = performance.now();
      const result = schedule({ pods, nodePools: [nodePool], instanceTypes: catalog });
      const ms = performance.now() - start;
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      rows.push([mix, String(count), ms.toFixed(0), (count / (ms / 1000)).toFixed(0), String(result.newNodeClaims.length), result.totalPricePerHour.toFixed(3), String(result.unschedulable.length), (peak / 2 ** 20).toFixed(0)]);
    }
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i < 1 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  "));
  console.log("heap MB = heapUsed after the run (no forced GC between allocation and sample); spot $/h uses the offline estimate");
}
