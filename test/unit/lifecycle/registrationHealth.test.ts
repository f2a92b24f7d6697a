// NodePool NodeRegistrationHealthy as Karpenter v1.14 keeps it: Unknown until a launch of the pool's current spec
// and node class says something, True once NodeClaims register, False once half of the last 4 launches failed
// (not registered within the TTL, or a launch that timed out, with the Launched condition's reason), Unknown again
// when the NodePool or its EC2NodeClass changes; a restart continues from the condition.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { NodePoolHealth } from "../../../src/kube/nodePoolHealth";
import { miniCluster, MiniCluster, nodeClass, nodePool, registerNode } from "./fakes";

const SETTINGS = { REGISTRATION_TTL: "2m" };

async function cluster(): Promise<MiniCluster> {
  return miniCluster({ settings: SETTINGS, seed: async c => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
}

let seq = 0;
async function launch(mc: MiniCluster, o: { owned?: boolean } = {}): Promise<string> {
  const np = (await mc.client.get(Kinds.NodePool, "default"))!;
  const name = `default-${(++seq).toString(36).padStart(5, "0")}`;
  const nc: KubeObject = {
    metadata: {
      name,
      labels: { "karpenter.sh/nodepool": "default" },
      ownerReferences: o.owned === false ? [] : [{ apiVersion: "karpenter.sh/v1", kind: "NodePool", name: "default", uid: np.metadata.uid!, blockOwnerDeletion: true }],
    },
    spec: {
      nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
      requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }],
      resources: { requests: { cpu: "1" } },
    },
  };
  await mc.client.create(Kinds.NodeClaim, nc);
  await mc.tick(0);
  return name;
}

async function joins(mc: MiniCluster, name: string): Promise<void> {
  const nc = (await mc.client.get(Kinds.NodeClaim, name))!;
  await registerNode(mc.client, nc.status.providerID, `node-${name}`, true);
  await mc.tick(100);
}

async function neverJoins(mc: MiniCluster): Promise<void> {
  for (let i = 0; i < 14; i++) await mc.tick(10_000); // past the 2m registration TTL
}

const health = async (mc: MiniCluster) =>
  (await mc.client.get(Kinds.NodePool, "default"))!.status?.conditions?.find((c: { type: string }) => c.type === "NodeRegistrationHealthy");

describe("NodePool NodeRegistrationHealthy", () => {
  it("is Unknown at first, True once a NodeClaim registers, False once half of the last 4 launches failed to register", async () => {
    const mc = await cluster();
    const np = (await mc.client.get(Kinds.NodePool, "default"))!;
    expect(await health(mc)).toMatchObject({ status: "Unknown", reason: "AwaitingReconciliation", observedGeneration: np.metadata.generation });
    expect(np.status.nodeClassObservedGeneration).toBe((await mc.client.get(Kinds.EC2NodeClass, "default"))!.metadata.generation);

    await joins(mc, await launch(mc));
    expect(await health(mc)).toMatchObject({ status: "True", reason: "NodeRegistrationHealthy" });
    await launch(mc);
    await neverJoins(mc);
    expect((await health(mc))?.status).toBe("True"); // 1 of 2 failed
    await launch(mc);
    await neverJoins(mc);
    expect(await health(mc)).toMatchObject({ status: "False", reason: "RegistrationFailed", message: "Failed to register node" });
    // Ready is not affected (Karpenter's Ready = ValidationSucceeded ∧ NodeClassReady).
    expect((await mc.client.get(Kinds.NodePool, "default"))!.status.conditions.find((c: { type: string }) => c.type === "Ready")?.status).toBe("True");
    // While 2 of the last 4 failed it stays False: two successes leave [F, F, T, T], the third clears it.
    await joins(mc, await launch(mc));
    await joins(mc, await launch(mc));
    expect((await health(mc))?.status).toBe("False");
    await joins(mc, await launch(mc));
    expect((await health(mc))?.status).toBe("True");
  });

  it("turns False with the Launched condition's reason when launches time out, and a NodeClaim not owned by the pool does not count", async () => {
    const mc = await cluster();
    const denied = Object.assign(new Error("You are not authorized to perform this operation. (ec2:CreateFleet)"), { name: "UnauthorizedOperation" });
    mc.cloud.failCreateAlways = denied;
    await launch(mc, { owned: false });
    await launch(mc, { owned: false });
    for (let t = 0; t < 6 * 60_000; t += 10_000) await mc.tick(10_000);
    expect(mc.client.objects(Kinds.NodeClaim)).toHaveLength(0); // both timed out
    expect((await health(mc))?.status).toBe("Unknown");
    await launch(mc);
    await launch(mc);
    for (let t = 0; t < 6 * 60_000; t += 10_000) await mc.tick(10_000);
    expect(await health(mc)).toMatchObject({ status: "False", reason: "UnauthorizedOperation", message: expect.stringContaining("not authorized") });
  });

  it("is Unknown again when the NodePool or its EC2NodeClass changes, and a restart continues from the condition", async () => {
    const mc = await cluster();
    await launch(mc);
    await neverJoins(mc);
    await launch(mc);
    await neverJoins(mc);
    expect((await health(mc))?.status).toBe("False");

    // A restart keeps what it knew: one success after it is not enough.
    await mc.restart();
    await mc.tick(100);
    expect((await health(mc))?.status).toBe("False");
    await joins(mc, await launch(mc));
    expect((await health(mc))?.status).toBe("False");

    const np = (await mc.client.get(Kinds.NodePool, "default"))!;
    np.spec.template.metadata = { labels: { team: "a" } };
    await mc.client.replace(Kinds.NodePool, np);
    await mc.tick(100);
    const changed = (await mc.client.get(Kinds.NodePool, "default"))!;
    expect(await health(mc)).toMatchObject({ status: "Unknown", observedGeneration: changed.metadata.generation });
    await joins(mc, await launch(mc));
    expect((await health(mc))?.status).toBe("True"); // the failures before the change no longer count

    const cls = (await mc.client.get(Kinds.EC2NodeClass, "default"))!;
    cls.spec.tags = { team: "a" };
    await mc.client.replace(Kinds.EC2NodeClass, cls);
    await mc.tick(100);
    const after = (await mc.client.get(Kinds.NodePool, "default"))!;
    expect((await health(mc))?.status).toBe("Unknown");
    expect(after.status.nodeClassObservedGeneration).toBe((await mc.client.get(Kinds.EC2NodeClass, "default"))!.metadata.generation);
  });
});

describe("NodePoolHealth tracker", () => {
  it("keeps the last 4 outcomes; 2 failures among them is unhealthy", () => {
    const h = new NodePoolHealth();
    const f = { reason: "RegistrationFailed", message: "Failed to register node" };
    expect(h.status("u")).toBe("Unknown");
    h.record("u");
    expect(h.status("u")).toBe("Healthy");
    h.record("u", f);
    expect(h.status("u")).toBe("Healthy");
    h.record("u", f);
    expect(h.status("u")).toBe("Unhealthy");
    h.record("u");
    h.record("u"); // [F, F, T, T]
    expect(h.status("u")).toBe("Unhealthy");
    h.record("u"); // [F, T, T, T]
    expect(h.status("u")).toBe("Healthy");
    expect(h.lastFailure("u")).toEqual(f);
    h.reset("u");
    expect(h.status("u")).toBe("Unknown");
  });

  it("seeds from a condition only for a pool it knows nothing of", () => {
    const h = new NodePoolHealth();
    h.seed("a", { status: "False", reason: "UnauthorizedOperation", message: "denied" });
    expect(h.status("a")).toBe("Unhealthy");
    expect(h.lastFailure("a")).toEqual({ reason: "UnauthorizedOperation", message: "denied" });
    h.seed("b", { status: "True" });
    expect(h.status("b")).toBe("Healthy");
    h.seed("b", { status: "False" }); // already known: ignored
    expect(h.status("b")).toBe("Healthy");
    h.seed("c", { status: "Unknown" });
    expect(h.status("c")).toBe("Unknown");
    expect(h.knows("c")).toBe(true);
  });
});
