// Pod volumes as the scheduler sees them (Karpenter's scheduling/volumetopology.go, scheduling/volumeusage.go and
// utils/volume): which PersistentVolumeClaim each volume names, whether the pod can be provisioned for at all
// (ValidatePersistentVolumeClaims), the zones/labels its volumes allow a node to have (one alternative per OR'd
// PV nodeAffinity term or StorageClass allowedTopologies term, cross product over volumes), and the CSI driver
// each claim counts against for attach limits. Pure: the objects come from the cluster state or from the files
// `capsicum plan` reads.
import { LabelHostname } from "../apis/labels";
import { Requirement, Requirements, type NodeSelectorRequirement } from "../apis/requirements";
import type { Pod } from "./types";

export interface PodVolume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  /** Generic ephemeral volume: its claim is `<pod>-<volume>` (only its presence matters here). */
  ephemeral?: unknown;
}

export interface PersistentVolumeClaim {
  metadata: { name: string; namespace?: string; deletionTimestamp?: string; annotations?: Record<string, string> };
  spec?: { volumeName?: string; storageClassName?: string | null };
  status?: { phase?: string };
}

export interface PersistentVolume {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: {
    nodeAffinity?: { required?: { nodeSelectorTerms?: Array<{ matchExpressions?: NodeSelectorRequirement[] }> } };
    csi?: { driver?: string };
    awsElasticBlockStore?: unknown;
    local?: unknown;
    hostPath?: unknown;
  };
}

export interface StorageClass {
  metadata: { name: string; annotations?: Record<string, string> };
  provisioner?: string;
  volumeBindingMode?: string;
  allowedTopologies?: Array<{ matchLabelExpressions?: Array<{ key: string; values?: string[] }> }>;
}

/** storage.k8s.io/v1 CSINode: per driver, how many volumes the node can attach (`allocatable.count`). */
export interface CSINode {
  metadata: { name: string };
  spec?: { drivers?: Array<{ name: string; allocatable?: { count?: number } }> };
}

/** The storage objects a solve reads, keyed as the cluster state keys them (`namespace/name` for claims). */
export interface VolumeSources {
  claims: ReadonlyMap<string, PersistentVolumeClaim>;
  volumes: ReadonlyMap<string, PersistentVolume>;
  storageClasses: ReadonlyMap<string, StorageClass>;
  /** CSINodes by node name: attach limits of existing nodes. */
  csiNodes?: ReadonlyMap<string, CSINode>;
}

export const AnnBindCompleted = "pv.kubernetes.io/bind-completed";

/** In-tree volume plugins and the CSI drivers that replace them (k8s.io/csi-translation-lib). */
const IN_TREE_TO_CSI: Record<string, string> = {
  "kubernetes.io/aws-ebs": "ebs.csi.aws.com",
  "kubernetes.io/gce-pd": "pd.csi.storage.gke.io",
  "kubernetes.io/azure-disk": "disk.csi.azure.com",
  "kubernetes.io/azure-file": "file.csi.azure.com",
  "kubernetes.io/cinder": "cinder.csi.openstack.org",
  "kubernetes.io/vsphere-volume": "csi.vsphere.vmware.com",
  "kubernetes.io/portworx-volume": "pxd.portworx.com",
};

const ns = (p: Pod): string => p.metadata.namespace ?? "default";
const volumesOf = (p: Pod): PodVolume[] => ((p.spec as { volumes?: PodVolume[] }).volumes ?? []) as PodVolume[];

/** Whether the pod has a volume backed by a PersistentVolumeClaim (a named claim or a generic ephemeral one). */
export function hasClaimVolumes(p: Pod): boolean {
  return volumesOf(p).some((v) => v.persistentVolumeClaim || v.ephemeral);
}

/** The claim key (`namespace/name`) a volume uses, or undefined for emptyDir, hostPath, configMap, ... */
export function claimKey(p: Pod, v: PodVolume): string | undefined {
  if (v.persistentVolumeClaim) return `${ns(p)}/${v.persistentVolumeClaim.claimName}`;
  if (v.ephemeral) return `${ns(p)}/${p.metadata.name ?? ""}-${v.name}`;
  return undefined;
}

/** A storage object the pod needs is missing or unusable: the pod is ignored, as Karpenter's Validate does. */
export class VolumeError extends Error {}

function claimOf(p: Pod, v: PodVolume, src: VolumeSources): PersistentVolumeClaim | undefined {
  const key = claimKey(p, v);
  if (key === undefined) return undefined;
  const pvc = src.claims.get(key);
  if (!pvc)
    throw new VolumeError(
      `persistentvolumeclaim "${key}" not found (volume "${v.name}"; create the claim or fix spec.volumes)`,
    );
  return pvc;
}

const className = (pvc: PersistentVolumeClaim): string => pvc.spec?.storageClassName ?? "";

/**
 * Why kube-scheduler (and so Karpenter) would never place the pod because of its claims, or undefined. Karpenter's
 * ValidatePersistentVolumeClaims: a claim being deleted or Lost, a bound claim whose PV is missing, deleting or not
 * yet bind-completed, an unbound claim without a StorageClass, with a missing one, or with `Immediate` binding.
 */
export function validatePodVolumes(p: Pod, src: VolumeSources): string | undefined {
  try {
    for (const v of volumesOf(p)) {
      const pvc = claimOf(p, v, src);
      if (!pvc) continue;
      const key = claimKey(p, v)!;
      if (pvc.metadata.deletionTimestamp) return `persistentvolumeclaim "${key}" is being deleted`;
      if (pvc.status?.phase === "Lost")
        return `persistentvolumeclaim "${key}" bound to non-existent persistentvolume "${pvc.spec?.volumeName ?? ""}"`;
      const sc = className(pvc);
      const pvName = pvc.spec?.volumeName;
      if (pvName) {
        const pv = src.volumes.get(pvName);
        if (!pv) return `persistentvolumeclaim "${key}": persistentvolume "${pvName}" not found`;
        if (pv.metadata.deletionTimestamp)
          return `persistentvolumeclaim "${key}": persistentvolume "${pvName}" is being deleted`;
        if (pvc.metadata.annotations?.[AnnBindCompleted] === undefined)
          return `persistentvolumeclaim "${key}" is considered unbound: it has no ${AnnBindCompleted} annotation yet`;
      } else {
        if (sc === "") return `unbound persistentvolumeclaim "${key}" must define a storage class`;
        const cls = src.storageClasses.get(sc);
        if (!cls)
          return `persistentvolumeclaim "${key}": storageclass "${sc}" not found (create it or fix storageClassName)`;
        if ((cls.volumeBindingMode ?? "Immediate") === "Immediate")
          return `persistentvolumeclaim "${key}" with immediate volume binding mode (storageclass "${sc}") must be bound first`;
      }
    }
  } catch (e) {
    if (e instanceof VolumeError) return e.message;
    throw e;
  }
  return undefined;
}

/** One alternative per PV nodeAffinity term (hostname dropped for local/hostPath volumes: a new node has another). */
function pvAlternatives(pv: PersistentVolume): Requirements[] {
  const out: Requirements[] = [];
  const field = `persistentvolume ${pv.metadata.name} spec.nodeAffinity.required.nodeSelectorTerms`;
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  terms.forEach((term, i) => {
    let exprs = term.matchExpressions ?? [];
    if (pv.spec?.local || pv.spec?.hostPath) {
      const kept = exprs.filter((e) => e.key !== LabelHostname);
      if (exprs.length > 0 && kept.length === 0) {
        out.push(new Requirements()); // hostname-only: unconstrained
        return;
      }
      exprs = kept;
    }
    if (exprs.length) out.push(Requirements.fromNodeSelector(exprs, `${field}[${i}].matchExpressions`));
  });
  return out;
}

/** One alternative per StorageClass allowedTopologies term (each expression an `In`). */
function storageClassAlternatives(sc: StorageClass): Requirements[] {
  const out: Requirements[] = [];
  for (const term of sc.allowedTopologies ?? []) {
    const reqs = new Requirements();
    for (const e of term.matchLabelExpressions ?? []) reqs.add(Requirement.in(e.key, ...(e.values ?? [])));
    if (reqs.size) out.push(reqs);
  }
  return out;
}

/**
 * The node requirements the pod's volumes allow, as alternatives (any one will do), or undefined when its volumes
 * do not constrain the node. Karpenter's GetRequirements: the cross product over volumes keeps only compatible
 * combinations, and all of them when none is. Throws VolumeError when a claim, PV or StorageClass is missing.
 */
export function volumeRequirements(p: Pod, src: VolumeSources): Requirements[] | undefined {
  let alts: Array<Requirements | undefined> = [undefined];
  for (const v of volumesOf(p)) {
    const pvc = claimOf(p, v, src);
    if (!pvc) continue;
    let vol: Requirements[] = [];
    const pvName = pvc.spec?.volumeName;
    if (pvName) {
      const pv = src.volumes.get(pvName);
      if (!pv) throw new VolumeError(`persistentvolume "${pvName}" not found`);
      vol = pvAlternatives(pv);
    } else if (className(pvc) !== "") {
      const sc = src.storageClasses.get(className(pvc));
      if (!sc) throw new VolumeError(`storageclass "${className(pvc)}" not found`);
      vol = storageClassAlternatives(sc);
    }
    if (vol.length === 0) continue;
    const merge = (a: Requirements | undefined, b: Requirements) => (a ? a.clone().addAll(b) : b.clone());
    const compatible = alts.flatMap((a) => vol.filter((b) => !a || !a.intersects(b)).map((b) => merge(a, b)));
    alts = compatible.length ? compatible : alts.flatMap((a) => vol.map((b) => merge(a, b)));
  }
  if (alts.length === 1 && alts[0] === undefined) return undefined;
  return alts as Requirements[];
}

/** The CSI driver a claim's volume attaches through: the PV's CSI driver (or in-tree EBS), else its class's provisioner. */
function driverOf(pvc: PersistentVolumeClaim, src: VolumeSources): string | undefined {
  const pvName = pvc.spec?.volumeName;
  if (pvName) {
    const pv = src.volumes.get(pvName);
    if (pv?.spec?.csi?.driver) return pv.spec.csi.driver;
    if (pv?.spec?.awsElasticBlockStore) return IN_TREE_TO_CSI["kubernetes.io/aws-ebs"];
    return undefined; // bound, but not to a CSI (or translatable in-tree) volume: not counted
  }
  const prov = src.storageClasses.get(className(pvc))?.provisioner;
  if (!prov) return undefined; // no class, or a deleted one: not counted (Karpenter ignores it too)
  return IN_TREE_TO_CSI[prov] ?? prov;
}

/** The pod's claims per CSI driver (Karpenter's GetVolumes); a missing claim is not counted. */
export function podVolumeUsage(p: Pod, src: VolumeSources): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const v of volumesOf(p)) {
    const key = claimKey(p, v);
    const pvc = key === undefined ? undefined : src.claims.get(key);
    if (!pvc) continue;
    const driver = driverOf(pvc, src);
    if (!driver) continue;
    if (!out.has(driver)) out.set(driver, new Set());
    out.get(driver)!.add(key!);
  }
  return out;
}

/** Attach limits per driver a CSINode reports (drivers without `allocatable` have none). */
export function csiNodeLimits(csi: CSINode | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of csi?.spec?.drivers ?? [])
    if (d.allocatable?.count !== undefined && d.allocatable.count !== null)
      out.set(d.name, Number(d.allocatable.count));
  return out;
}

/** Volumes attached (or to be attached) to one node per driver, against its limits (Karpenter's VolumeUsage). */
export class VolumeUsage {
  private readonly volumes = new Map<string, Set<string>>();
  constructor(readonly limits: ReadonlyMap<string, number> = new Map()) {}

  /** Why adding these volumes would exceed a driver's limit, or undefined. */
  exceeds(add: Map<string, Set<string>>): string | undefined {
    for (const [driver, vols] of add) {
      const limit = this.limits.get(driver);
      if (limit === undefined) continue;
      const have = this.volumes.get(driver);
      let n = have?.size ?? 0;
      for (const v of vols) if (!have?.has(v)) n++;
      if (n > limit)
        return `would exceed volume limit (provisioner ${driver}, volume-count ${n}, volume-limit ${limit})`;
    }
    return undefined;
  }

  add(vols: Map<string, Set<string>>): void {
    for (const [driver, set] of vols) {
      if (!this.volumes.has(driver)) this.volumes.set(driver, new Set());
      for (const v of set) this.volumes.get(driver)!.add(v);
    }
  }
}
