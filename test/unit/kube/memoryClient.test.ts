import { Kinds, KubeObject, rvGuard } from "../../../src/kube/client";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";

describe("MemoryKubeClient (apiserver semantics the engine relies on)", () => {
  it("rejects a patch guarded by a stale resourceVersion with 409, as the apiserver does", async () => {
    const c = new MemoryKubeClient();
    const n = await c.create<KubeObject>(Kinds.Node, { metadata: { name: "n" }, spec: {} });
    await c.patch(Kinds.Node, "n", [rvGuard(n.metadata.resourceVersion), { op: "add", path: "/metadata/labels", value: { a: "1" } }]);
    await expect(c.patch(Kinds.Node, "n", [rvGuard(n.metadata.resourceVersion), { op: "add", path: "/metadata/labels", value: { a: "2" } }]))
      .rejects.toMatchObject({ status: 409 });
    expect((await c.get(Kinds.Node, "n"))!.metadata.labels).toEqual({ a: "1" });
  });

  it("keeps an object with finalizers until they are removed, and emits watch events", async () => {
    const c = new MemoryKubeClient();
    const seen: string[] = [];
    c.watch((k, o, phase) => seen.push(`${phase} ${o.metadata.name}`));
    await c.create(Kinds.NodeClaim, { metadata: { name: "nc", finalizers: ["karpenter.sh/termination"] }, spec: {} });
    await c.delete(Kinds.NodeClaim, "nc");
    expect((await c.get(Kinds.NodeClaim, "nc"))!.metadata.deletionTimestamp).toBeTruthy();
    await c.patch(Kinds.NodeClaim, "nc", [{ op: "add", path: "/metadata/finalizers", value: [] }]);
    expect(await c.get(Kinds.NodeClaim, "nc")).toBeUndefined();
    expect(seen).toEqual(["ADDED nc", "MODIFIED nc", "DELETED nc"]);
  });
});
