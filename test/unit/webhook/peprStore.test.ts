// The module's pods create Pepr's PeprStore before Pepr looks for it, so pods starting together cannot race on
// Pepr's own server-side apply (the loser never bound its webhook routes).
import { KubeClient, KubeError, KubeObject } from "../../../src/kube/client";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { PeprStoreKind, ensurePeprStore } from "../../../src/webhook/peprStore";

const NS = "pepr-system";
const NAME = "pepr-capsicum-store";
function recorder() {
  const lines: Array<{ level: string; msg: string; o: object }> = [];
  return {
    lines,
    log: {
      info: (o: object, msg: string) => lines.push({ level: "info", msg, o }),
      warn: (o: object, msg: string) => lines.push({ level: "warn", msg, o }),
    },
  };
}
const base = (client: KubeClient, log = recorder().log) => ({ client, namespace: NS, name: NAME, log, sleep: async () => {} });

it("creates the store Pepr would create (cacheID label, placeholder key) when it is missing", async () => {
  const c = new MemoryKubeClient();
  const r = recorder();
  expect(await ensurePeprStore({ ...base(c, r.log), now: () => 1234 })).toBe(true);
  const s = (await c.get(PeprStoreKind, NAME, NS)) as KubeObject;
  expect(s.metadata.labels).toEqual({ "pepr.dev-cacheID": "1234" });
  expect(s.data).toEqual({ __pepr_do_not_delete__: "k-thx-bye" });
  expect(r.lines.map((l) => l.msg)).toEqual(["created the Pepr store"]);
});

it("three pods starting together: one creates it, the others accept it, none fails", async () => {
  const c = new MemoryKubeClient();
  const results = await Promise.all([1, 2, 3].map(() => ensurePeprStore(base(c))));
  expect(results).toEqual([true, true, true]);
  expect(await c.list(PeprStoreKind, { namespace: NS })).toHaveLength(1);
});

it("an existing store (a restart, or Pepr's own) is left untouched", async () => {
  const c = new MemoryKubeClient();
  await c.create(PeprStoreKind, { metadata: { name: NAME, namespace: NS, labels: { "pepr.dev-cacheID": "1" } }, data: { "admission-v2-k": "v" } });
  expect(await ensurePeprStore(base(c))).toBe(true);
  expect(((await c.get(PeprStoreKind, NAME, NS)) as KubeObject).data).toEqual({ "admission-v2-k": "v" });
});

it("lost the create race between GET and POST (409): success", async () => {
  const c = new MemoryKubeClient();
  c.failNext("create", new KubeError(409, 'peprstores "pepr-capsicum-store" already exists'));
  expect(await ensurePeprStore(base(c))).toBe(true);
});

it("waits for the PeprStore CRD (404 while Pepr's entrypoint applies it), then creates", async () => {
  const c = new MemoryKubeClient();
  const notServed = new KubeError(404, "the server could not find the requested resource");
  c.failNext("get", notServed);
  c.failNext("get", notServed);
  let slept = 0;
  expect(await ensurePeprStore({ ...base(c), sleep: async () => void slept++ })).toBe(true);
  expect(slept).toBe(2);
  expect(await c.get(PeprStoreKind, NAME, NS)).toBeDefined();
});

it("any other failure is a warning naming the store, and Pepr is left to try itself (false)", async () => {
  const c = new MemoryKubeClient();
  c.failNext("create", new KubeError(403, 'peprstores.pepr.dev is forbidden: User "x" cannot create resource'));
  const r = recorder();
  expect(await ensurePeprStore(base(c, r.log))).toBe(false);
  expect(r.lines).toEqual([
    expect.objectContaining({ level: "warn", o: expect.objectContaining({ store: `${NS}/${NAME}`, err: expect.stringMatching(/forbidden/) }) }),
  ]);
});

it("a CRD that never appears stops retrying after the given attempts", async () => {
  const c = new MemoryKubeClient();
  for (let i = 0; i < 5; i++) c.failNext("get", new KubeError(404, "not found"));
  let slept = 0;
  expect(await ensurePeprStore({ ...base(c), attempts: 3, sleep: async () => void slept++ })).toBe(false);
  expect(slept).toBe(2);
});
