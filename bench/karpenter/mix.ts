// The inputs of Karpenter's scheduling benchmark (sigs.k8s.io/karpenter
// pkg/controllers/provisioning/scheduling/scheduling_benchmark_test.go, v1.14.1) rebuilt as capsicum objects, so
// capsicum solves the same problem Karpenter's BenchmarkScheduling<N> / Benchmark{Respect,Ignore}Preferences solve.
// Written from the benchmark's description of its inputs, not translated from its code.
//
// Deliberate differences from bench/scheduling.bench.ts's "diverse" mix, which only approximates it:
// Karpenter's pod-affinity pods are self-affine (selector == own labels, so every pod can schedule), its
// anti-affinity pods all share app=nginx (one node per pod), and spread pods use the "my-label" key.
import type { InstanceType, Offering } from "../../src/cloudprovider/aws/catalog/types";
import type { NodePool, Pod } from "../../src/scheduling/types";

const ZONE = "topology.kubernetes.io/zone";
const HOSTNAME = "kubernetes.io/hostname";

/** Deterministic LCG (Karpenter seeds math/rand with 42; the exact draws differ, the distributions match). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

class PodMaker {
  private readonly r: () => number;
  private n = 0;
  constructor(seed: number) { this.r = rng(seed); }
  private pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.r() * xs.length)]!; }
  // Same value sets as the benchmark's randomCPU/randomMemory/randomLabelValue.
  private cpu(): string { return `${this.pick([100, 250, 500, 1000, 1500])}m`; }
  private mem(): string { return `${this.pick([100, 256, 512, 1024, 2048, 4096])}Mi`; }
  private value(): string { return this.pick(["a", "b", "c", "d", "e", "f", "g"]); }

  private pod(labels: Record<string, string>, extra: Partial<Pod["spec"]> = {}): Pod {
    const i = this.n++;
    // Draw order mirrors the benchmark's literal: labels, constraint selector (in extra), then cpu, memory.
    return {
      metadata: { name: `bench-${i}`, namespace: "default", uid: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`, labels },
      spec: { ...extra, containers: [{ name: "app", resources: { requests: { cpu: this.cpu(), memory: this.mem() } } }] },
    };
  }

  generic(count: number): Pod[] {
    return Array.from({ length: count }, () => this.pod({ "my-label": this.value() }));
  }

  spread(count: number, topologyKey: string): Pod[] {
    return Array.from({ length: count }, () => {
      const labels = { "my-label": this.value() };
      const selector = { "my-label": this.value() };
      return this.pod(labels, { topologySpreadConstraints: [{ maxSkew: 1, topologyKey, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: selector } }] });
    });
  }

  /** Self-affinity: a pod whose selector matches its own labels can always open its own domain. */
  affinity(count: number, topologyKey: string): Pod[] {
    return Array.from({ length: count }, () => {
      const labels = { "my-affininity": this.value() }; // key spelled as in the benchmark
      return this.pod(labels, { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey, labelSelector: { matchLabels: { ...labels } } }] } } });
    });
  }

  /** All anti-affine to each other: one pod per topology domain. */
  antiAffinity(count: number, topologyKey: string): Pod[] {
    return Array.from({ length: count }, () => this.pod({ app: "nginx" }, {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey, labelSelector: { matchLabels: { app: "nginx" } } }] } },
    }));
  }

  preference(count: number): Pod[] {
    // test.Pods(count, opts) draws cpu/memory once for the whole batch: every pod has the same requests.
    const requests = { cpu: this.cpu(), memory: this.mem() };
    return Array.from({ length: count }, () => {
      const i = this.n++;
      return {
        metadata: { name: `bench-${i}`, namespace: "default", uid: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`, labels: { app: "nginx" } },
        spec: {
          affinity: {
            nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: "In", values: ["test-zone-1"] }] } }] },
            podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 10, podAffinityTerm: { topologyKey: ZONE, labelSelector: { matchLabels: { app: "nginx" } } } }, // unsatisfiable
              { weight: 1, podAffinityTerm: { topologyKey: HOSTNAME, labelSelector: { matchLabels: { app: "nginx" } } } },
            ] },
          },
          containers: [{ name: "app", resources: { requests: { ...requests } } }],
        },
      };
    });
  }
}

/** makeDiversePods: 1/5 each generic, zone spread, hostname spread, zone self-affinity, hostname anti-affinity; remainder generic. */
export function karpenterDiversePods(count: number, seed = 42): Pod[] {
  const m = new PodMaker(seed);
  const k = Math.floor(count / 5);
  const pods = [...m.generic(k), ...m.spread(k, ZONE), ...m.spread(k, HOSTNAME), ...m.affinity(k, ZONE), ...m.antiAffinity(k, HOSTNAME)];
  return [...pods, ...m.generic(count - pods.length)];
}

/** makePreferencePods: satisfiable zone preference, unsatisfiable zone anti-preference, satisfiable hostname anti-preference. */
export function karpenterPreferencePods(count: number, seed = 42): Pod[] {
  return new PodMaker(seed).preference(count);
}

/**
 * fake.InstanceTypes(400): type i has i+1 vCPU, 2(i+1) GiB, 10(i+1) pods, amd64, linux; offerings spot in
 * test-zone-1/2 and on-demand in test-zone-1/2/3, priced 0.1/vCPU + 0.1/GB; kube-reserved 100m CPU + 10Mi.
 */
export function karpenterFakeInstanceTypes(total = 400): InstanceType[] {
  const GiB = 2 ** 30, MiB = 2 ** 20;
  return Array.from({ length: total }, (_, i) => {
    const cpu = (i + 1) * 1000, memory = (i + 1) * 2 * GiB, pods = (i + 1) * 10;
    const price = 0.1 * (i + 1) + (0.1 * memory) / 1e9;
    const offer = (zone: string, capacityType: Offering["capacityType"]): Offering => ({ zone, capacityType, price, available: true });
    return {
      name: `fake-it-${i}`,
      labels: { "node.kubernetes.io/instance-type": `fake-it-${i}`, "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux" },
      capacity: { cpu, memory, pods },
      overhead: { kubeReserved: { cpu: 100, memory: 10 * MiB }, systemReserved: {}, evictionThreshold: {} },
      allocatable: { cpu: cpu - 100, memory: memory - 10 * MiB, pods },
      offerings: [offer("test-zone-1", "spot"), offer("test-zone-2", "spot"), offer("test-zone-1", "on-demand"), offer("test-zone-2", "on-demand"), offer("test-zone-3", "on-demand")],
    };
  });
}

/** test.NodePool with the benchmark's overrides: no requirements, limits of 10M CPU / 10M Gi memory. */
export const karpenterNodePool: NodePool = {
  metadata: { name: "default" },
  spec: {
    template: { spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] } },
    limits: { cpu: "10000000", memory: "10000000Gi" },
  },
};
