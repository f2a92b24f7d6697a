// Storage objects as the cluster state keeps them: only what volume topology (claims, PVs, StorageClasses), attach
// limits (CSINodes) and the termination's volume wait (VolumeAttachments) read. A PV's source is reduced to which
// kind it is (csi driver, in-tree EBS, local/hostPath); no capacity, mount options, secrets or status details.
import type { KubeObject, ObjectMeta } from "./client";

type StorageKind = "PersistentVolumeClaim" | "PersistentVolume" | "StorageClass" | "CSINode" | "VolumeAttachment";

function meta(m: ObjectMeta, annotation?: string): ObjectMeta {
  const out: ObjectMeta = { name: m.name };
  if (m.namespace) out.namespace = m.namespace;
  if (m.uid) out.uid = m.uid;
  if (m.resourceVersion) out.resourceVersion = m.resourceVersion;
  if (m.deletionTimestamp) out.deletionTimestamp = m.deletionTimestamp;
  const a = annotation !== undefined ? m.annotations?.[annotation] : undefined;
  if (a !== undefined) out.annotations = { [annotation!]: a };
  return out;
}

const has = (v: unknown): boolean => v !== undefined && v !== null;

export function slimStorage(kind: StorageKind, o: KubeObject): KubeObject {
  const head = { apiVersion: o.apiVersion, kind };
  switch (kind) {
    case "PersistentVolumeClaim":
      return {
        ...head,
        metadata: meta(o.metadata, "pv.kubernetes.io/bind-completed"),
        spec: { volumeName: o.spec?.volumeName, storageClassName: o.spec?.storageClassName },
        status: { phase: o.status?.phase },
      };
    case "PersistentVolume": {
      const s = o.spec ?? {};
      const spec: Record<string, unknown> = {};
      if (s.nodeAffinity) spec.nodeAffinity = s.nodeAffinity;
      if (s.csi?.driver) spec.csi = { driver: s.csi.driver };
      if (has(s.awsElasticBlockStore)) spec.awsElasticBlockStore = {};
      if (has(s.local)) spec.local = {};
      if (has(s.hostPath)) spec.hostPath = {};
      return { ...head, metadata: meta(o.metadata), spec };
    }
    case "StorageClass":
      return {
        ...head,
        metadata: meta(o.metadata, "storageclass.kubernetes.io/is-default-class"),
        provisioner: o.provisioner,
        volumeBindingMode: o.volumeBindingMode,
        allowedTopologies: o.allowedTopologies,
      };
    case "CSINode":
      return {
        ...head,
        metadata: meta(o.metadata),
        spec: {
          drivers: (o.spec?.drivers ?? []).map((d: { name: string; allocatable?: { count?: number } }) => ({
            name: d.name,
            allocatable: d.allocatable ? { count: d.allocatable.count } : undefined,
          })),
        },
      };
    case "VolumeAttachment":
      return {
        ...head,
        metadata: meta(o.metadata),
        spec: {
          nodeName: o.spec?.nodeName,
          attacher: o.spec?.attacher,
          source: { persistentVolumeName: o.spec?.source?.persistentVolumeName },
        },
      };
  }
}
