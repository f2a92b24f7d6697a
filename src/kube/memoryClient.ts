// An in-memory KubeClient with the apiserver semantics the engine relies on: resourceVersions, 409 on
// duplicate create, finalizers (delete only sets deletionTimestamp until they are gone), status merge-patch,
// eviction (429 when `evictionBlocked` says so) and a watch stream. For unit tests and benchmarks.
import { jsonEqual } from "../apis/jsonEqual";
import { Clock, realClock } from "./clock";
import {
  DeleteOptions,
  JsonPatchOp,
  KubeClient,
  KubeError,
  KubeObject,
  ListOptions,
  ResourceKind,
  apiVersionOf,
  Kinds,
} from "./client";
import { applyJsonPatch, mergePatch } from "./jsonPatch";

export type WatchPhase = "ADDED" | "MODIFIED" | "DELETED";
export type WatchListener = (kind: ResourceKind, obj: KubeObject, phase: WatchPhase) => void;

export class MemoryKubeClient implements KubeClient {
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private rv = 0;
  private uid = 0;
  private readonly listeners: WatchListener[] = [];
  readonly events: KubeObject[] = [];
  readonly calls: Array<{ method: string; kind: string; name: string }> = [];
  /** Return true to make an eviction of this pod fail with 429 (as a PDB would). */
  evictionBlocked: (pod: KubeObject) => boolean = () => false;
  /**
   * As a real apiserver: deleting a pod bound to a node only sets deletionTimestamp (now + its grace period); the
   * kubelet removes it (`finishPodTermination`). Off by default (pods vanish on delete), on for chaos tests of
   * pods stuck Terminating. `gracePeriodSeconds: 0` always removes the pod.
   */
  gracefulPodDeletion = false;
  /** Pods deleted gracefully, waiting for their kubelet. */
  private readonly terminating = new Set<string>();
  private readonly faults: Array<{ method: string; kind?: string; error: Error }> = [];

  constructor(private readonly clock: Clock = realClock) {}

  watch(l: WatchListener): void {
    this.listeners.push(l);
  }

  /** Makes the next call of `method` (optionally only for `kind`) throw `error`: simulates crashes and API failures. */
  failNext(method: keyof KubeClient, error: Error = new KubeError(500, "injected failure"), kind?: string): void {
    this.faults.push({ method, kind, error });
  }

  /** Direct view for assertions (a copy). */
  objects<T extends KubeObject = KubeObject>(kind: ResourceKind): T[] {
    return [...(this.store.get(kind.plural)?.values() ?? [])].map((o) => structuredClone(o) as T);
  }

  private bucket(kind: ResourceKind): Map<string, KubeObject> {
    let b = this.store.get(kind.plural);
    if (!b) this.store.set(kind.plural, (b = new Map()));
    return b;
  }
  private key(kind: ResourceKind, name: string, ns?: string): string {
    return kind.namespaced ? `${ns ?? "default"}/${name}` : name;
  }
  private emit(kind: ResourceKind, obj: KubeObject, phase: WatchPhase): void {
    for (const l of this.listeners) l(kind, structuredClone(obj), phase);
  }
  private checkFault(method: string, kind: ResourceKind): void {
    const i = this.faults.findIndex((f) => f.method === method && (!f.kind || f.kind === kind.kind));
    if (i >= 0) throw this.faults.splice(i, 1)[0]!.error;
  }
  private record(method: string, kind: ResourceKind, name: string): void {
    this.calls.push({ method, kind: kind.kind, name });
  }

  async get<T extends KubeObject>(kind: ResourceKind, name: string, namespace?: string): Promise<T | undefined> {
    this.checkFault("get", kind);
    const o = this.bucket(kind).get(this.key(kind, name, namespace));
    return o ? (structuredClone(o) as T) : undefined;
  }

  async list<T extends KubeObject>(kind: ResourceKind, opts: ListOptions = {}): Promise<T[]> {
    this.checkFault("list", kind);
    return this.objects<T>(kind).filter(
      (o) =>
        (!opts.namespace || o.metadata.namespace === opts.namespace) &&
        Object.entries(opts.labelSelector ?? {}).every(([k, v]) =>
          v === "" ? k in (o.metadata.labels ?? {}) : o.metadata.labels?.[k] === v,
        ),
    );
  }

  /** Seeds an object as if it already existed (e.g. a Node registered by a kubelet); emits ADDED. */
  async create<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    this.checkFault("create", kind);
    this.record("create", kind, obj.metadata.name);
    validateMetadata(kind, obj);
    const b = this.bucket(kind);
    const k = this.key(kind, obj.metadata.name, obj.metadata.namespace);
    if (b.has(k)) throw new KubeError(409, `${kind.plural} "${obj.metadata.name}" already exists`);
    // asServed makes the stored deep copy; the caller's object is not kept.
    const served = asServed<KubeObject>({
      ...obj,
      apiVersion: apiVersionOf(kind),
      kind: kind.kind,
      metadata: {
        ...obj.metadata,
        namespace: kind.namespaced ? (obj.metadata.namespace ?? "default") : undefined,
        uid: `uid-${++this.uid}`,
        resourceVersion: String(++this.rv),
        generation: 1,
        creationTimestamp: obj.metadata.creationTimestamp ?? new Date(this.clock.now()).toISOString(),
      },
    });
    b.set(k, served);
    this.emit(kind, served, "ADDED");
    return structuredClone(served) as T;
  }

  async patch<T extends KubeObject>(
    kind: ResourceKind,
    name: string,
    ops: JsonPatchOp[],
    namespace?: string,
  ): Promise<T> {
    this.checkFault("patch", kind);
    this.record("patch", kind, name);
    const b = this.bucket(kind),
      k = this.key(kind, name, namespace);
    const cur = b.get(k);
    if (!cur) throw new KubeError(404, `${kind.plural} "${name}" not found`);
    const next = applyJsonPatch(cur, ops);
    return this.update(kind, k, cur, next) as T;
  }

  async patchStatus<T extends KubeObject>(
    kind: ResourceKind,
    name: string,
    status: unknown,
    namespace?: string,
  ): Promise<T> {
    this.checkFault("patchStatus", kind);
    this.record("patchStatus", kind, name);
    const b = this.bucket(kind),
      k = this.key(kind, name, namespace);
    const cur = b.get(k);
    if (!cur) throw new KubeError(404, `${kind.plural} "${name}" not found`);
    // Shallow: update() stores a deep copy (asServed), and nothing writes into a stored object's nested values.
    const next: KubeObject = { ...cur, status: mergePatch(cur.status ?? {}, status) };
    return this.update(kind, k, cur, next) as T;
  }

  /** Replaces an object wholesale (tests use it to play a kubelet/KWOK updating a Node). */
  async replace<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    const b = this.bucket(kind),
      k = this.key(kind, obj.metadata.name, obj.metadata.namespace);
    const cur = b.get(k);
    if (!cur) throw new KubeError(404, `${kind.plural} "${obj.metadata.name}" not found`);
    const next: KubeObject = {
      ...obj,
      metadata: { ...obj.metadata, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp },
    };
    return this.update(kind, k, cur, next) as T;
  }

  private update(kind: ResourceKind, k: string, cur: KubeObject, next: KubeObject): KubeObject {
    const b = this.bucket(kind);
    if (next.metadata.resourceVersion !== cur.metadata.resourceVersion && next.metadata.resourceVersion !== undefined) {
      throw new KubeError(409, `the object has been modified; please apply your changes to the latest version`);
    }
    // As kube-apiserver: the generation is the server's, bumped by a change of the spec only.
    const generation = jsonEqual(cur.spec, next.spec) ? cur.metadata.generation : (cur.metadata.generation ?? 0) + 1;
    next.metadata = { ...next.metadata, resourceVersion: String(++this.rv), generation };
    const kubeletPending = kind.kind === "Pod" && this.terminating.has(k);
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length && !kubeletPending) {
      b.delete(k);
      this.emit(kind, next, "DELETED");
      return structuredClone(next);
    }
    const served = asServed(next);
    b.set(k, served);
    this.emit(kind, served, "MODIFIED");
    return structuredClone(served);
  }

  async delete(kind: ResourceKind, name: string, namespace?: string, opts: DeleteOptions = {}): Promise<void> {
    this.checkFault("delete", kind);
    this.record(opts.gracePeriodSeconds === 0 ? "forceDelete" : "delete", kind, name);
    const b = this.bucket(kind),
      k = this.key(kind, name, namespace);
    const cur = b.get(k);
    if (!cur) return;
    if (opts.uid && cur.metadata.uid !== opts.uid) return; // as the apiserver's preconditions.uid (409, ignored)
    if (
      kind.kind === "Pod" &&
      this.gracefulPodDeletion &&
      cur.spec?.nodeName &&
      opts.gracePeriodSeconds !== 0 &&
      !cur.metadata.finalizers?.length
    ) {
      if (cur.metadata.deletionTimestamp) return;
      const grace = opts.gracePeriodSeconds ?? cur.spec?.terminationGracePeriodSeconds ?? 30;
      const next = structuredClone(cur);
      next.metadata.deletionTimestamp = new Date(this.clock.now() + grace * 1000).toISOString();
      next.metadata.deletionGracePeriodSeconds = grace;
      this.terminating.add(k);
      this.update(kind, k, cur, next);
      return;
    }
    this.terminating.delete(k);
    if (cur.metadata.finalizers?.length) {
      if (cur.metadata.deletionTimestamp) return;
      const next = structuredClone(cur);
      next.metadata.deletionTimestamp = new Date(this.clock.now()).toISOString();
      this.update(kind, k, cur, next);
      return;
    }
    b.delete(k);
    this.emit(kind, cur, "DELETED");
  }

  /** The kubelet confirming a gracefully deleted pod has stopped: it disappears. */
  finishPodTermination(name: string, namespace = "default"): void {
    const b = this.bucket(Kinds.Pod),
      k = this.key(Kinds.Pod, name, namespace);
    const cur = b.get(k);
    if (!cur?.metadata.deletionTimestamp) return;
    this.terminating.delete(k);
    b.delete(k);
    this.emit(Kinds.Pod, { ...cur, metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } }, "DELETED");
  }

  async evict(name: string, namespace: string): Promise<void> {
    this.checkFault("evict", Kinds.Pod);
    this.record("evict", Kinds.Pod, name);
    const pod = this.bucket(Kinds.Pod).get(this.key(Kinds.Pod, name, namespace));
    if (!pod) return;
    if (this.evictionBlocked(pod))
      throw new KubeError(429, `Cannot evict pod as it would violate the pod's disruption budget.`);
    await this.delete(Kinds.Pod, name, namespace);
  }

  async createEvent(event: KubeObject): Promise<void> {
    this.checkFault("createEvent", Kinds.Event);
    this.events.push(structuredClone(event));
  }
}

/**
 * An object as the apiserver hands it back: a copy whose object keys are sorted (custom resources are stored and
 * served that way, and maps such as labels always are), not in the order the writer used. Code that compares a
 * computed value with a served one by its JSON string then fails here as it would against a real apiserver.
 */
function asServed<T>(v: T): T {
  if (Array.isArray(v)) return v.map(asServed) as T;
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = asServed(x);
  }
  return out as T;
}

/** The apiserver's metadata validation every object gets (422): name length, label value length. */
function validateMetadata(kind: ResourceKind, obj: KubeObject): void {
  const name = obj.metadata.name ?? "";
  if (name.length > 253)
    throw new KubeError(422, `${kind.kind} "${name}" is invalid: metadata.name: must be no more than 253 characters`);
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {}))
    if (String(v).length > 63)
      throw new KubeError(
        422,
        `${kind.kind} "${name}" is invalid: metadata.labels: Invalid value: "${v}": must be no more than 63 characters`,
      );
}
