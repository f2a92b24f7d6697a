// Chaos scenario 2/7 (launch side): a launch that keeps failing (throttled, unauthorized, a broken template) is
// retried with a backoff that grows and is jittered, so NodeClaims that failed together spread their retries
// instead of hitting EC2 in lockstep every 10 s; the launch timeout still ends it on time.
import { Kinds, KubeObject } from "../../../src/kube/client";
import type { NodeClaimLike } from "../../../src/cloudprovider/types";
import { FakeClock } from "../../../src/kube/clock";
import { LAUNCH_RETRY_INITIAL_MS, LAUNCH_RETRY_MAX_MS, launchRetryDelayMs } from "../../../src/lifecycle/nodeClaimLifecycle";
import { FakeCloud, miniCluster, nodeClass, nodePool } from "../lifecycle/fakes";

/** Records when each NodeClaim's create was attempted. */
class TimedCloud extends FakeCloud {
  readonly attempts = new Map<string, number[]>();
  constructor(private readonly c: FakeClock) { super(c); }
  override async create(nc: NodeClaimLike) {
    this.attempts.set(nc.metadata.name, [...(this.attempts.get(nc.metadata.name) ?? []), this.c.now()]);
    return super.create(nc);
  }
}

const nodeClaim = (name: string): KubeObject => ({
  metadata: { name, labels: { "karpenter.sh/nodepool": "default" } },
  spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [], resources: { requests: { cpu: "1" } } },
});

describe("chaos: failing launches back off with jitter", () => {
  it("grows with the time the launch has been failing, capped, and jittered over the upper half", () => {
    expect(launchRetryDelayMs(0, () => 0)).toBe(LAUNCH_RETRY_INITIAL_MS / 2);
    expect(launchRetryDelayMs(0, () => 1)).toBe(LAUNCH_RETRY_INITIAL_MS);
    expect(launchRetryDelayMs(8_000, () => 0)).toBe(4_000);
    expect(launchRetryDelayMs(8_000, () => 1)).toBe(8_000);
    expect(launchRetryDelayMs(10 * 60_000, () => 1)).toBe(LAUNCH_RETRY_MAX_MS);
    expect(launchRetryDelayMs(10 * 60_000, () => 0)).toBe(LAUNCH_RETRY_MAX_MS / 2);
    const spread = new Set(Array.from({ length: 50 }, () => launchRetryDelayMs(20_000)));
    expect(spread.size).toBeGreaterThan(10);
  });

  it("20 NodeClaims throttled together retry quickly at first, then further apart and out of lockstep", async () => {
    const clock = new FakeClock();
    const cloud = new TimedCloud(clock);
    const mc = await miniCluster({ clock, cloud, seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    cloud.failCreateAlways = Object.assign(new Error("Request limit exceeded."), { name: "RequestLimitExceeded" });
    for (let i = 0; i < 20; i++) await mc.client.create(Kinds.NodeClaim, nodeClaim(`default-${i}`));
    for (let t = 0; t < 4 * 60_000; t += 500) await mc.tick(500);
    const series = [...cloud.attempts.values()];
    expect(series).toHaveLength(20);
    for (const at of series) {
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      expect(gaps[0]).toBeLessThanOrEqual(LAUNCH_RETRY_INITIAL_MS + 500); // a transient fault is retried fast
      expect(Math.max(...gaps.slice(-3))).toBeGreaterThanOrEqual(LAUNCH_RETRY_MAX_MS / 2); // ...a lasting one slowly
      expect(Math.max(...gaps)).toBeLessThanOrEqual(LAUNCH_RETRY_MAX_MS + 500);
      // Fewer calls than a fixed 10 s retry (24 in 4 min), more than a give-up.
      expect(at.length).toBeLessThan(24);
      expect(at.length).toBeGreaterThan(8);
    }
    // Jitter: the 8th attempts of the 20 claims are spread out, not one burst.
    const eighth = new Set(series.map(at => Math.round(at[7]! / 500)));
    expect(eighth.size).toBeGreaterThan(5);
    // The launch timeout is still honoured: all of them deleted shortly after 5 m.
    for (let t = 0; t < 70_000; t += 1_000) await mc.tick(1_000);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(0);
    expect(mc.client.events.filter(e => e.reason === "LaunchTimeout")).toHaveLength(20);
  });
});
