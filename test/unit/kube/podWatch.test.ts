// The engine's own Pod watch (src/kube/podWatch.ts): what kfc's Watcher keeps after a delivery is only the
// metadata its relist diff reads, a failed initial LIST fails the start (the capability retries it), and the
// engine takes Pods from the watch (no LIST of its own) before any controller acts on them.
import { EventEmitter } from "node:events";
import { WatchEvent } from "kubernetes-fluent-client";
import { startPodWatch, WatchFactory } from "../../../src/kube/podWatch";
import { Kinds, KubeObject } from "../../../src/kube/client";
import { FakeClock, flushMicrotasks } from "../../../src/kube/clock";
import { MemoryKubeClient } from "../../../src/kube/memoryClient";
import { startControllers } from "../../../src/controllers";
import { createLogger } from "../../../src/log";
import { FakeCloud, LogCapture, nodeClass, nodePool, pendingPod, testSettings } from "../lifecycle/fakes";

/** kfc's Watcher contract as the engine uses it: LIST (cache set, then callback), later events, LIST_ERROR. */
class FakeKfcWatcher {
  readonly events = new EventEmitter();
  readonly cache = new Map<string, KubeObject>();
  closed = false;
  listFails?: Error;
  constructor(private readonly cb: (obj: KubeObject, phase: string) => void, private readonly initial: KubeObject[]) {}
  factory: WatchFactory = () => this;
  async start(): Promise<void> {
    if (this.listFails) {
      this.events.emit(WatchEvent.LIST_ERROR, this.listFails);
      return;
    }
    this.events.emit(WatchEvent.LIST, { items: this.initial });
    for (const o of this.initial) this.deliver(o, "ADDED");
  }
  deliver(o: KubeObject, phase: string): void {
    if (phase === "DELETED") this.cache.delete(o.metadata.uid!);
    else this.cache.set(o.metadata.uid!, o);
    this.cb(o, phase);
  }
  close(): void { this.closed = true; }
}

function fakeWatch(initial: KubeObject[]) {
  let w: FakeKfcWatcher | undefined;
  const factory: WatchFactory = (cb) => (w = new FakeKfcWatcher(cb, initial));
  return { factory, get watcher() { return w!; } };
}

const fullPod = (name: string, rv: string): KubeObject => {
  const p = pendingPod(name);
  p.metadata = { ...p.metadata, uid: `uid-${name}`, resourceVersion: rv, managedFields: [{ manager: "kubectl" }], annotations: { big: "x".repeat(1000) } } as never;
  p.spec!.volumes = [{ name: "cfg", configMap: { name: "c" } }];
  return p;
};

describe("engine pod watch", () => {
  it("hands every listed pod to the engine whole, then leaves kfc's cache only uid, resourceVersion and the key", async () => {
    const seen: Array<{ phase: string; annotations: unknown }> = [];
    const fw = fakeWatch([fullPod("a", "5"), fullPod("b", "6")]);
    await startPodWatch((obj, phase) => seen.push({ phase, annotations: obj.metadata.annotations }), {}, fw.factory);
    expect(seen).toEqual([{ phase: "ADDED", annotations: { big: "x".repeat(1000) } }, { phase: "ADDED", annotations: { big: "x".repeat(1000) } }]);
    expect(fw.watcher.cache.get("uid-a")).toEqual({ metadata: { name: "a", namespace: "default", uid: "uid-a", resourceVersion: "5" } });
    // A relist's synthesised DELETED replays the cached stub: enough for the state to find and drop the pod.
    fw.watcher.deliver(fw.watcher.cache.get("uid-b")!, "DELETED");
    expect(seen[2]).toEqual({ phase: "DELETED", annotations: undefined });
  });

  it("stubs in place even when the engine throws, so a bad event cannot pin a full pod", async () => {
    const fw = fakeWatch([]);
    await startPodWatch(() => { throw new Error("engine failed"); }, {}, fw.factory);
    expect(() => fw.watcher.deliver(fullPod("c", "9"), "MODIFIED")).toThrow("engine failed"); // kfc emits DATA_ERROR
    expect(fw.watcher.cache.get("uid-c")).toEqual({ metadata: { name: "c", namespace: "default", uid: "uid-c", resourceVersion: "9" } });
  });

  it("fails the start and closes the watch when the initial LIST fails (the caller retries with backoff)", async () => {
    const fw = fakeWatch([]);
    const factory: WatchFactory = (cb, cfg) => {
      const w = fw.factory(cb, cfg) as unknown as FakeKfcWatcher;
      w.listFails = new Error("list failed: 403 Forbidden");
      return w;
    };
    await expect(startPodWatch(() => undefined, {}, factory)).rejects.toThrow("initial pod LIST failed: list failed: 403 Forbidden");
    expect(fw.watcher.closed).toBe(true);
  });

  it("drives provisioning: the engine lists no pods itself, and a pending pod from the watch gets a NodeClaim", async () => {
    const clock = new FakeClock();
    const client = new MemoryKubeClient(clock);
    await client.create(Kinds.EC2NodeClass, nodeClass());
    await client.create(Kinds.NodePool, nodePool());
    const fw = fakeWatch([fullPod("listed", "1")]);
    const c = await startControllers(testSettings(), {
      client, cloud: new FakeCloud(clock), clock, log: createLogger({ level: "error", destination: new LogCapture() }),
      podWatch: (on) => startPodWatch(on, {}, fw.factory),
    });
    expect(client.calls.filter((x) => x.method === "list").map((x) => x.kind)).not.toContain("pods");
    expect(c.state.pods.get("default/listed")).toBeDefined();
    fw.watcher.deliver(fullPod("later", "2"), "ADDED");
    await clock.advance(30_000);
    await flushMicrotasks();
    await c.settle();
    const claims = client.objects(Kinds.NodeClaim);
    expect(claims.length).toBeGreaterThan(0);
    expect(c.state.nominatedNodeClaim("default/later")).toBeDefined();
    await c.stop();
    expect(fw.watcher.closed).toBe(true);
  });
});
