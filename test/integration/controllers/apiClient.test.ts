// The KubeClient adapter against the real apiserver: the status codes the engine branches on (409 on duplicate
// create, 422 on a failed resourceVersion test, missing objects on get/delete) and finalizer semantics.
import { KfcKubeClient } from "../../../src/kube/kfcClient";
import { KubeError, Kinds, KubeObject, isConflict, rvGuard } from "../../../src/kube/client";

const client = new KfcKubeClient();
const name = `capsicum-it-${Date.now().toString(36)}`;

afterAll(async () => {
  const n = await client.get(Kinds.Node, name);
  if (n?.metadata.finalizers?.length) await client.patch(Kinds.Node, name, [{ op: "remove", path: "/metadata/finalizers" }]).catch(() => undefined);
  await client.delete(Kinds.Node, name);
});

describe("KfcKubeClient against the apiserver", () => {
  it("creates, rejects duplicates with 409 and guards patches with a resourceVersion precondition (409)", async () => {
    const created = await client.create<KubeObject>(Kinds.Node, { metadata: { name, labels: { a: "1" } }, spec: { providerID: `aws:///us-east-1a/i-${name}` } });
    expect(created.metadata.uid).toBeTruthy();
    await expect(client.create(Kinds.Node, { metadata: { name } })).rejects.toMatchObject({ status: 409 });
    // The node controller may touch a fresh Node right away, so guard against the version we just read.
    const current = (await client.get<KubeObject>(Kinds.Node, name))!;
    const patched = await client.patch<KubeObject>(Kinds.Node, name, [
      rvGuard(current.metadata.resourceVersion),
      { op: "add", path: "/metadata/labels/karpenter.sh~1registered", value: "true" },
    ]);
    expect(patched.metadata.labels!["karpenter.sh/registered"]).toBe("true");
    const stale = client.patch(Kinds.Node, name, [
      rvGuard(current.metadata.resourceVersion),
      { op: "add", path: "/metadata/labels/b", value: "2" },
    ]);
    await expect(stale).rejects.toMatchObject({ status: 409 });
    await expect(stale).rejects.toBeInstanceOf(KubeError);
    expect(isConflict(await stale.catch(e => e))).toBe(true);
  });

  it("deleting an object with a finalizer only marks it; removing the finalizer lets it go", async () => {
    await client.patch(Kinds.Node, name, [{ op: "add", path: "/metadata/finalizers", value: ["karpenter.sh/termination"] }]);
    await client.delete(Kinds.Node, name);
    const marked = await client.get<KubeObject>(Kinds.Node, name);
    expect(marked?.metadata.deletionTimestamp).toBeTruthy();
    await client.patch(Kinds.Node, name, [{ op: "add", path: "/metadata/finalizers", value: [] }]);
    for (let i = 0; i < 20 && (await client.get(Kinds.Node, name)); i++) await new Promise(r => setTimeout(r, 100));
    expect(await client.get(Kinds.Node, name)).toBeUndefined();
    await expect(client.delete(Kinds.Node, name)).resolves.toBeUndefined();
  });

  it("lists with a label selector", async () => {
    const nodes = await client.list(Kinds.Node, { labelSelector: { "capsicum-it-none": "x" } });
    expect(nodes).toEqual([]);
  });
});
