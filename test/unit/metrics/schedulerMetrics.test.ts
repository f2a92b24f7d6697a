// Modelled on Karpenter's provisioner suite: karpenter_scheduler_ignored_pods_count is the number of pending pods
// the last pass ignored (Validate rejected them: here a missing PersistentVolumeClaim), not the unschedulable ones.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

const withClaim = (name: string, claim: string): KubeObject => {
  const p = pendingPod(name);
  p.spec.volumes = [{ name: "data", persistentVolumeClaim: { claimName: claim } }];
  return p;
};

describe("karpenter_scheduler_ignored_pods_count", () => {
  it("counts the pods the pass ignored, and drops to 0 once none is pending", async () => {
    const mc = await miniCluster({ seed: async (c) => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    await mc.client.create(Kinds.Pod, withClaim("orphan-0", "missing-0"));
    await mc.client.create(Kinds.Pod, withClaim("orphan-1", "missing-1"));
    await mc.client.create(Kinds.Pod, pendingPod("web"));
    await mc.tick(1_500);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(1);
    expect(await mc.controllers.metrics.registry.metrics()).toMatch(/^karpenter_scheduler_ignored_pods_count 2$/m);
    for (const n of ["orphan-0", "orphan-1", "web"]) await mc.client.delete(Kinds.Pod, n, "default");
    await mc.tick(10);
    await mc.client.create(Kinds.Pod, pendingPod("web-2"));
    await mc.tick(1_500);
    expect(await mc.controllers.metrics.registry.metrics()).toMatch(/^karpenter_scheduler_ignored_pods_count 0$/m);
  });
});

describe("karpenter_scheduler_queue_depth", () => {
  it("has one series per simulation (scheduling_id), drained to 0 once the pass has scheduled, replaced by the next pass", async () => {
    const mc = await miniCluster({ seed: async (c) => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    const series = async () => (await mc.controllers.metrics.schedulerQueueDepth.get()).values;
    await mc.client.create(Kinds.Pod, pendingPod("a"));
    await mc.tick(1_500);
    const first = await series();
    expect(first).toHaveLength(1);
    expect(first[0]!.labels).toEqual({ controller: "provisioner", scheduling_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(first[0]!.value).toBe(0);
    await mc.client.create(Kinds.Pod, pendingPod("b", "64"));
    await mc.tick(1_500);
    const second = await series();
    expect(second).toHaveLength(1);
    expect(second[0]!.labels.scheduling_id).not.toBe(first[0]!.labels.scheduling_id);
    await mc.controllers.stop();
  });
});

describe("karpenter_scheduler_pending_pods_by_effective_zone_count", () => {
  it("counts the pass's pending pods by effective zone, and a later pass replaces the previous zones", async () => {
    const mc = await miniCluster({ seed: async (c) => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
    const zones = async () =>
      Object.fromEntries((await mc.controllers.metrics.schedulerPendingPodsByEffectiveZone.get()).values.map((v) => [`${v.labels.controller}/${v.labels.zone}`, v.value]));
    const pinned = (name: string, zone: string): KubeObject => {
      const p = pendingPod(name);
      p.spec.nodeSelector = { "topology.kubernetes.io/zone": zone };
      return p;
    };
    await mc.client.create(Kinds.Pod, pendingPod("free"));
    await mc.client.create(Kinds.Pod, pinned("b-0", "us-east-1b"));
    await mc.client.create(Kinds.Pod, pinned("b-1", "us-east-1b"));
    await mc.tick(1_500);
    expect(await zones()).toEqual({ "provisioner/flexible": 1, "provisioner/us-east-1b": 2 });
    for (const n of ["free", "b-0", "b-1"]) await mc.client.delete(Kinds.Pod, n, "default");
    await mc.client.create(Kinds.Pod, pinned("c-0", "us-east-1c"));
    await mc.tick(1_500);
    expect(await zones()).toEqual({ "provisioner/us-east-1c": 1 });
    await mc.controllers.stop();
  });
});
