// Chaos scenario 12 (metrics): /metrics binds to a configurable address and per-pod series are off by default.
import { Kinds } from "../../../src/kube/client";
import { serveMetrics, Metrics } from "../../../src/metrics";
import { loadSettings } from "../../../src/settings";
import { miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

const base = { CLUSTER_NAME: "c", AWS_REGION: "us-east-1" };

describe("chaos: metrics exposure", () => {
  it("defaults to all interfaces and no per-pod series; both are settings, validated", () => {
    const s = loadSettings(base);
    expect(s.metricsBindAddress).toBe("0.0.0.0");
    expect(s.metricsPodsStatePerPod).toBe(false);
    const t = loadSettings({ ...base, METRICS_BIND_ADDRESS: "127.0.0.1", METRICS_PODS_STATE_PER_POD: "true" });
    expect(t.metricsBindAddress).toBe("127.0.0.1");
    expect(t.metricsPodsStatePerPod).toBe(true);
    expect(() => loadSettings({ ...base, METRICS_BIND_ADDRESS: "everywhere" })).toThrow(/METRICS_BIND_ADDRESS="everywhere" must be an IP address/);
  });

  it("listens only on the configured address", async () => {
    const srv = await serveMetrics(new Metrics().registry, 0, "127.0.0.1");
    try {
      expect((srv.server.address() as { address: string }).address).toBe("127.0.0.1");
    } finally {
      await srv.close();
    }
  });

  async function podSeries(extra: Record<string, string>) {
    const mc = await miniCluster({ settings: extra, seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    await mc.client.create(Kinds.Pod, pendingPod("inflate-0"));
    await mc.tick(16_000);
    const text = await mc.controllers.metrics.registry.metrics();
    await mc.controllers.stop();
    return text.split("\n").filter(l => l.startsWith("karpenter_pods_state{"));
  }

  it("exports no per-pod karpenter_pods_state series unless METRICS_PODS_STATE_PER_POD=true", async () => {
    expect((await podSeries({})).some(l => l.includes('name="inflate-0"'))).toBe(false);
    const on = await podSeries({ METRICS_PODS_STATE_PER_POD: "true" });
    expect(on.some(l => l.includes('name="inflate-0"'))).toBe(true);
  });
});
