// Registration hooks in the NodeClaim lifecycle, modelled on Karpenter's nodeclaim/lifecycle registration suite
// ("Registration Hooks"): while a provider hook is pending the Node gets the NodeClaim's labels, taints and owner
// but keeps karpenter.sh/unregistered, and the NodeClaim stays Registered=Unknown (RegistrationHookPending, the
// hook names); labels a hook sets land on the NodeClaim and then the Node; once every hook is satisfied the taint
// goes and Registered=True. A hook that fails is pending too and retried.
import { Kinds, KubeObject } from "../../../src/kube/client";
import type { NodeClaimLike, RegistrationHook, RegistrationHookResult } from "../../../src/cloudprovider/types";
import { checkRegistrationHooks } from "../../../src/lifecycle/registrationHooks";
import { FakeCloud, cond, miniCluster, nodeClass, nodePool, registerNode } from "./fakes";
import { FakeClock } from "../../../src/kube/clock";

const PARTITION = "karpenter.k8s.aws/placement-group-partition";

/** A hook answering from `answer` (a function of the call number), recording what it was asked. */
class ScriptedHook implements RegistrationHook {
  calls: NodeClaimLike[] = [];
  constructor(
    readonly name: string,
    public answer: (call: number) => RegistrationHookResult | Error,
  ) {}
  async registered(nc: NodeClaimLike): Promise<RegistrationHookResult> {
    this.calls.push(nc);
    const a = this.answer(this.calls.length);
    if (a instanceof Error) throw a;
    return a;
  }
}

class HookedCloud extends FakeCloud {
  hooks: RegistrationHook[] = [];
  registrationHooks(): RegistrationHook[] {
    return this.hooks;
  }
}

const nodeClaim = (name: string): KubeObject => ({
  metadata: { name, labels: { "karpenter.sh/nodepool": "default", "karpenter.k8s.aws/placement-group-id": "pg-1", [PARTITION]: "" } },
  spec: {
    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
    requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }],
    taints: [{ key: "dedicated", value: "batch", effect: "NoSchedule" }],
  },
});

async function cluster(hooks: RegistrationHook[]) {
  const clock = new FakeClock();
  const cloud = new HookedCloud(clock);
  cloud.hooks = hooks;
  const mc = await miniCluster({
    clock,
    cloud,
    seed: async (c) => {
      await c.create(Kinds.EC2NodeClass, nodeClass());
      await c.create(Kinds.NodePool, nodePool());
    },
  });
  await mc.client.create(Kinds.NodeClaim, nodeClaim("default-abcde"));
  await mc.tick(0);
  await registerNode(mc.client, "aws:///us-east-1a/i-00000001", "n1");
  await mc.tick(0);
  return mc;
}

const registered = (nc: KubeObject | undefined) =>
  (nc?.status?.conditions ?? []).find((c: { type: string }) => c.type === "Registered");

describe("registration hooks in the NodeClaim lifecycle", () => {
  it("a pending hook holds registration: labels and taints synced, unregistered taint kept, RegistrationHookPending", async () => {
    const hook = new ScriptedHook("PlacementGroupRegistrationHook", () => ({ requeue: true }));
    const mc = await cluster([hook]);
    const node = (await mc.client.get(Kinds.Node, "n1"))!;
    expect(node.spec.taints).toEqual(
      expect.arrayContaining([
        { key: "karpenter.sh/unregistered", effect: "NoExecute" },
        { key: "dedicated", value: "batch", effect: "NoSchedule" },
      ]),
    );
    expect(node.metadata.labels!["karpenter.sh/nodepool"]).toBe("default");
    expect(node.metadata.labels!["karpenter.sh/registered"]).toBeUndefined();
    expect(node.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "NodeClaim", name: "default-abcde" })]);
    const nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(registered(nc)).toMatchObject({ status: "Unknown", reason: "RegistrationHookPending", message: "PlacementGroupRegistrationHook" });
    expect(nc.status.nodeName).toBeUndefined();
    expect(mc.logs.messages("registered nodeclaim")).toHaveLength(0);
    expect(hook.calls[0]!.status?.providerID).toBe("aws:///us-east-1a/i-00000001");
  });

  it("retries a pending hook with growing backoff and completes registration with the label it sets", async () => {
    let known = false;
    const hook = new ScriptedHook("PlacementGroupRegistrationHook", () => (known ? { labels: { [PARTITION]: "2" } } : { requeue: true }));
    const mc = await cluster([hook]);
    const first = hook.calls.length;
    await mc.tick(2_500);
    expect(hook.calls.length).toBeGreaterThan(first);
    expect(cond(await mc.client.get(Kinds.NodeClaim, "default-abcde"), "Registered")).toBe("Unknown");
    const before = hook.calls.length;
    for (let i = 0; i < 30; i++) await mc.tick(1_000);
    // Backoff doubles (~2, 4, 8, 16 s): a handful of asks in 30 s, not one a second.
    expect(hook.calls.length - before).toBeGreaterThanOrEqual(2);
    expect(hook.calls.length - before).toBeLessThanOrEqual(5);
    known = true;
    for (let i = 0; i < 7; i++) await mc.tick(10_000);
    const nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(nc.metadata.labels![PARTITION]).toBe("2");
    expect(registered(nc)).toMatchObject({ status: "True", reason: "Registered" });
    expect(nc.status.nodeName).toBe("n1");
    const node = (await mc.client.get(Kinds.Node, "n1"))!;
    expect(node.metadata.labels).toMatchObject({ [PARTITION]: "2", "karpenter.sh/registered": "true" });
    expect(node.spec.taints).not.toContainEqual({ key: "karpenter.sh/unregistered", effect: "NoExecute" });
    expect(mc.logs.messages("registered nodeclaim")).toHaveLength(1);
  });

  it("a failing hook is pending and retried; the reconciler error names the hook", async () => {
    let failing = true;
    const hook = new ScriptedHook("PlacementGroupRegistrationHook", () => (failing ? new Error("describing instance, throttled") : {}));
    const mc = await cluster([hook]);
    const nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(registered(nc)).toMatchObject({ status: "Unknown", reason: "RegistrationHookPending" });
    expect(mc.logs.messages("reconciler error").map((l) => l.error)).toContain(
      'registration hook "PlacementGroupRegistrationHook" failed, describing instance, throttled',
    );
    expect((await mc.client.get(Kinds.Node, "n1"))!.spec.taints).toContainEqual({ key: "karpenter.sh/unregistered", effect: "NoExecute" });
    failing = false;
    for (let i = 0; i < 5; i++) await mc.tick(2_000);
    expect(cond(await mc.client.get(Kinds.NodeClaim, "default-abcde"), "Registered")).toBe("True");
  });

  it("waits for every hook: a satisfied one's labels are kept while another is pending", async () => {
    const labeller = new ScriptedHook("Labeller", () => ({ labels: { "example.com/ready": "yes" } }));
    let open = false;
    const gate = new ScriptedHook("Gate", () => (open ? {} : { requeueAfterMs: 5_000 }));
    const mc = await cluster([labeller, gate]);
    let nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(registered(nc)).toMatchObject({ status: "Unknown", message: "Gate" });
    expect(nc.metadata.labels!["example.com/ready"]).toBe("yes");
    expect((await mc.client.get(Kinds.Node, "n1"))!.metadata.labels!["example.com/ready"]).toBe("yes");
    open = true;
    await mc.tick(4_000);
    expect(cond(await mc.client.get(Kinds.NodeClaim, "default-abcde"), "Registered")).toBe("Unknown");
    await mc.tick(1_500);
    nc = (await mc.client.get(Kinds.NodeClaim, "default-abcde"))!;
    expect(cond(nc, "Registered")).toBe("True");
  });
});

describe("checkRegistrationHooks (Karpenter's merge of hook results)", () => {
  const cloudWith = (hooks: RegistrationHook[]) => ({ registrationHooks: () => hooks }) as never;
  const claim = nodeClaim("x") as unknown as NodeClaimLike;

  it("no hooks: nothing pending", async () => {
    expect(await checkRegistrationHooks({} as never, claim)).toEqual({ pending: [], labels: {}, result: {} });
  });

  it("the shortest requeue interval wins; requeue and errors are merged, every pending hook named", async () => {
    const out = await checkRegistrationHooks(
      cloudWith([
        new ScriptedHook("A", () => ({ requeueAfterMs: 30_000 })),
        new ScriptedHook("B", () => ({ requeueAfterMs: 10_000 })),
        new ScriptedHook("C", () => ({ requeue: true })),
        new ScriptedHook("D", () => new Error("boom")),
        new ScriptedHook("E", () => ({})),
      ]),
      claim,
    );
    expect(out.pending).toEqual(["A", "B", "C", "D"]);
    expect(out.result).toEqual({ requeueAfterMs: 10_000, requeue: true });
    expect(out.error?.message).toBe('registration hook "D" failed, boom');
  });
});
