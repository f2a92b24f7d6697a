// Modelled on Karpenter's pkg/cloudprovider/metrics decorator: every CloudProvider call is timed in
// karpenter_cloudprovider_duration_seconds{controller,method,provider}; a failure also counts in
// karpenter_cloudprovider_errors_total with Karpenter's error label (its three well-known types, else "").
import { withCloudProviderMetrics } from "../../../src/cloudprovider/metricsDecorator";
import { InsufficientCapacityError, NodeClaimNotFoundError, NodeClassNotReadyError } from "../../../src/cloudprovider/types";
import { FakeClock } from "../../../src/kube/clock";
import { Kinds } from "../../../src/kube/client";
import { Metrics } from "../../../src/metrics";
import { FakeCloud, miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

type Sample = { labels: Record<string, string>; value: number; metricName?: string };
async function samples(m: Metrics, name: string): Promise<Sample[]> {
  const metric = m.registry.getSingleMetric(name);
  return metric ? ((await metric.get()).values as Sample[]) : [];
}
/** Number of observations of the duration histogram with these labels. */
async function calls(m: Metrics, labels: Record<string, string>): Promise<number> {
  const all = await samples(m, "karpenter_cloudprovider_duration_seconds");
  const hit = all.find(
    (s) => s.metricName === "karpenter_cloudprovider_duration_seconds_count" && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return hit?.value ?? 0;
}
async function errors(m: Metrics, labels: Record<string, string>): Promise<number> {
  const all = await samples(m, "karpenter_cloudprovider_errors_total");
  return all.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

const claim = (name: string) => ({
  metadata: { name },
  spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }, requirements: [] },
});

describe("CloudProvider metrics decorator", () => {
  it("times each method under the calling controller and provider, and counts failures by Karpenter's error type", async () => {
    const m = new Metrics();
    const fake = new FakeCloud(new FakeClock());
    const cloud = withCloudProviderMetrics(fake, m, "nodeclaim.lifecycle");
    await cloud.create(claim("a"));
    await cloud.getInstanceTypes({ metadata: { name: "default" } });
    await cloud.list();
    await cloud.isDrifted(claim("a"));
    expect(await calls(m, { controller: "nodeclaim.lifecycle", method: "Create", provider: "fake" })).toBe(1);
    expect(await calls(m, { method: "GetInstanceTypes" })).toBe(1);
    expect(await calls(m, { method: "List" })).toBe(1);
    expect(await calls(m, { method: "IsDrifted" })).toBe(1);
    expect(await errors(m, {})).toBe(0);

    fake.failCreate = new InsufficientCapacityError("all offerings ICE'd");
    await expect(cloud.create(claim("b"))).rejects.toThrow(InsufficientCapacityError);
    await expect(cloud.get("aws:///us-east-1a/i-none")).rejects.toThrow(NodeClaimNotFoundError);
    await expect(cloud.delete(claim("never-launched"))).rejects.toThrow(NodeClaimNotFoundError);
    fake.failCreate = new NodeClassNotReadyError("EC2NodeClass default is not ready");
    await expect(cloud.create(claim("c"))).rejects.toThrow(NodeClassNotReadyError);
    fake.failCreate = Object.assign(new Error("Request limit exceeded"), { name: "RequestLimitExceeded" });
    await expect(cloud.create(claim("d"))).rejects.toThrow("Request limit exceeded");

    expect(await calls(m, { method: "Create" })).toBe(4); // failed calls are timed too
    expect(await calls(m, { method: "Get" })).toBe(1);
    expect(await calls(m, { method: "Delete" })).toBe(1);
    const base = { controller: "nodeclaim.lifecycle", provider: "fake" };
    expect(await errors(m, { ...base, method: "Create", error: "InsufficientCapacityError" })).toBe(1);
    expect(await errors(m, { ...base, method: "Create", error: "NodeClassNotReadyError" })).toBe(1);
    // Any other error is "" (Karpenter's MetricLabelErrorDefaultVal), never a free-form name.
    expect(await errors(m, { ...base, method: "Create", error: "" })).toBe(1);
    expect(await errors(m, { ...base, method: "Get", error: "NodeClaimNotFoundError" })).toBe(1);
    expect(await errors(m, { ...base, method: "Delete", error: "NodeClaimNotFoundError" })).toBe(1);
    expect((await samples(m, "karpenter_cloudprovider_errors_total")).some((s) => s.labels.error === "RequestLimitExceeded")).toBe(false);
  });

  it("passes the provider's other hooks through to the provider itself", async () => {
    const m = new Metrics();
    const fake = new FakeCloud(new FakeClock());
    let self: unknown;
    (fake as unknown as { repairPolicies: () => unknown[] }).repairPolicies = function (this: unknown) {
      self = this;
      return [];
    };
    const cloud = withCloudProviderMetrics(fake, m, "node.health");
    expect(cloud.name).toBe("fake");
    expect(cloud.repairPolicies?.()).toEqual([]);
    expect(self).toBe(fake);
    expect(cloud.resolveNodeClass).toBeUndefined();
    // Registration hooks too: without them the lifecycle would register a Node its provider holds back.
    const hooks = [{ name: "H", registered: async () => ({}) }];
    (fake as unknown as { registrationHooks: () => unknown[] }).registrationHooks = () => hooks;
    expect(withCloudProviderMetrics(fake, m, "nodeclaim.lifecycle").registrationHooks?.()).toBe(hooks);
    // Any hook a provider grows later passes through without the decorator having to list it.
    (fake as unknown as { futureHook: () => unknown }).futureHook = function (this: unknown) {
      return this;
    };
    expect((cloud as unknown as { futureHook: () => unknown }).futureHook()).toBe(fake);
  });

  it("the running controllers call the cloud through it: a launch is timed under nodeclaim.lifecycle, instance types under provisioner", async () => {
    const mc = await miniCluster({
      seed: async (c) => {
        await c.create(Kinds.EC2NodeClass, nodeClass());
        await c.create(Kinds.NodePool, nodePool());
      },
    });
    mc.cloud.failCreate = new InsufficientCapacityError("no spot capacity");
    await mc.client.create(Kinds.Pod, pendingPod("web"));
    await mc.tick(1_500);
    await mc.tick(1_500);
    const m = mc.controllers.metrics;
    expect(await calls(m, { controller: "nodeclaim.lifecycle", method: "Create", provider: "fake" })).toBeGreaterThanOrEqual(1);
    expect(await calls(m, { controller: "provisioner", method: "GetInstanceTypes", provider: "fake" })).toBeGreaterThanOrEqual(1);
    expect(await errors(m, { controller: "nodeclaim.lifecycle", method: "Create", error: "InsufficientCapacityError" })).toBe(1);
    await mc.tick(30_000);
    expect(await calls(m, { controller: "nodeclaim.garbagecollection", method: "List" })).toBeGreaterThanOrEqual(1);
    await mc.controllers.stop();
  });
});
