// KubeClient over kubernetes-fluent-client (the client Pepr ships). The only file in the engine that imports
// kfc; it maps kfc's thrown HTTP responses onto KubeError so callers can branch on status codes.
import { K8s, GenericKind } from "kubernetes-fluent-client";
import {
  DeleteOptions,
  KubeClient,
  KubeError,
  KubeObject,
  ListOptions,
  ResourceKind,
  JsonPatchOp,
  Kinds,
} from "./client";

function model(kind: ResourceKind, name?: string, namespace?: string) {
  return K8s(GenericKind, {
    name,
    namespace: kind.namespaced ? namespace : undefined,
    kindOverride: { group: kind.group, version: kind.version, kind: kind.kind, plural: kind.plural },
  });
}

function wrap(e: unknown, what: string): never {
  const r = e as { status?: number; statusText?: string; data?: { message?: string } };
  if (r && typeof r.status === "number") {
    throw new KubeError(r.status, `${what}: ${r.data?.message ?? r.statusText ?? `HTTP ${r.status}`}`);
  }
  throw e;
}

export class KfcKubeClient implements KubeClient {
  async get<T extends KubeObject>(kind: ResourceKind, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return (await model(kind, undefined, namespace).Get(name)) as unknown as T;
    } catch (e) {
      if ((e as { status?: number })?.status === 404) return undefined;
      return wrap(e, `get ${kind.kind} ${name}`);
    }
  }

  async list<T extends KubeObject>(kind: ResourceKind, opts: ListOptions = {}): Promise<T[]> {
    try {
      const q = model(kind, undefined, opts.namespace);
      for (const [k, v] of Object.entries(opts.labelSelector ?? {})) q.WithLabel(k, v); // filters accumulate on q
      return ((await q.Get()).items ?? []) as unknown as T[];
    } catch (e) {
      return wrap(e, `list ${kind.plural}`);
    }
  }

  async create<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    try {
      return (await model(kind, undefined, obj.metadata.namespace).Create(
        obj as unknown as GenericKind,
      )) as unknown as T;
    } catch (e) {
      return wrap(e, `create ${kind.kind} ${obj.metadata.name}`);
    }
  }

  async patch<T extends KubeObject>(
    kind: ResourceKind,
    name: string,
    ops: JsonPatchOp[],
    namespace?: string,
  ): Promise<T> {
    try {
      return (await model(kind, name, namespace).Patch(ops as never)) as unknown as T;
    } catch (e) {
      return wrap(e, `patch ${kind.kind} ${name}`);
    }
  }

  async patchStatus<T extends KubeObject>(
    kind: ResourceKind,
    name: string,
    status: unknown,
    namespace?: string,
  ): Promise<T> {
    try {
      return (await model(kind, undefined, namespace).PatchStatus({
        metadata: { name, namespace },
        status,
      } as never)) as unknown as T;
    } catch (e) {
      return wrap(e, `patch status of ${kind.kind} ${name}`);
    }
  }

  async delete(kind: ResourceKind, name: string, namespace?: string, opts: DeleteOptions = {}): Promise<void> {
    try {
      if (opts.gracePeriodSeconds === undefined) await model(kind, undefined, namespace).Delete(name);
      else {
        // kfc's Delete takes no DeleteOptions; the apiserver accepts them as query parameters.
        const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
        const ns = kind.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? "default")}` : "";
        const url = `${base}${ns}/${kind.plural}/${encodeURIComponent(name)}?gracePeriodSeconds=${opts.gracePeriodSeconds}`;
        try {
          await model(kind).Raw(url, "DELETE" as never);
        } catch (e) {
          if ((e as { status?: number })?.status !== 404) throw e;
        }
      }
    } catch (e) {
      wrap(e, `delete ${kind.kind} ${name}`);
    }
  }

  async evict(name: string, namespace: string): Promise<void> {
    try {
      await model(Kinds.Pod, undefined, namespace).Evict(name);
    } catch (e) {
      wrap(e, `evict pod ${namespace}/${name}`);
    }
  }

  async createEvent(event: KubeObject): Promise<void> {
    try {
      await model(Kinds.Event, undefined, event.metadata.namespace).Create(event as unknown as GenericKind);
    } catch (e) {
      wrap(e, `create event ${event.metadata.name}`);
    }
  }
}
