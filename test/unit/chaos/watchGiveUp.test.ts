// Chaos scenario 7 (watcher side): a 30-60 s apiserver outage must not kill the watcher through Pepr's watch
// give-up (5 failed resyncs by default, then a throw). capabilities/watchConfig raises the limit before Pepr
// reads it, and leaves explicit settings alone.
import { readFileSync } from "node:fs";
import { join } from "node:path";

describe("chaos: watch give-up", () => {
  const saved = { ...process.env };
  afterEach(() => { process.env = { ...saved }; jest.resetModules(); });

  it("retries a failed watch far longer than a 60 s brownout", async () => {
    delete process.env.PEPR_RESYNC_FAILURE_MAX;
    delete process.env.PEPR_RESYNC_DELAY_SECONDS;
    const { watchConfig } = await import("../../../capabilities/watchConfig");
    // Pepr gives up after resyncFailureMax resyncs, one every resyncDelaySec: that must outlast an hour.
    expect(watchConfig.resyncFailureMax * watchConfig.resyncDelaySec).toBeGreaterThan(3600);
    expect(process.env.PEPR_RESYNC_FAILURE_MAX).toBe(String(watchConfig.resyncFailureMax));
  });

  it("keeps an operator's explicit setting", async () => {
    process.env.PEPR_RESYNC_FAILURE_MAX = "42";
    const { watchConfig } = await import("../../../capabilities/watchConfig");
    expect(watchConfig.resyncFailureMax).toBe(42);
  });

  it("is imported before Pepr in the module entry (Pepr reads the variables when it loads)", () => {
    const src = readFileSync(join(__dirname, "../../../pepr.ts"), "utf8");
    const imports = [...src.matchAll(/^import .*?["'](.+?)["'];/gm)].map(m => m[1]);
    expect(imports[0]).toBe("./capabilities/watchConfig");
    expect(imports.indexOf("pepr")).toBeGreaterThan(0);
  });
});
