// Termination waits for VolumeAttachments, modelled on Karpenter v1.14's node termination suite ("should wait for
// volume attachments", "should only wait for volume attachments associated with drainable pods", "should not wait
// for volume attachments past terminationGracePeriod"): the instance is not terminated while the drained pods'
// volumes are still attached; attachments of pods that stay (tolerating karpenter.sh/disrupted) and of inline
// volumes do not block; the grace period bounds the wait.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { cond, miniCluster, nodeClass, nodePool, registerNode } from "./fakes";

const NC = "default-abcde";
const nodeClaim = (spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: NC, labels: { "karpenter.sh/nodepool": "default" } },
  spec: {
    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
    requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["m5.large"] }],
    resources: { requests: { cpu: "1" } },
    ...spec,
  },
});
const claimPod = (name: string, claim: string, tolerateDisrupted = false): KubeObject => ({
  metadata: { name, namespace: "default", ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "u", controller: true }] },
  spec: {
    nodeName: "n1",
    containers: [],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: claim } }],
    tolerations: tolerateDisrupted ? [{ key: "karpenter.sh/disrupted", operator: "Exists", effect: "NoSchedule" }] : undefined,
  },
  status: { phase: "Running" },
});
const pvc = (name: string, pv: string): KubeObject => ({
  metadata: { name, namespace: "default", annotations: { "pv.kubernetes.io/bind-completed": "yes" } },
  spec: { volumeName: pv, storageClassName: "gp3" },
  status: { phase: "Bound" },
});
const attachment = (name: string, pv?: string): KubeObject => ({
  metadata: { name },
  spec: { attacher: "ebs.csi.aws.com", nodeName: "n1", source: pv ? { persistentVolumeName: pv } : { inlineVolumeSpec: {} } },
  status: { attached: true },
});

async function launched(spec: Record<string, unknown> = {}) {
  const mc = await miniCluster({ seed: async (c) => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
  await mc.client.create(Kinds.NodeClaim, nodeClaim(spec));
  await mc.tick(0);
  await registerNode(mc.client, mc.cloud.running()[0]!.providerID, "n1", true);
  await mc.tick(0);
  return mc;
}
const ours = (mc: Awaited<ReturnType<typeof launched>>) => mc.cloud.running().filter((i) => i.nodeClaim === NC);
const claim = (mc: Awaited<ReturnType<typeof launched>>) => mc.client.get(Kinds.NodeClaim, NC);

describe("termination waits for volumes to detach (Karpenter's awaitVolumeDetachment)", () => {
  it("does not terminate the instance while a drained pod's VolumeAttachment exists; does once it is deleted", async () => {
    const mc = await launched();
    await mc.client.create(Kinds.PersistentVolumeClaim, pvc("data-db-0", "pv-1"));
    await mc.client.create(Kinds.Pod, claimPod("db-0", "data-db-0"));
    await mc.client.create(Kinds.VolumeAttachment, attachment("csi-va-1", "pv-1"));
    await mc.client.delete(Kinds.NodeClaim, NC);
    for (let i = 0; i < 5; i++) await mc.tick(1_000);
    expect(await mc.client.get(Kinds.Pod, "db-0")).toBeUndefined(); // drained
    expect(ours(mc)).toHaveLength(1);
    expect(cond(await claim(mc), "VolumesDetached")).toBe("Unknown");
    const ev = mc.client.events.find((e) => e.reason === "AwaitingVolumeDetachment");
    expect(ev?.message).toBe("Awaiting deletion of bound volumeattachments (csi-va-1)");
    expect((ev?.involvedObject as { kind: string; name: string })).toMatchObject({ kind: "Node", name: "n1" });
    // The attach/detach controller detaches the volume.
    await mc.client.delete(Kinds.VolumeAttachment, "csi-va-1");
    for (let i = 0; i < 10; i++) await mc.tick(1_000);
    expect(ours(mc)).toHaveLength(0);
    expect(await claim(mc)).toBeUndefined();
  });

  it("does not wait for attachments of pods that are not drained (tolerating karpenter.sh/disrupted) or of inline volumes", async () => {
    const mc = await launched();
    await mc.client.create(Kinds.PersistentVolumeClaim, pvc("stay", "pv-stay"));
    await mc.client.create(Kinds.Pod, claimPod("stays", "stay", true));
    await mc.client.create(Kinds.VolumeAttachment, attachment("csi-va-stay", "pv-stay"));
    await mc.client.create(Kinds.VolumeAttachment, attachment("csi-va-inline"));
    await mc.client.delete(Kinds.NodeClaim, NC);
    for (let i = 0; i < 12; i++) await mc.tick(1_000);
    expect(ours(mc)).toHaveLength(0);
    expect(mc.client.events.some((e) => e.reason === "AwaitingVolumeDetachment")).toBe(false);
  });

  it("stops waiting at the terminationGracePeriod deadline (VolumesDetached=False, TerminationGracePeriodElapsed)", async () => {
    const mc = await launched({ terminationGracePeriod: "30s" });
    await mc.client.create(Kinds.PersistentVolumeClaim, pvc("data-db-0", "pv-1"));
    await mc.client.create(Kinds.Pod, claimPod("db-0", "data-db-0"));
    await mc.client.create(Kinds.VolumeAttachment, attachment("csi-va-1", "pv-1"));
    await mc.client.delete(Kinds.NodeClaim, NC);
    const reasons = new Set<string>();
    mc.client.watch((kind, obj) => {
      const c = kind.plural === "nodeclaims" ? (obj.status?.conditions ?? []).find((x: { type: string }) => x.type === "VolumesDetached") : undefined;
      if (c) reasons.add(`${c.status}/${c.reason}`);
    });
    for (let i = 0; i < 20; i++) await mc.tick(1_000);
    expect(ours(mc)).toHaveLength(1); // 20 s: still waiting
    expect([...reasons]).toEqual(["Unknown/AwaitingVolumeDetachment"]);
    for (let i = 0; i < 20; i++) await mc.tick(1_000);
    expect([...reasons]).toEqual(["Unknown/AwaitingVolumeDetachment", "False/TerminationGracePeriodElapsed"]);
    for (let i = 0; i < 10; i++) await mc.tick(5_000);
    expect(ours(mc)).toHaveLength(0);
    expect(await mc.client.get(Kinds.VolumeAttachment, "csi-va-1")).toBeDefined();
  });
});
