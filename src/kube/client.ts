// The engine's only way to write to Kubernetes. A narrow interface (not kfc directly) so every controller is
// unit-testable against MemoryKubeClient and the kfc adapter stays the one place that knows about HTTP.
import type { ObjectMeta as ApiObjectMeta } from "../apis/meta";

/** The API types' ObjectMeta, with `name` required: every object the engine reads or writes has one. */
export interface ObjectMeta extends Omit<ApiObjectMeta, "name"> {
  name: string;
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  status?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  [k: string]: unknown;
}

/** Group/version/kind/plural of a resource; `namespaced` drives URL building in adapters. */
export interface ResourceKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const Kinds = {
  Pod: { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true },
  Node: { group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false },
  Event: { group: "", version: "v1", kind: "Event", plural: "events", namespaced: true },
  DaemonSet: { group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", namespaced: true },
  PodDisruptionBudget: {
    group: "policy",
    version: "v1",
    kind: "PodDisruptionBudget",
    plural: "poddisruptionbudgets",
    namespaced: true,
  },
  NodePool: { group: "karpenter.sh", version: "v1", kind: "NodePool", plural: "nodepools", namespaced: false },
  NodeClaim: { group: "karpenter.sh", version: "v1", kind: "NodeClaim", plural: "nodeclaims", namespaced: false },
  EC2NodeClass: {
    group: "karpenter.k8s.aws",
    version: "v1",
    kind: "EC2NodeClass",
    plural: "ec2nodeclasses",
    namespaced: false,
  },
  NodeOverlay: {
    group: "karpenter.sh",
    version: "v1alpha1",
    kind: "NodeOverlay",
    plural: "nodeoverlays",
    namespaced: false,
  },
  // Storage: pods' volume topology, attach limits and the termination's wait for volumes to detach.
  PersistentVolumeClaim: {
    group: "",
    version: "v1",
    kind: "PersistentVolumeClaim",
    plural: "persistentvolumeclaims",
    namespaced: true,
  },
  PersistentVolume: {
    group: "",
    version: "v1",
    kind: "PersistentVolume",
    plural: "persistentvolumes",
    namespaced: false,
  },
  StorageClass: {
    group: "storage.k8s.io",
    version: "v1",
    kind: "StorageClass",
    plural: "storageclasses",
    namespaced: false,
  },
  // Namespace labels, for pod (anti-)affinity namespaceSelectors: read-only, only name and labels are kept.
  Namespace: { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  CSINode: { group: "storage.k8s.io", version: "v1", kind: "CSINode", plural: "csinodes", namespaced: false },
  VolumeAttachment: {
    group: "storage.k8s.io",
    version: "v1",
    kind: "VolumeAttachment",
    plural: "volumeattachments",
    namespaced: false,
  },
} satisfies Record<string, ResourceKind>;

export type KindName = keyof typeof Kinds;

export function apiVersionOf(k: ResourceKind): string {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

/** RFC 6902 operation. `test` on /metadata/resourceVersion gives optimistic concurrency for read-modify-write. */
export type JsonPatchOp =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string };

/** HTTP-status-bearing error: 404 not found, 409 conflict/already exists, 422 invalid (incl. failed `test`), 429 PDB. */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "KubeError";
  }
}
export const isNotFound = (e: unknown): boolean => e instanceof KubeError && e.status === 404;
/** 409 only: a name collision or a stale resourceVersion, both retryable by re-reading. */
export const isConflict = (e: unknown): boolean => e instanceof KubeError && e.status === 409;
/** 422 Unprocessable: the object itself is invalid (e.g. a label value over 63 characters); retrying cannot help. */
export const isInvalid = (e: unknown): boolean => e instanceof KubeError && e.status === 422;
export const isTooManyRequests = (e: unknown): boolean => e instanceof KubeError && e.status === 429;

export interface ListOptions {
  namespace?: string;
  labelSelector?: Record<string, string>;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  /**
   * Delete only the object with this UID (the apiserver's preconditions.uid): a newer object that took the same
   * name (a Node named after a reused private IP) is left alone, and the call returns as if already deleted.
   */
  uid?: string;
}

export interface KubeClient {
  get<T extends KubeObject = KubeObject>(kind: ResourceKind, name: string, namespace?: string): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(kind: ResourceKind, opts?: ListOptions): Promise<T[]>;
  /** Throws KubeError(409) when the object already exists. */
  create<T extends KubeObject = KubeObject>(kind: ResourceKind, obj: T): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    kind: ResourceKind,
    name: string,
    ops: JsonPatchOp[],
    namespace?: string,
  ): Promise<T>;
  /** Merge-patches only `status` through the status subresource. */
  patchStatus<T extends KubeObject = KubeObject>(
    kind: ResourceKind,
    name: string,
    status: unknown,
    namespace?: string,
  ): Promise<T>;
  /** Requests deletion; a missing object is not an error. `gracePeriodSeconds: 0` force-deletes a pod. */
  delete(kind: ResourceKind, name: string, namespace?: string, opts?: DeleteOptions): Promise<void>;
  /** Eviction API; throws KubeError(429) when a PDB blocks it; a missing pod is not an error. */
  evict(name: string, namespace: string): Promise<void>;
  createEvent(event: KubeObject): Promise<void>;
}

/** Escapes a key for a JSON pointer path segment (labels like `karpenter.sh/nodepool` contain "/"). */
export function jsonPointerEscape(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Optimistic-concurrency guard for a JSON patch. A patch that sets metadata.resourceVersion makes the apiserver
 * reject it with 409 Conflict when the object changed since that version (a `test` op cannot do this: the
 * apiserver applies patches to the current object, whose version is not what the patch saw).
 */
export function rvGuard(resourceVersion: string | undefined): JsonPatchOp {
  return { op: "add", path: "/metadata/resourceVersion", value: resourceVersion ?? "" };
}
