// The KubeClient against the real apiserver: the status codes the engine branches on (409 on duplicate create and
// on a stale resourceVersion, missing objects on get/delete/evict), finalizer semantics, status patches, Events, and
// one bounded pool of connections reused across requests (kfc opened one per request and kept it 10 minutes).
import { ApiConnection, MAX_SOCKETS, socketCounts } from "../../../src/kube/apiConnection";
import { ApiKubeClient } from "../../../src/kube/apiClient";
import { KubeError, Kinds, KubeObject, isConflict, rvGuard } from "../../../src/kube/client";

const conn = new ApiConnection();
const client = new ApiKubeClient(conn);
const name = `capsicum-it-${Date.now().toString(36)}`;

afterAll(async () => {
  const n = await client.get(Kinds.Node, name);
  if (n?.metadata.finalizers?.length)
    await client.patch(Kinds.Node, name, [{ op: "remove", path: "/metadata/finalizers" }]).catch(() => undefined);
  await client.delete(Kinds.Node, name);
});

describe("ApiKubeClient against the apiserver", () => {
  it("creates, rejects duplicates with 409 and guards patches with a resourceVersion precondition (409)", async () => {
    const created = await client.create<KubeObject>(Kinds.Node, {
      metadata: { name, labels: { a: "1" } },
      spec: { providerID: `aws:///us-east-1a/i-${name}` },
    });
    expect(created.metadata.uid).toBeTruthy();
    await expect(client.create(Kinds.Node, { metadata: { name } })).rejects.toMatchObject({ status: 409 });
    // The node controller may touch a fresh Node between our read and our write (a 409 for us too): read again,
    // as a controller would, until a guarded patch goes through on the version just read.
    let current: KubeObject | undefined;
    let patched: KubeObject | undefined;
    for (let attempt = 0; attempt < 10 && !patched; attempt++) {
      current = (await client.get<KubeObject>(Kinds.Node, name))!;
      patched = await client
        .patch<KubeObject>(Kinds.Node, name, [
          rvGuard(current.metadata.resourceVersion),
          { op: "add", path: "/metadata/labels/karpenter.sh~1registered", value: "true" },
        ])
        .catch((e: unknown) => {
          if (!isConflict(e)) throw e;
          return undefined;
        });
    }
    expect(patched?.metadata.labels!["karpenter.sh/registered"]).toBe("true");
    const stale = client.patch(Kinds.Node, name, [
      rvGuard(current!.metadata.resourceVersion),
      { op: "add", path: "/metadata/labels/b", value: "2" },
    ]);
    await expect(stale).rejects.toMatchObject({ status: 409 });
    await expect(stale).rejects.toBeInstanceOf(KubeError);
    expect(isConflict(await stale.catch((e: unknown) => e))).toBe(true);
  });

  it("deleting an object with a finalizer only marks it; removing the finalizer lets it go", async () => {
    await client.patch(Kinds.Node, name, [
      { op: "add", path: "/metadata/finalizers", value: ["karpenter.sh/termination"] },
    ]);
    await client.delete(Kinds.Node, name);
    const marked = await client.get<KubeObject>(Kinds.Node, name);
    expect(marked?.metadata.deletionTimestamp).toBeTruthy();
    await client.patch(Kinds.Node, name, [{ op: "add", path: "/metadata/finalizers", value: [] }]);
    for (let i = 0; i < 20 && (await client.get(Kinds.Node, name)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await client.get(Kinds.Node, name)).toBeUndefined();
    await expect(client.delete(Kinds.Node, name)).resolves.toBeUndefined();
  });

  it("a delete carrying a UID leaves a newer object of the same name alone (preconditions.uid)", async () => {
    const other = `${name}-uid`;
    const first = await client.create<KubeObject>(Kinds.Node, { apiVersion: "v1", kind: "Node", metadata: { name: other } });
    await client.delete(Kinds.Node, other);
    const second = await client.create<KubeObject>(Kinds.Node, { apiVersion: "v1", kind: "Node", metadata: { name: other } });
    await expect(client.delete(Kinds.Node, other, undefined, { uid: first.metadata.uid })).resolves.toBeUndefined();
    expect((await client.get<KubeObject>(Kinds.Node, other))?.metadata.uid).toBe(second.metadata.uid);
    await client.delete(Kinds.Node, other, undefined, { uid: second.metadata.uid });
    expect(await client.get(Kinds.Node, other)).toBeUndefined();
  });

  it("lists with a label selector", async () => {
    const nodes = await client.list(Kinds.Node, { labelSelector: { "capsicum-it-none": "x" } });
    expect(nodes).toEqual([]);
  });

  it("patches status, creates Events, and treats a missing pod's eviction as done", async () => {
    const node = `${name}-status`;
    await client.create(Kinds.Node, { metadata: { name: node } });
    try {
      const out = await client.patchStatus<KubeObject>(Kinds.Node, node, { capacity: { "example.com/widgets": "3" } });
      expect(out.status.capacity["example.com/widgets"]).toBe("3");
      expect((await client.get<KubeObject>(Kinds.Node, node))!.status.capacity["example.com/widgets"]).toBe("3");
      await expect(client.patchStatus(Kinds.Node, `${node}-absent`, {})).rejects.toMatchObject({ status: 404 });
    } finally {
      await client.delete(Kinds.Node, node);
    }
    await client.createEvent({
      metadata: { name: `${name}.event`, namespace: "default" },
      involvedObject: { kind: "Node", name, apiVersion: "v1" },
      reason: "ApiClientTest",
      message: "hello",
      type: "Normal",
    } as unknown as KubeObject);
    const events = await client.list<KubeObject>(Kinds.Event, { namespace: "default" });
    expect(
      events.some((e) => e.metadata.name === `${name}.event` && (e as { reason?: string }).reason === "ApiClientTest"),
    ).toBe(true);
    await expect(client.evict(`${name}-no-such-pod`, "default")).resolves.toBeUndefined();
  });

  it("shares one bounded, reused pool of connections across many requests", async () => {
    await Promise.all(Array.from({ length: 100 }, () => client.get(Kinds.Node, `${name}-absent`)));
    const after = socketCounts(conn.agent);
    expect(after.open + after.idle).toBeLessThanOrEqual(MAX_SOCKETS);
    expect(after.idle).toBeGreaterThan(0); // kept alive for the next requests
    for (let i = 0; i < 20; i++) await client.get(Kinds.Node, `${name}-absent`);
    const sequential = socketCounts(conn.agent);
    expect(sequential.open + sequential.idle).toBeLessThanOrEqual(after.open + after.idle);
  });
});
