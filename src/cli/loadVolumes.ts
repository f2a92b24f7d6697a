// The storage objects `capsicum plan` reads (PersistentVolumeClaims, PersistentVolumes, StorageClasses, CSINodes), so
// an offline plan honours volume topology as the controller does. What the cluster would add on create is added
// here: a StatefulSet replica's claims from its volumeClaimTemplates (`<template>-<statefulset>-<ordinal>`, as the
// StatefulSet controller names them) unless the files hold them already, and the default StorageClass of a claim
// that names none (the DefaultStorageClass admission plugin: the newest class annotated is-default-class).
import type { Pod, PodSpec } from "../scheduling/types";
import type {
  CSINode,
  PersistentVolume,
  PersistentVolumeClaim,
  PodVolume,
  StorageClass,
  VolumeSources,
} from "../scheduling/volumes";

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface StorageObjects {
  claims: PersistentVolumeClaim[];
  volumes: PersistentVolume[];
  storageClasses: StorageClass[];
  csiNodes: CSINode[];
}

export const emptyStorage = (): StorageObjects => ({ claims: [], volumes: [], storageClasses: [], csiNodes: [] });

/** Files the object under its storage kind; false when it is not one. */
export function addStorageObject(out: StorageObjects, o: any): boolean {
  switch (o.kind) {
    case "PersistentVolumeClaim":
      out.claims.push({ ...o, metadata: { namespace: "default", ...o.metadata } });
      return true;
    case "PersistentVolume":
      out.volumes.push(o);
      return true;
    case "StorageClass":
      out.storageClasses.push(o);
      return true;
    case "CSINode":
      out.csiNodes.push(o);
      return true;
    default:
      return false;
  }
}

/** Adds a StatefulSet replica's volumeClaimTemplates as claim volumes, and the claims the controller would create. */
export function statefulSetClaims(sts: any, pods: Pod[], out: StorageObjects): void {
  const templates: any[] = sts.spec?.volumeClaimTemplates ?? [];
  if (!templates.length) return;
  const ns = sts.metadata?.namespace ?? "default";
  pods.forEach((p, ordinal) => {
    const spec = p.spec as PodSpec & { volumes?: PodVolume[] };
    const volumes = spec.volumes ?? [];
    for (const t of templates) {
      const claimName = `${t.metadata?.name}-${sts.metadata?.name}-${ordinal}`;
      const i = volumes.findIndex((v) => v.name === t.metadata?.name);
      const vol = { name: t.metadata?.name, persistentVolumeClaim: { claimName } };
      if (i >= 0) volumes[i] = vol;
      else volumes.push(vol);
      if (!out.claims.some((c) => c.metadata.name === claimName && (c.metadata.namespace ?? "default") === ns))
        out.claims.push({
          metadata: { name: claimName, namespace: ns },
          spec: { storageClassName: t.spec?.storageClassName },
        });
    }
    spec.volumes = volumes;
  });
}

const IS_DEFAULT = "storageclass.kubernetes.io/is-default-class";

/** The VolumeSources a solve reads, with the default StorageClass filled in where the apiserver would. */
export function volumeSources(s: StorageObjects): VolumeSources {
  const defaults = s.storageClasses
    .filter((c) => c.metadata.annotations?.[IS_DEFAULT] === "true")
    .sort((a, b) =>
      String((b.metadata as any).creationTimestamp ?? "").localeCompare(
        String((a.metadata as any).creationTimestamp ?? ""),
      ),
    );
  const fallback = defaults[0]?.metadata.name;
  const pvs = new Map(s.volumes.map((v) => [v.metadata.name, v]));
  const claims = s.claims.map((c) => {
    let spec = { ...c.spec };
    if (spec.storageClassName === undefined && fallback !== undefined) spec = { ...spec, storageClassName: fallback };
    // The PV binder's part, offline: a PV pre-bound to the claim (spec.claimRef) binds it, and a claim naming an
    // existing PV is bound to it (in a `kubectl get -o yaml` snapshot both already carry bind-completed).
    const key = `${c.metadata.namespace ?? "default"}/${c.metadata.name}`;
    if (!spec.volumeName) {
      const pre = s.volumes.find(
        (v: any) => v.spec?.claimRef && `${v.spec.claimRef.namespace ?? "default"}/${v.spec.claimRef.name}` === key,
      );
      if (pre) spec = { ...spec, volumeName: pre.metadata.name };
    }
    const annotations = { ...(c.metadata.annotations ?? {}) };
    if (spec.volumeName && pvs.has(spec.volumeName)) annotations["pv.kubernetes.io/bind-completed"] ??= "yes";
    return { ...c, metadata: { ...c.metadata, annotations }, spec };
  });
  return {
    claims: new Map(claims.map((c) => [`${c.metadata.namespace ?? "default"}/${c.metadata.name}`, c])),
    volumes: pvs,
    storageClasses: new Map(s.storageClasses.map((c) => [c.metadata.name, c])),
    csiNodes: new Map(s.csiNodes.map((c) => [c.metadata.name, c])),
  };
}
