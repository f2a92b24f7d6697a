// Reducers from full watch objects to the fields the engine reads. The watcher sees every Pod and Node in
// the cluster; Karpenter's memory regressions (aws#8841, aws#7321) came from holding whole objects, so the
// cluster state keeps only these projections (no managedFields, env, volumes, images, status details...).
import { KubeObject, ObjectMeta } from "./client";

const KEEP_ANNOTATIONS =
  /^(karpenter\.sh\/|karpenter\.k8s\.aws\/|cluster-autoscaler\.kubernetes\.io\/safe-to-evict$|kubernetes\.io\/config\.(mirror|source)$|controller\.kubernetes\.io\/pod-deletion-cost$)/;

function slimMeta(m: ObjectMeta, keepAllAnnotations = false): ObjectMeta {
  const out: ObjectMeta = { name: m.name };
  if (m.namespace) out.namespace = m.namespace;
  if (m.uid) out.uid = m.uid;
  if (m.resourceVersion) out.resourceVersion = m.resourceVersion;
  if (m.generation !== undefined) out.generation = m.generation;
  if (m.creationTimestamp) out.creationTimestamp = m.creationTimestamp;
  if (m.deletionTimestamp) out.deletionTimestamp = m.deletionTimestamp;
  if (m.labels && Object.keys(m.labels).length) out.labels = m.labels;
  if (m.annotations) {
    const a = keepAllAnnotations
      ? m.annotations
      : Object.fromEntries(Object.entries(m.annotations).filter(([k]) => KEEP_ANNOTATIONS.test(k)));
    if (Object.keys(a).length) out.annotations = a;
  }
  if (m.finalizers?.length) out.finalizers = m.finalizers;
  if (m.ownerReferences?.length) {
    out.ownerReferences = m.ownerReferences.map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.name,
      uid: o.uid,
      controller: o.controller,
    }));
  }
  return out;
}

type Container = {
  name?: string;
  resources?: unknown;
  ports?: Array<{ hostPort?: number; containerPort?: number; protocol?: string; hostIP?: string }>;
  restartPolicy?: string;
};

function slimContainers(cs: Container[] | undefined): Container[] | undefined {
  if (!cs) return undefined;
  return cs.map((c) => {
    const o: Container = { name: c.name };
    if (c.resources) o.resources = c.resources;
    const hp = c.ports?.filter((p) => p.hostPort);
    if (hp?.length) o.ports = hp;
    if (c.restartPolicy) o.restartPolicy = c.restartPolicy;
    return o;
  });
}

const POD_SPEC_KEEP = [
  "nodeName",
  "nodeSelector",
  "affinity",
  "tolerations",
  "topologySpreadConstraints",
  "priority",
  "priorityClassName",
  "schedulingGates",
  "overhead",
  "terminationGracePeriodSeconds",
  "schedulerName",
  "preemptionPolicy",
] as const;

export function slimPodSpec(spec: any): any {
  // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!spec) return {};
  const out: Record<string, unknown> = {};
  for (const k of POD_SPEC_KEEP) if (spec[k] !== undefined) out[k] = spec[k];
  out.containers = slimContainers(spec.containers) ?? [];
  const init = slimContainers(spec.initContainers);
  if (init?.length) out.initContainers = init;
  // Claim names matter for volume topology and attach limits (a generic ephemeral volume's claim is named after
  // the pod and the volume); the rest of the volume definitions do not.
  const pvcs = (spec.volumes ?? [])
    .filter((v: { persistentVolumeClaim?: unknown; ephemeral?: unknown }) => v.persistentVolumeClaim || v.ephemeral)
    .map((v: { name: string; persistentVolumeClaim?: { claimName: string } }) =>
      v.persistentVolumeClaim
        ? { name: v.name, persistentVolumeClaim: { claimName: v.persistentVolumeClaim.claimName } }
        : { name: v.name, ephemeral: {} },
    );
  if (pvcs.length) out.volumes = pvcs;
  return out;
}

export function slimPod(pod: KubeObject): KubeObject {
  const st = pod.status ?? {};
  const status: Record<string, unknown> = {};
  if (st.phase) status.phase = st.phase;
  if (st.startTime) status.startTime = st.startTime;
  if (st.nominatedNodeName) status.nominatedNodeName = st.nominatedNodeName;
  const conds = (st.conditions ?? [])
    .filter((c: { type: string }) => c.type === "PodScheduled" || c.type === "Ready")
    // The transition time dates binding and readiness (karpenter_pods_{bound,startup}_duration_seconds).
    .map((c: { type: string; status: string; reason?: string; lastTransitionTime?: string }) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
    }));
  if (conds.length) status.conditions = conds;
  return { apiVersion: "v1", kind: "Pod", metadata: slimMeta(pod.metadata), spec: slimPodSpec(pod.spec), status };
}

export function slimNode(node: KubeObject): KubeObject {
  const st = node.status ?? {};
  // Every condition's type/status/reason/transition time (not heartbeats or messages): Ready for readiness, the
  // rest for node repair's policies (node monitoring agent conditions).
  const conditions = (st.conditions ?? []).map(
    (c: { type: string; status: string; reason?: string; lastTransitionTime?: string }) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      lastTransitionTime: c.lastTransitionTime,
    }),
  );
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: slimMeta(node.metadata),
    spec: { providerID: node.spec?.providerID, taints: node.spec?.taints, unschedulable: node.spec?.unschedulable },
    status: {
      capacity: st.capacity,
      allocatable: st.allocatable,
      conditions,
    },
  };
}

export function slimDaemonSet(ds: KubeObject): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: slimMeta(ds.metadata),
    spec: {
      template: {
        metadata: { labels: ds.spec?.template?.metadata?.labels },
        spec: slimPodSpec(ds.spec?.template?.spec),
      },
    },
  };
}

export function slimPdb(pdb: KubeObject): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: slimMeta(pdb.metadata),
    spec: {
      selector: pdb.spec?.selector,
      minAvailable: pdb.spec?.minAvailable,
      maxUnavailable: pdb.spec?.maxUnavailable,
    },
    status: { disruptionsAllowed: pdb.status?.disruptionsAllowed ?? 0 },
  };
}

const NODECLAIM_SPEC_KEEP = [
  "requirements",
  "resources",
  "nodeClassRef",
  "taints",
  "startupTaints",
  "expireAfter",
  "terminationGracePeriod",
] as const;
const NODECLAIM_STATUS_KEEP = [
  "providerID",
  "nodeName",
  "imageID",
  "capacity",
  "allocatable",
  "lastPodEventTime",
  // Whole conditions: the lifecycle patches the array it read back as the new status.conditions.
  "conditions",
] as const;

/**
 * NodeClaims: Karpenter v1's spec and status fields the engine reads, every annotation (drift hashes) and no
 * managedFields. The lifecycle writes status by merge patch and never replaces a NodeClaim from this copy.
 */
export function slimNodeClaim(nc: KubeObject): KubeObject {
  const pick = (src: Record<string, unknown> | undefined, keys: readonly string[]) => {
    const out: Record<string, unknown> = {};
    for (const k of keys) if (src?.[k] !== undefined) out[k] = src[k];
    return out;
  };
  const out: KubeObject = {
    apiVersion: nc.apiVersion ?? "karpenter.sh/v1",
    kind: "NodeClaim",
    metadata: slimMeta(nc.metadata, true),
    spec: pick(nc.spec, NODECLAIM_SPEC_KEEP),
  };
  if (nc.status) out.status = pick(nc.status, NODECLAIM_STATUS_KEEP);
  return out;
}

/** Karpenter's own CRs are small and few: keep them whole except managedFields. */
export function slimCustom(obj: KubeObject): KubeObject {
  const { managedFields: _m, ...meta } = obj.metadata as ObjectMeta & { managedFields?: unknown };
  return { ...obj, metadata: slimMeta(meta as ObjectMeta, true) };
}

/** A Namespace as the scheduler needs it (namespaceSelector matching): name, labels and the version only. */
export function slimNamespace(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: m.name,
      resourceVersion: m.resourceVersion,
      ...(m.labels ? { labels: m.labels } : {}),
    },
  } as KubeObject;
}
