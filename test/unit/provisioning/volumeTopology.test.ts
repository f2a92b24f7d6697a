// The running provisioner with storage objects from watch events (the cluster state, slimmed): a pending pod whose
// claim is bound to a zonal PV gets a NodeClaim pinned to that zone; a pod whose claim does not exist is ignored
// with a FailedScheduling event naming the claim (no crash, the other pods still provision) and is provisioned as
// soon as the claim appears.
import { Kinds, KubeObject } from "../../../src/kube/client";
import { miniCluster, nodeClass, nodePool, pendingPod } from "../lifecycle/fakes";

const ZONE = "topology.kubernetes.io/zone";
const withClaim = (name: string, claim: string): KubeObject => {
  const p = pendingPod(name);
  p.spec.volumes = [{ name: "data", persistentVolumeClaim: { claimName: claim } }, { name: "tmp", emptyDir: {} }];
  return p;
};
const zonalPV = (name: string, zone: string): KubeObject => ({
  metadata: { name },
  spec: {
    capacity: { storage: "10Gi" },
    accessModes: ["ReadWriteOnce"],
    csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-0123456789abcdef0", fsType: "ext4" },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: "In", values: [zone] }] }] } },
  },
  status: { phase: "Bound" },
});
const boundPVC = (name: string, pv: string): KubeObject => ({
  metadata: { name, namespace: "default", annotations: { "pv.kubernetes.io/bind-completed": "yes", "kubectl.kubernetes.io/last-applied-configuration": "{}" } },
  spec: { volumeName: pv, storageClassName: "", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
  status: { phase: "Bound" },
});
const zoneOfClaim = (nc: KubeObject) => nc.spec.requirements.find((r: { key: string }) => r.key === ZONE)?.values;

async function cluster() {
  return miniCluster({ seed: async (c) => { await c.create(Kinds.EC2NodeClass, nodeClass()); await c.create(Kinds.NodePool, nodePool()); } });
}

describe("provisioning with volume topology", () => {
  it("a pod whose claim is bound to a zonal PV gets a NodeClaim only in that zone", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.PersistentVolume, zonalPV("pv-zonal", "us-east-1d"));
    await mc.client.create(Kinds.PersistentVolumeClaim, boundPVC("data-db-0", "pv-zonal"));
    await mc.client.create(Kinds.Pod, withClaim("db-0", "data-db-0"));
    await mc.tick(1_500);
    const claims = mc.client.objects(Kinds.NodeClaim);
    expect(claims).toHaveLength(1);
    expect(zoneOfClaim(claims[0]!)).toEqual(["us-east-1d"]);
  });

  it("keeps only the fields it reads from storage objects", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.PersistentVolume, zonalPV("pv-zonal", "us-east-1d"));
    await mc.client.create(Kinds.PersistentVolumeClaim, boundPVC("data-db-0", "pv-zonal"));
    await mc.tick(10);
    const pv = mc.controllers.state.persistentVolumes.get("pv-zonal")!;
    expect(pv.spec).toEqual({ nodeAffinity: zonalPV("pv-zonal", "us-east-1d").spec.nodeAffinity, csi: { driver: "ebs.csi.aws.com" } });
    const pvc = mc.controllers.state.persistentVolumeClaims.get("default/data-db-0")!;
    expect(pvc.metadata.annotations).toEqual({ "pv.kubernetes.io/bind-completed": "yes" });
    expect(pvc.spec).toEqual({ volumeName: "pv-zonal", storageClassName: "" });
  });

  it("a pod whose claim does not exist is ignored with a FailedScheduling event naming it; the others provision", async () => {
    const mc = await cluster();
    await mc.client.create(Kinds.Pod, withClaim("orphan", "missing-claim"));
    await mc.client.create(Kinds.Pod, pendingPod("web"));
    await mc.tick(1_500);
    const claims = mc.client.objects(Kinds.NodeClaim);
    expect(claims).toHaveLength(1);
    const ev = mc.client.events.find((e) => e.reason === "FailedScheduling" && (e.involvedObject as { name: string }).name === "orphan");
    expect(ev?.message).toMatch(/^Failed to schedule pod, ignoring pod, persistentvolumeclaim "default\/missing-claim" not found/);
    // The claim appears (bound to a zonal PV): the pod is provisioned in the PV's zone.
    await mc.client.create(Kinds.PersistentVolume, zonalPV("pv-late", "us-east-1b"));
    await mc.client.create(Kinds.PersistentVolumeClaim, boundPVC("missing-claim", "pv-late"));
    await mc.tick(1_500);
    const after = mc.client.objects(Kinds.NodeClaim);
    expect(after).toHaveLength(2);
    expect(after.map(zoneOfClaim).some((z) => z?.length === 1 && z[0] === "us-east-1b")).toBe(true);
  });
});
