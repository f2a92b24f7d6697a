import { loadCatalog, eniLimitedPods, kubeReservedCpuMillis, memoryCapacity, spotPriceNote } from "../../../src/cloudprovider/aws/catalog";
import { formatResource, parseQuantity, parseResource, QuantityError } from "../../../src/apis/quantity";
import { normalizeLabelKey, toLabelValue } from "../../../src/apis/labels";

const Mi = 2 ** 20;
const byName = (opts = {}) => new Map(loadCatalog(opts).map(t => [t.name, t]));

describe("quantity", () => {
  it("parses cpu millicores, binary and decimal suffixes and exponents", () => {
    expect(parseResource("cpu", "500m")).toBe(500);
    expect(parseResource("cpu", "1.5")).toBe(1500);
    expect(parseResource("cpu", 2)).toBe(2000);
    expect(parseResource("memory", "1Gi")).toBe(2 ** 30);
    expect(parseResource("memory", "1G")).toBe(1e9);
    expect(parseQuantity("2e3")).toBe(2000);
    expect(parseResource("cpu", "0.1")).toBe(100);
  });
  it("formats canonical quantity strings", () => {
    expect(formatResource("cpu", 500)).toBe("500m");
    expect(formatResource("cpu", 3000)).toBe("3");
    expect(formatResource("memory", 1536 * Mi)).toBe("1536Mi");
    expect(formatResource("memory", 2 ** 30)).toBe("1Gi");
    expect(formatResource("pods", 12)).toBe("12");
  });
  it("rejects garbage naming the field and the fix", () => {
    expect(() => parseResource("cpu", "lots", "spec.containers[0].resources.requests.cpu")).toThrow(QuantityError);
    expect(() => parseResource("cpu", "lots", "spec.containers[0].resources.requests.cpu")).toThrow(/requests\.cpu.*500m/);
  });
});

describe("labels", () => {
  it("normalises deprecated aliases", () => {
    expect(normalizeLabelKey("failure-domain.beta.kubernetes.io/zone")).toBe("topology.kubernetes.io/zone");
    expect(normalizeLabelKey("beta.kubernetes.io/arch")).toBe("kubernetes.io/arch");
  });
  it("turns free text into a label value", () => {
    expect(toLabelValue("NVIDIA T4 Tensor Core")).toBe("nvidia-t4-tensor-core");
  });
});

describe("catalog", () => {
  it("has at least 400 us-east-1 instance types after Karpenter's filters", () => {
    expect(loadCatalog().length).toBeGreaterThanOrEqual(400);
  });
  it("m5.large: VM overhead, kube-reserved and eviction give Karpenter's allocatable", () => {
    const t = byName().get("m5.large")!;
    expect(t.capacity.cpu).toBe(2000);
    expect(t.capacity.memory).toBe(7577 * Mi); // 8192 - ceil(8192*0.075)
    expect(t.capacity.pods).toBe(29); // 3 ENIs * (10-1) + 2
    expect(t.overhead.kubeReserved.cpu).toBe(70);
    expect(t.overhead.kubeReserved.memory).toBe((11 * 29 + 255) * Mi);
    expect(t.overhead.evictionThreshold.memory).toBe(100 * Mi);
    expect(t.allocatable.cpu).toBe(1930);
    expect(t.allocatable.memory).toBe((7577 - 574 - 100) * Mi);
    expect(t.labels["karpenter.k8s.aws/instance-category"]).toBe("m");
    expect(t.labels["karpenter.k8s.aws/instance-generation"]).toBe("5");
    expect(t.labels["karpenter.k8s.aws/instance-size"]).toBe("large");
    expect(t.labels["kubernetes.io/arch"]).toBe("amd64");
    expect(t.labels["topology.kubernetes.io/zone"]).toBeUndefined();
  });
  it("kube-reserved cpu follows 6%/1%/0.5%/0.25% ranges", () => {
    expect(kubeReservedCpuMillis(1000)).toBe(60);
    expect(kubeReservedCpuMillis(4000)).toBe(80);
    expect(kubeReservedCpuMillis(8000)).toBe(90);
  });
  it("formulas: ENI pods and VM memory overhead", () => {
    expect(eniLimitedPods(4, 15)).toBe(58);
    expect(memoryCapacity(1024, 0.075)).toBe((1024 - 77) * Mi);
  });
  it("kubelet maxPods, podsPerCore and reserved overrides change capacity and allocatable", () => {
    const t = byName({ kubelet: { maxPods: 110, podsPerCore: 4, systemReserved: { cpu: "100m" }, evictionHard: { "memory.available": "5%" } } }).get("m5.xlarge")!;
    expect(t.capacity.pods).toBe(16);
    expect(t.overhead.kubeReserved.memory).toBe((11 * 16 + 255) * Mi);
    expect(t.overhead.systemReserved.cpu).toBe(100);
    expect(t.overhead.evictionThreshold.memory).toBe(Math.ceil(t.capacity.memory! * 0.05));
    expect(t.allocatable.cpu).toBe(4000 - 80 - 100);
  });
  it("GPU and accelerator types carry device resources and gpu labels", () => {
    const cat = byName();
    const g = [...cat.values()].find(t => t.labels["karpenter.k8s.aws/instance-gpu-manufacturer"] === "nvidia")!;
    expect(g.capacity["nvidia.com/gpu"]).toBe(Number(g.labels["karpenter.k8s.aws/instance-gpu-count"]));
    const inf = cat.get("inf2.xlarge")!;
    expect(inf.capacity["aws.amazon.com/neuron"]).toBeGreaterThan(0);
  });
  it("offerings: on-demand from the price table, spot estimated and overridable, ICE marks unavailable", () => {
    const t = byName({ spotPrices: new Map([["m5.large/us-east-1a", 0.02]]), unavailable: (n: string, z: string, ct: string) => n === "m5.large" && z === "us-east-1b" && ct === "spot" }).get("m5.large")!;
    const off = (z: string, ct: string) => t.offerings.find(o => o.zone === z && o.capacityType === ct)!;
    expect(off("us-east-1a", "on-demand").price).toBe(0.096);
    expect(off("us-east-1a", "spot").price).toBe(0.02);
    expect(off("us-east-1c", "spot").price).toBeCloseTo(0.096 * 0.35, 6);
    expect(off("us-east-1b", "spot").available).toBe(false);
    expect(spotPriceNote()).toMatch(/estimate/);
  });
  it("is deterministic and sorted by name", () => {
    const a = loadCatalog().map(t => t.name);
    expect(a).toEqual([...a].sort());
    expect(loadCatalog().map(t => t.name)).toEqual(a);
  });
});
