import { loadSettings } from "../../../src/settings";

describe("settings", () => {
  it("applies Karpenter's defaults", () => {
    const s = loadSettings({ CLUSTER_NAME: "demo", AWS_REGION: "us-east-1" });
    expect(s).toMatchObject({ clusterName: "demo", batchIdleMs: 1000, batchMaxMs: 10_000, logLevel: "info", registrationTtlMs: 900_000 });
    expect(s.featureGates.SpotToSpotConsolidation).toBe(false);
    expect(s.interruptionQueue).toBeUndefined();
  });

  it("names every bad variable and how to fix it", () => {
    expect(() => loadSettings({ BATCH_IDLE_DURATION: "1 sec", FEATURE_GATES: "Bogus=true,SpotToSpotConsolidation=yes", LOG_LEVEL: "loud" }))
      .toThrow(/CLUSTER_NAME is required[\s\S]*AWS_REGION is required[\s\S]*BATCH_IDLE_DURATION="1 sec" is not a duration[\s\S]*SpotToSpotConsolidation=yes" must look like Name=true[\s\S]*LOG_LEVEL/);
  });

  it("parses feature gates and Go-style durations", () => {
    const s = loadSettings({ CLUSTER_NAME: "c", AWS_REGION: "r", FEATURE_GATES: "SpotToSpotConsolidation=true", BATCH_MAX_DURATION: "1m30s" });
    expect(s.featureGates.SpotToSpotConsolidation).toBe(true);
    expect(s.batchMaxMs).toBe(90_000);
    expect(loadSettings({ CLUSTER_NAME: "c", AWS_REGION: "r", BATCH_IDLE_DURATION: "500ms" }).batchIdleMs).toBe(500);
    expect(() => loadSettings({ CLUSTER_NAME: "c", AWS_REGION: "r", BATCH_IDLE_DURATION: "10" })).toThrow(/BATCH_IDLE_DURATION="10"/);
    expect(() => loadSettings({ CLUSTER_NAME: "c", AWS_REGION: "r", BATCH_IDLE_DURATION: "Never" })).toThrow(/BATCH_IDLE_DURATION/);
    expect(() => loadSettings({ CLUSTER_NAME: "c", AWS_REGION: "r", BATCH_IDLE_DURATION: "-1s" })).toThrow(/BATCH_IDLE_DURATION/);
  });
});
