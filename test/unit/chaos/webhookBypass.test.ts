// Chaos scenario 10: NodePools created while the module (and its webhook, which fails open) was down. The CRDs
// still reject what Karpenter rejects, so what gets through is what only capsicum's webhook would have warned
// about: a zone of another region, an instance type that does not exist, a missing EC2NodeClass, a limit on an
// unknown resource, a label key no instance has. None of it may crash or stall the engine: the healthy pool
// keeps provisioning and consolidating, the others are skipped or left unschedulable with a reason.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { cond, miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

const req = (key: string, values: string[]) => ({ key, operator: "In", values });
const withReqs = (name: string, weight: number, extra: Array<Record<string, unknown>>, spec: Record<string, unknown> = {}): KubeObject => {
  const np = nodePool(name, { weight, ...spec });
  np.spec.template.spec.requirements.push(...extra);
  return np;
};

describe("chaos: webhook bypass (objects admitted while the module was down)", () => {
  it("odd NodePools neither crash nor stall provisioning or disruption; the healthy pool keeps working", async () => {
    const odd: KubeObject[] = [
      withReqs("other-region", 90, [req("topology.kubernetes.io/zone", ["eu-west-1a"])]),
      withReqs("no-such-type", 80, [req("node.kubernetes.io/instance-type", ["m99.huge"])]),
      withReqs("custom-key", 70, [req("karpenter.k8s.aws/instance-family", ["zz9"])]),
      withReqs("odd-limits", 60, [], { limits: { "example.com/widgets": "3", cpu: "0" } }),
      nodePool("missing-class", { weight: 50 }, { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "does-not-exist" } }),
      withReqs("budget-cron", 40, [], { disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "0s", budgets: [{ nodes: "0", schedule: "@every 5m", duration: "10m" }, { nodes: "150%" }] } }),
    ];
    const mc = await miniCluster({
      seed: async c => {
        await c.create(Kinds.EC2NodeClass, nodeClass());
        await c.create(Kinds.NodePool, nodePool("default", { disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "0s", budgets: [{ nodes: "100%" }] } }));
        for (const np of odd) await c.create(Kinds.NodePool, np);
      },
    });
    for (let i = 0; i < 3; i++) await mc.client.create(Kinds.Pod, pendingPod(`inflate-${i}`));
    for (let i = 0; i < 3; i++) await mc.tick(1_000);
    const claims = mc.client.objects(Kinds.NodeClaim);
    expect(claims.length).toBeGreaterThanOrEqual(1);
    // Every claim comes from a pool that can launch: the healthy one, or the budget-cron one (valid, just odd).
    for (const c of claims) expect(["default", "budget-cron", "odd-limits"]).toContain(c.metadata.labels!["karpenter.sh/nodepool"]);
    for (let i = 0; i < 6; i++) await mc.tick(10_000); // several disruption passes over all of them
    expect(mc.logs.messages("provisioning failed")).toHaveLength(0);
    expect(mc.logs.messages("disruption pass failed")).toHaveLength(0);
    // The pool with the missing class says why it is not used.
    expect(cond(await mc.client.get(Kinds.NodePool, "missing-class"), "Ready")).toBe("False");
    // And the engine is still live: a new pod gets capacity.
    await mc.client.create(Kinds.Pod, pendingPod("late", "1500m"));
    const before = mc.client.objects(Kinds.NodeClaim).length;
    for (let i = 0; i < 3; i++) await mc.tick(1_000);
    expect(mc.client.objects(Kinds.NodeClaim).length).toBeGreaterThan(before);
  }, 60_000);
});
