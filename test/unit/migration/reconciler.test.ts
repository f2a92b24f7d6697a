// The migration reconciler against the in-memory KubeClient: create-or-update with ownerReferences, the
// provenance label, idempotence, status conditions, and refusal to take over a user's own NodePool.
import { Kinds, type KubeObject } from "../../../src/kube/client";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { V1alpha5Kinds, reconcileAWSNodeTemplate, reconcileProvisioner } from "../../../src/migration";

const disc = { "karpenter.sh/discovery": "demo" };
async function setup() {
  const client = new MemoryKubeClient();
  const deps = { client, ctx: { defaultInstanceProfile: "prof" }, now: () => new Date("2024-01-01T00:00:00Z") };
  const t = await client.create(V1alpha5Kinds.AWSNodeTemplate, { apiVersion: "karpenter.k8s.aws/v1alpha1", kind: "AWSNodeTemplate", metadata: { name: "default" }, spec: { subnetSelector: disc, securityGroupSelector: disc } });
  const p: KubeObject = await client.create(V1alpha5Kinds.Provisioner, { apiVersion: "karpenter.sh/v1alpha5", kind: "Provisioner", metadata: { name: "default" }, spec: { providerRef: { name: "default" }, ttlSecondsAfterEmpty: 30 } });
  return { client, deps, t, p };
}

describe("migration reconciler", () => {
  it("creates the NodePool and EC2NodeClass owned by their sources, with the provenance label", async () => {
    const { client, deps, t, p } = await setup();
    expect((await reconcileAWSNodeTemplate(deps, t)).written).toEqual(["EC2NodeClass/default"]);
    expect((await reconcileProvisioner(deps, p)).written).toEqual(["NodePool/default"]);
    const np = (await client.get(Kinds.NodePool, "default"))!;
    expect(np.metadata.ownerReferences).toEqual([{ apiVersion: "karpenter.sh/v1alpha5", kind: "Provisioner", name: "default", uid: p.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(np.metadata.labels).toEqual({ "capsicum.dev/converted-from": "provisioner.default" });
    expect(np.spec.disruption).toEqual({ consolidationPolicy: "WhenEmpty", consolidateAfter: "30s" });
    const nc = (await client.get(Kinds.EC2NodeClass, "default"))!;
    expect(nc.metadata.ownerReferences![0]!.kind).toBe("AWSNodeTemplate");
    expect(nc.spec.instanceProfile).toBe("prof");
  });

  it("is idempotent and writes Converted/Ready conditions once", async () => {
    const { client, deps, p } = await setup();
    await reconcileProvisioner(deps, p);
    const stored = (await client.get(V1alpha5Kinds.Provisioner, "default"))!;
    expect(stored.status.conditions.map((c: any) => [c.type, c.status])).toEqual([["Converted", "True"], ["Ready", "True"]]);
    expect(stored.status.conditions[0].message).toMatch(/^converted to NodePool default/);
    const rv = (await client.get(Kinds.NodePool, "default"))!.metadata.resourceVersion;
    const again = await reconcileProvisioner(deps, stored);
    expect(again.written).toEqual([]);
    expect((await client.get(Kinds.NodePool, "default"))!.metadata.resourceVersion).toBe(rv);
    expect((await client.get(V1alpha5Kinds.Provisioner, "default"))!.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
  });

  it("updates the NodePool when the Provisioner changes", async () => {
    const { client, deps, p } = await setup();
    await reconcileProvisioner(deps, p);
    const changed = await client.patch(V1alpha5Kinds.Provisioner, "default", [{ op: "add", path: "/spec/weight", value: 7 }]);
    expect((await reconcileProvisioner(deps, changed)).written).toEqual(["NodePool/default"]);
    expect((await client.get(Kinds.NodePool, "default"))!.spec.weight).toBe(7);
  });

  it("does not take over a NodePool it did not create, and reports it in the status", async () => {
    const { client, deps, p } = await setup();
    await client.create(Kinds.NodePool, { apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "default" }, spec: { weight: 1 } });
    const r = await reconcileProvisioner(deps, p);
    expect(r.converted).toBe(false);
    expect((await client.get(Kinds.NodePool, "default"))!.spec).toEqual({ weight: 1 });
    const cond = (await client.get(V1alpha5Kinds.Provisioner, "default"))!.status.conditions[0];
    expect([cond.status, cond.reason]).toEqual(["False", "ConversionFailed"]);
    expect(cond.message).toMatch(/NodePool default already exists and was not converted/);
  });

  it("rebuilds a Provisioner's kubelet node class when its AWSNodeTemplate changes", async () => {
    const { client, deps, t } = await setup();
    await client.patch(V1alpha5Kinds.Provisioner, "default", [{ op: "add", path: "/spec/kubeletConfiguration", value: { maxPods: 30 } }]);
    await reconcileAWSNodeTemplate(deps, t);
    expect((await client.get(Kinds.EC2NodeClass, "default-default"))!.spec.kubelet).toEqual({ maxPods: 30 });
    const t2 = await client.patch(V1alpha5Kinds.AWSNodeTemplate, "default", [{ op: "add", path: "/spec/tags", value: { team: "a" } }]);
    const r = await reconcileAWSNodeTemplate(deps, t2);
    expect(r.written).toEqual(["EC2NodeClass/default", "EC2NodeClass/default-default"]);
    expect((await client.get(Kinds.EC2NodeClass, "default-default"))!.spec.tags).toEqual({ team: "a" });
  });
});
