// The provisioner's strict reserved-offering mode end to end (Karpenter's provisioner.go: DisableReservedCapacityFallback
// and ReservedOfferingErrors): of two pods that cannot share a node and want the one-slot reservation, one NodeClaim is
// created into it and the other pod's decision is deferred: no on-demand NodeClaim, no FailedScheduling event, not
// counted as unschedulable, a debug log; disruption's simulation input keeps the fallback mode.
import { reservedOffering } from "../../../src/cloudprovider/aws/reservedOfferings";
import { Kinds, KubeObject } from "../../../src/kube/client";
import { FakeCloud, miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";
import { FakeClock } from "../../../src/kube/clock";

const RID = "karpenter.k8s.aws/capacity-reservation-id";

/** The shipped catalog, m5.large with a one-slot ODCR in us-east-1a. */
class ReservedCloud extends FakeCloud {
  override async getInstanceTypes(nc?: unknown) {
    const base = await super.getInstanceTypes(nc);
    return (this.withReservation ??= base.map((it) => it.name !== "m5.large" ? it : {
      ...it,
      offerings: [...it.offerings, reservedOffering(it, { id: "cr-1", availabilityZone: "us-east-1a", instanceType: "m5.large", ownerID: "012345678901", instanceMatchCriteria: "targeted", reservationType: "default", interruptible: false, state: "active" }, 1, new Set(it.offerings.map((o) => o.zone)))],
    }));
  }
  private withReservation?: Awaited<ReturnType<FakeCloud["getInstanceTypes"]>>;
}

const apartPod = (name: string): KubeObject => {
  const p = pendingPod(name);
  p.metadata.labels = { app: "test" };
  p.spec.nodeSelector = { "node.kubernetes.io/instance-type": "m5.large" };
  p.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "test" } }, topologyKey: "kubernetes.io/hostname" }] } };
  return p;
};

describe("the provisioner defers pods whose compatible reservation is taken (strict mode)", () => {
  it("one reserved NodeClaim; the other pod waits without an event, an unschedulable count or an on-demand NodeClaim", async () => {
    const clock = new FakeClock();
    const mc = await miniCluster({
      clock,
      cloud: new ReservedCloud(clock),
      seed: async (c) => {
        await c.create(Kinds.EC2NodeClass, nodeClass());
        await c.create(Kinds.NodePool, nodePool("default", {}, { requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["reserved", "on-demand"] }] }));
      },
    });
    await mc.client.create(Kinds.Pod, apartPod("a"));
    await mc.client.create(Kinds.Pod, apartPod("b"));
    await mc.tick(1_500);
    const claims = mc.client.objects(Kinds.NodeClaim);
    expect(claims).toHaveLength(1);
    expect(claims[0]!.spec.requirements.find((r: { key: string }) => r.key === RID)?.values).toEqual(["cr-1"]);
    expect(claims[0]!.spec.requirements.find((r: { key: string }) => r.key === "karpenter.sh/capacity-type")?.values).toEqual(["reserved"]);
    expect(mc.client.events.filter((e) => e.reason === "FailedScheduling")).toEqual([]);
    const metric = await mc.controllers.metrics.registry.getSingleMetricAsString("karpenter_scheduler_unschedulable_pods_count");
    expect(metric).toMatch(/karpenter_scheduler_unschedulable_pods_count\{controller="provisioner"\} 0/);
    const log = mc.logs.messages("deferring scheduling decision for provisionable pod(s) to future simulation due to limited reserved offering capacity");
    expect(log.length).toBeGreaterThan(0);
    expect(log[0]!.Pods).toEqual(["default/b"]);
    // Disruption's simulations are built from the same input, without the provisioner's strict mode.
    const { input } = await mc.controllers.provisioner.schedulingInput([]);
    expect(input.options?.reservedOfferingMode).toBeUndefined();
  });
});
