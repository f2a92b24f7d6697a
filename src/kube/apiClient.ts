// KubeClient over the apiserver's REST API, through one pooled connection (apiConnection.ts). Maps HTTP statuses
// onto KubeError so callers can branch on them: 404 on get is "absent", on delete and evict "already gone".
import { ApiConnection } from "./apiConnection";
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

const ok = (status: number) => status >= 200 && status < 300;

function collection(kind: ResourceKind, namespace: string | undefined): string {
  const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  const ns = kind.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${kind.plural}`;
}

/** A single object's path; a namespaced kind without a namespace is in "default", as kubectl does. */
function item(kind: ResourceKind, name: string, namespace?: string): string {
  return `${collection(kind, kind.namespaced ? (namespace ?? "default") : undefined)}/${encodeURIComponent(name)}`;
}

function fail(status: number, body: unknown, what: string): never {
  const message = (body as { message?: string } | undefined)?.message;
  throw new KubeError(status, `${what}: ${message ?? (typeof body === "string" && body ? body : `HTTP ${status}`)}`);
}

export class ApiKubeClient implements KubeClient {
  private static shared?: ApiConnection;

  /** All clients of a process share one connection pool unless given their own. */
  constructor(private readonly own?: ApiConnection) {}

  /** Made on first use, not at import: `pepr build` loads the module without any cluster to talk to. */
  private get conn(): ApiConnection {
    return this.own ?? (ApiKubeClient.shared ??= new ApiConnection());
  }

  async get<T extends KubeObject>(kind: ResourceKind, name: string, namespace?: string): Promise<T | undefined> {
    const r = await this.conn.request("GET", item(kind, name, namespace));
    if (r.status === 404) return undefined;
    if (!ok(r.status)) fail(r.status, r.body, `get ${kind.kind} ${name}`);
    return r.body as T;
  }

  async list<T extends KubeObject>(kind: ResourceKind, opts: ListOptions = {}): Promise<T[]> {
    const selector = Object.entries(opts.labelSelector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const query = selector ? `?labelSelector=${encodeURIComponent(selector)}` : "";
    const r = await this.conn.request("GET", collection(kind, opts.namespace) + query);
    if (!ok(r.status)) fail(r.status, r.body, `list ${kind.plural}`);
    return ((r.body as { items?: T[] }).items ?? []) as T[];
  }

  async create<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    const ns = kind.namespaced ? (obj.metadata.namespace ?? "default") : undefined;
    const body = { apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version, kind: kind.kind, ...obj };
    const r = await this.conn.request("POST", collection(kind, ns), body);
    if (!ok(r.status)) fail(r.status, r.body, `create ${kind.kind} ${obj.metadata.name}`);
    return r.body as T;
  }

  async patch<T extends KubeObject>(
    kind: ResourceKind,
    name: string,
    ops: JsonPatchOp[],
    namespace?: string,
  ): Promise<T> {
    const r = await this.conn.request("PATCH", item(kind, name, namespace), ops, "application/json-patch+json");
    if (!ok(r.status)) fail(r.status, r.body, `patch ${kind.kind} ${name}`);
    return r.body as T;
  }

  async patchStatus<T extends KubeObject>(
    kind: ResourceKind,
    name: string,
    status: unknown,
    namespace?: string,
  ): Promise<T> {
    const path = `${item(kind, name, namespace)}/status`;
    const r = await this.conn.request("PATCH", path, { status }, "application/merge-patch+json");
    if (!ok(r.status)) fail(r.status, r.body, `patch status of ${kind.kind} ${name}`);
    return r.body as T;
  }

  async delete(kind: ResourceKind, name: string, namespace?: string, opts: DeleteOptions = {}): Promise<void> {
    const query = opts.gracePeriodSeconds === undefined ? "" : `?gracePeriodSeconds=${opts.gracePeriodSeconds}`;
    const body = opts.uid ? { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid: opts.uid } } : undefined;
    const r = await this.conn.request("DELETE", item(kind, name, namespace) + query, body);
    if (r.status === 404 || ok(r.status)) return;
    if (r.status === 409 && opts.uid) return; // the UID precondition failed: the object we meant is gone
    fail(r.status, r.body, `delete ${kind.kind} ${name}`);
  }

  async evict(name: string, namespace: string): Promise<void> {
    const eviction = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } };
    const r = await this.conn.request("POST", `${item(Kinds.Pod, name, namespace)}/eviction`, eviction);
    if (r.status === 404 || ok(r.status)) return;
    fail(r.status, r.body, `evict pod ${namespace}/${name}`);
  }

  async createEvent(event: KubeObject): Promise<void> {
    const r = await this.conn.request("POST", collection(Kinds.Event, event.metadata.namespace ?? "default"), {
      apiVersion: "v1",
      kind: "Event",
      ...event,
    });
    if (!ok(r.status)) fail(r.status, r.body, `create event ${event.metadata.name}`);
  }
}
