// Modelled on Karpenter's pkg/controllers/metrics/nodepool and pkg/state/cost suites: karpenter_nodepools_cost_total
// is the summed offering price of a pool's NodeClaims (by instance type, zone and capacity type), follows
// NodeClaims as they come and go, and a deleted pool's series (cost, usage, limit) go with it.
import { ClusterState } from "../../../src/kube/clusterState";
import { Kinds, type KubeObject } from "../../../src/kube/client";
import { nodePoolCost } from "../../../src/provisioning/nodePoolCounter";
import { miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

const claim = (name: string, pool: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: "karpenter.sh/v1",
  kind: "NodeClaim",
  metadata: { name, resourceVersion: "1", labels: { "karpenter.sh/nodepool": pool, ...labels } },
  spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
});
const launched = (type: string, zone: string, capacityType: string) => ({
  "node.kubernetes.io/instance-type": type,
  "topology.kubernetes.io/zone": zone,
  "karpenter.sh/capacity-type": capacityType,
});
const catalog = [
  {
    name: "m5.large",
    labels: {},
    offerings: [
      { zone: "us-east-1a", capacityType: "spot", price: 0.04, available: true },
      { zone: "us-east-1a", capacityType: "on-demand", price: 0.096, available: true },
      { zone: "us-east-1b", capacityType: "spot", price: 0.05, available: false },
    ],
  },
];

describe("karpenter_nodepools_cost_total", () => {
  it("sums each NodeClaim's offering price; unlaunched NodeClaims and unknown offerings count 0", () => {
    const state = new ClusterState();
    state.apply("NodeClaim", claim("a", "default", launched("m5.large", "us-east-1a", "spot")), "ADDED");
    state.apply("NodeClaim", claim("b", "default", launched("m5.large", "us-east-1a", "on-demand")), "ADDED");
    state.apply("NodeClaim", claim("c", "default", launched("m5.large", "us-east-1b", "spot")), "ADDED"); // unavailable now: still priced
    state.apply("NodeClaim", claim("d", "default", {}), "ADDED"); // not launched yet
    state.apply("NodeClaim", claim("e", "default", launched("x9.huge", "us-east-1a", "spot")), "ADDED");
    state.apply("NodeClaim", claim("f", "other", launched("m5.large", "us-east-1a", "spot")), "ADDED");
    expect(nodePoolCost(state, "default", catalog)).toBeCloseTo(0.04 + 0.096 + 0.05, 10);
    expect(nodePoolCost(state, "other", catalog)).toBeCloseTo(0.04, 10);
    expect(nodePoolCost(state, "none", catalog)).toBe(0);
  });

  it("the running controllers export it per NodePool, follow a launch, and drop a deleted pool's series", async () => {
    const mc = await miniCluster({
      seed: async (c) => {
        await c.create(Kinds.EC2NodeClass, nodeClass());
        await c.create(Kinds.NodePool, nodePool("default", { limits: { cpu: "100" } }));
      },
    });
    const m = mc.controllers.metrics;
    const cost = async () => (await m.nodePoolsCost.get()).values.find((v) => v.labels.nodepool === "default")?.value;
    await mc.tick(10);
    expect(await cost()).toBe(0);
    await mc.client.create(Kinds.Pod, pendingPod("web"));
    await mc.tick(1_500);
    await mc.tick(1_000);
    const [nc] = mc.client.objects(Kinds.NodeClaim);
    const l = nc!.metadata.labels!;
    expect(l["node.kubernetes.io/instance-type"]).toBeDefined();
    const types = await mc.cloud.getInstanceTypes();
    const price = types
      .find((t) => t.name === l["node.kubernetes.io/instance-type"])!
      .offerings.find((o) => o.zone === l["topology.kubernetes.io/zone"] && o.capacityType === l["karpenter.sh/capacity-type"])!.price;
    expect(price).toBeGreaterThan(0);
    expect(await cost()).toBeCloseTo(price, 10);

    await mc.client.delete(Kinds.NodePool, "default");
    await mc.tick(10);
    expect(await cost()).toBeUndefined();
    expect((await m.nodePoolsLimit.get()).values.filter((v) => v.labels.nodepool === "default")).toEqual([]);
    expect((await m.nodePoolsUsage.get()).values.filter((v) => v.labels.nodepool === "default")).toEqual([]);
    await mc.controllers.stop();
  });
});

describe("karpenter_nodepools_cost_tracker_errors_total", () => {
  it("counts a pool whose launched NodeClaims cannot be priced (its instance types do not resolve); the cost keeps its last value", async () => {
    const mc = await miniCluster({
      seed: async (c) => {
        await c.create(Kinds.EC2NodeClass, nodeClass());
        await c.create(Kinds.NodePool, nodePool("default", { limits: { cpu: "100" } }));
        await c.create(Kinds.NodePool, nodePool("idle", { limits: { cpu: "100" } }));
      },
    });
    const m = mc.controllers.metrics;
    const errors = async (pool: string) =>
      (await m.nodePoolsCostTrackerErrors.get()).values.find((v) => v.labels.nodepool === pool)?.value ?? 0;
    const cost = async () => (await m.nodePoolsCost.get()).values.find((v) => v.labels.nodepool === "default")?.value;
    await mc.client.create(Kinds.Pod, pendingPod("web"));
    await mc.tick(1_500);
    await mc.tick(1_000);
    const priced = await cost();
    expect(priced).toBeGreaterThan(0);
    expect(await errors("default")).toBe(0);

    mc.cloud.getInstanceTypes = async () => {
      throw new Error("DescribeInstanceTypes: RequestLimitExceeded");
    };
    await mc.tick(60_000);
    expect(await errors("default")).toBeGreaterThan(0);
    expect(await errors("idle")).toBe(0); // nothing launched there: nothing to price
    expect(await cost()).toBe(priced);
    await mc.controllers.stop();
  });
});
