// NodeOverlay in the running controller (the watcher path: startControllers → NodeOverlayController → provisioner),
// not only in `capsicum plan`: a price overlay changes what is launched, a capacity overlay makes an extended
// resource schedulable, conflicts and runtime-invalid overlays are not applied and say so, the feature gate is
// honoured and visible, and `capsicum plan` over the same objects decides the same.
import { loadCatalog } from "../../../src/cloudprovider/aws/catalog";
import type { EC2NodeClassLike } from "../../../src/cloudprovider/aws/nodeClass";
import { planObjects } from "../../../src/cli/plan";
import type { CreateOptions, NodeClaimLike } from "../../../src/cloudprovider/types";
import { Kinds, KubeObject } from "../../../src/kube/client";
import { FakeClock } from "../../../src/kube/clock";
import { cond, FakeCloud, miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

/** What the lifecycle handed the last cloud.create (the pool's overlays for the launch). */
let lastCreate: { nodeClaim: NodeClaimLike; opts?: CreateOptions } | undefined;
class CatalogCloud extends FakeCloud {
  override async getInstanceTypes(nc?: EC2NodeClassLike) {
    return loadCatalog({ region: "us-east-1", kubelet: nc?.spec.kubelet as never });
  }
  override async create(nc: NodeClaimLike, opts?: CreateOptions) {
    lastCreate = { nodeClaim: nc, opts };
    return super.create(nc);
  }
}

const IT = "node.kubernetes.io/instance-type";
const overlay = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "karpenter.sh/v1alpha1",
  kind: "NodeOverlay",
  metadata: { name, generation: 1 },
  spec,
});
const widgetPod = (name: string): KubeObject => {
  const p = pendingPod(name);
  p.spec.containers[0].resources.requests["example.com/widget"] = "1";
  return p;
};

async function cluster(objs: { overlays?: KubeObject[]; pods?: KubeObject[]; gate?: boolean } = {}) {
  const clock = new FakeClock();
  const mc = await miniCluster({
    clock,
    cloud: new CatalogCloud(clock),
    settings: objs.gate === false ? {} : { FEATURE_GATES: "NodeOverlay=true" },
    seed: async (c) => {
      await c.create(Kinds.EC2NodeClass, nodeClass("default"));
      await c.create(Kinds.NodePool, nodePool("default"));
      for (const o of objs.overlays ?? []) await c.create(Kinds.NodeOverlay, o);
    },
  });
  for (const p of objs.pods ?? [pendingPod("inflate-0")]) await mc.client.create(Kinds.Pod, p);
  await mc.tick(1_000);
  await mc.tick(1_000);
  return mc;
}

const firstType = (nc: KubeObject): string => nc.spec.requirements.find((r: { key: string }) => r.key === IT).values[0];
const claims = (mc: Awaited<ReturnType<typeof cluster>>) => mc.client.objects(Kinds.NodeClaim);

describe("NodeOverlay in the running controller", () => {
  let baseline: string;
  beforeAll(async () => {
    const mc = await cluster();
    expect(claims(mc)).toHaveLength(1);
    baseline = firstType(claims(mc)[0]!);
  });

  it("a price overlay makes the watcher launch the type it discounts", async () => {
    const target = baseline === "r5.4xlarge" ? "r5.8xlarge" : "r5.4xlarge";
    const mc = await cluster({
      overlays: [
        overlay("discount", { requirements: [{ key: IT, operator: "In", values: [target] }], price: "0.00001" }),
      ],
    });
    expect(claims(mc)).toHaveLength(1);
    expect(firstType(claims(mc)[0]!)).toBe(target);
    const o = await mc.client.get(Kinds.NodeOverlay, "discount");
    expect(cond(o, "ValidationSucceeded")).toBe("True");
    expect(cond(o, "Ready")).toBe("True");
  });

  it("a priceAdjustment surcharge on the cheapest type moves the launch away from it", async () => {
    const mc = await cluster({
      overlays: [
        overlay("surcharge", {
          requirements: [{ key: IT, operator: "In", values: [baseline] }],
          priceAdjustment: "+500%",
        }),
      ],
    });
    expect(claims(mc)).toHaveLength(1);
    expect(firstType(claims(mc)[0]!)).not.toBe(baseline);
  });

  it("the launch itself chooses among the pool's overlaid types (as Karpenter AWS's Create): price and capacity", async () => {
    const mc = await cluster({
      pods: [widgetPod("w-0")],
      overlays: [
        overlay("surcharge", {
          requirements: [{ key: IT, operator: "In", values: ["m5.large"] }],
          priceAdjustment: "+1000%",
        }),
        overlay("widgets", {
          requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5"] }],
          capacity: { "example.com/widget": "4" },
        }),
      ],
    });
    expect(claims(mc)).toHaveLength(1);
    expect(lastCreate?.nodeClaim.metadata.name).toBe(claims(mc)[0]!.metadata.name);
    const base = loadCatalog({ region: "us-east-1" });
    const launched = lastCreate!.opts!.instanceTypes!(base);
    const m5 = launched.find((t) => t.name === "m5.large")!;
    const before = base.find((t) => t.name === "m5.large")!;
    expect(m5.offerings[0]!.price).toBeCloseTo(before.offerings[0]!.price * 11, 6);
    expect(m5.allocatable["example.com/widget"]).toBe(4);
    expect(launched.find((t) => t.name === "c5.large")!.allocatable["example.com/widget"]).toBeUndefined();
  });

  it("a capacity overlay makes a pod requesting an extended resource schedulable on the matching family only", async () => {
    const without = await cluster({ pods: [widgetPod("w-0")] });
    expect(claims(without)).toHaveLength(0);
    const mc = await cluster({
      pods: [widgetPod("w-0")],
      overlays: [
        overlay("widgets", {
          requirements: [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m5"] }],
          capacity: { "example.com/widget": "4" },
        }),
      ],
    });
    expect(claims(mc)).toHaveLength(1);
    const types: string[] = claims(mc)[0]!.spec.requirements.find((r: { key: string }) => r.key === IT).values;
    expect(types.length).toBeGreaterThan(0);
    expect(types.every((t) => t.startsWith("m5."))).toBe(true);
  });

  it("the provisioner's scheduling input (shared with disruption) carries the overlaid prices", async () => {
    const target = "r5.4xlarge";
    const mc = await cluster({
      overlays: [
        overlay("discount", { requirements: [{ key: IT, operator: "In", values: [target] }], price: "0.00001" }),
      ],
    });
    const { input } = await mc.controllers.provisioner.schedulingInput([]);
    const it = input.instanceTypesByNodePool!["default"]!.find((t) => t.name === target)!;
    expect(it.offerings.every((o) => o.price === 0.00001)).toBe(true);
    const other = input.instanceTypesByNodePool!["default"]!.find((t) => t.name === "r5.8xlarge")!;
    expect(other.offerings.some((o) => o.price > 0.001)).toBe(true);
  });

  it("with the NodeOverlay feature gate off nothing is applied and each overlay says why", async () => {
    const target = baseline === "r5.4xlarge" ? "r5.8xlarge" : "r5.4xlarge";
    const mc = await cluster({
      gate: false,
      overlays: [
        overlay("discount", { requirements: [{ key: IT, operator: "In", values: [target] }], price: "0.00001" }),
      ],
    });
    expect(firstType(claims(mc)[0]!)).toBe(baseline);
    const o = await mc.client.get(Kinds.NodeOverlay, "discount");
    const ready = o!.status.conditions.find((c: { type: string }) => c.type === "Ready");
    expect([ready.status, ready.reason]).toEqual(["False", "FeatureGateDisabled"]);
    expect(ready.message).toMatch(/FEATURE_GATES=NodeOverlay=true/);
  });

  it("two same-weight overlays pricing the same offering: the later one (Karpenter's order) is a Conflict and not applied", async () => {
    const mc = await cluster({
      overlays: [
        // Equal weight: Karpenter evaluates the name later in the alphabet first, so "b-cheap" wins.
        overlay("b-cheap", { requirements: [{ key: IT, operator: "In", values: ["r5.4xlarge"] }], price: "0.00001" }),
        overlay("a-cheaper", {
          requirements: [{ key: IT, operator: "In", values: ["r5.4xlarge", "r5.8xlarge"] }],
          price: "0.000001",
        }),
      ],
    });
    const a = await mc.client.get(Kinds.NodeOverlay, "a-cheaper");
    const b = await mc.client.get(Kinds.NodeOverlay, "b-cheap");
    expect(cond(b, "ValidationSucceeded")).toBe("True");
    const va = a!.status.conditions.find((c: { type: string }) => c.type === "ValidationSucceeded");
    expect([va.status, va.reason]).toEqual(["False", "Conflict"]);
    expect(cond(a, "Ready")).toBe("False");
    // a-cheaper is not applied anywhere (not even to r5.8xlarge, which b-cheap does not touch).
    expect(firstType(claims(mc)[0]!)).toBe("r5.4xlarge");
  });

  it("a higher weight overlay wins the price over a lower one without conflict", async () => {
    const mc = await cluster({
      overlays: [
        overlay("low", {
          weight: 1,
          requirements: [{ key: IT, operator: "In", values: ["r5.4xlarge"] }],
          price: "0.00001",
        }),
        overlay("high", {
          weight: 10,
          requirements: [{ key: IT, operator: "In", values: ["r5.4xlarge"] }],
          price: "50",
        }),
      ],
    });
    expect(cond(await mc.client.get(Kinds.NodeOverlay, "low"), "ValidationSucceeded")).toBe("True");
    expect(firstType(claims(mc)[0]!)).not.toBe("r5.4xlarge");
  });

  it("a runtime-invalid overlay is reported and the pool keeps provisioning", async () => {
    const mc = await cluster({
      overlays: [
        overlay("bad", {
          requirements: [{ key: IT, operator: "In", values: ["r5.4xlarge"] }],
          priceAdjustment: "ten percent",
        }),
      ],
    });
    expect(claims(mc)).toHaveLength(1);
    const v = (await mc.client.get(Kinds.NodeOverlay, "bad"))!.status.conditions.find(
      (c: { type: string }) => c.type === "ValidationSucceeded",
    );
    expect([v.status, v.reason]).toEqual(["False", "RuntimeValidation"]);
    expect(v.message).toMatch(/spec\.priceAdjustment/);
  });

  it("an overlay created while running is picked up by the next provisioning pass", async () => {
    const mc = await cluster({ pods: [] });
    await mc.client.create(
      Kinds.NodeOverlay,
      overlay("late", { requirements: [{ key: IT, operator: "In", values: ["r5.4xlarge"] }], price: "0.00001" }),
    );
    await mc.tick(1_000);
    await mc.client.create(Kinds.Pod, pendingPod("late-0"));
    await mc.tick(1_000);
    await mc.tick(1_000);
    expect(firstType(claims(mc)[0]!)).toBe("r5.4xlarge");
  });

  it("capsicum plan over the same objects plans the same instance type as the watcher", async () => {
    const ov = overlay("discount", {
      requirements: [{ key: IT, operator: "In", values: ["r5.4xlarge"] }],
      price: "0.00001",
    });
    const mc = await cluster({ overlays: [ov] });
    const plan = planObjects({
      nodePools: [nodePool("default")],
      nodeClasses: [nodeClass("default")],
      nodeOverlays: [ov],
      pods: [pendingPod("inflate-0")],
      daemonSets: [],
      existingNodes: [],
      inFlightNodeClaims: [],
    } as never);
    expect(plan.newNodeClaims).toHaveLength(1);
    expect(plan.newNodeClaims[0]!.instanceType).toBe(firstType(claims(mc)[0]!));
  });
});
