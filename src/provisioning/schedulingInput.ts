// The one scheduling-input builder (Karpenter's provisioner.NewScheduler inputs): the provisioner, the static
// provisioner's catalogs, disruption's replacement simulation and `capsicum plan` all build what the scheduler
// sees here, so a NodeOverlay price or capacity adjustment means the same in the running controller as offline.
// Overlays are applied to each NodePool's catalog before scheduling (the scheduler gets no nodeOverlays of its own),
// so the per-pool arrays keep their identity across calls and the scheduler's caches hold.
import type { InstanceType } from "../cloudprovider/types";
import { OverlayEvaluation, type OverlayPool } from "../scheduling/overlay";
import type {
  DaemonSet,
  ExistingNode,
  InFlightNodeClaim,
  NodeOverlay,
  NodePool,
  Pod,
  SchedulingInput,
  SchedulingOptions,
} from "../scheduling/types";
import type { VolumeSources } from "../scheduling/volumes";

export interface SchedulingSources {
  pods: Pod[];
  /** NodePools the scheduler may plan into (static and deleting pools are dropped here). */
  nodePools: NodePool[];
  /** Each NodePool's base catalog (its EC2NodeClass's instance types and offerings), by NodePool name. */
  catalogs: Record<string, InstanceType[]>;
  /** The evaluated NodeOverlays (undefined: none apply, e.g. the NodeOverlay feature gate is off). */
  overlays?: OverlayEvaluation;
  existingNodes?: ExistingNode[];
  inFlightNodeClaims?: InFlightNodeClaim[];
  daemonSets?: DaemonSet[];
  /** Claims, PVs, StorageClasses and CSINodes (volume topology, attach limits). */
  volumes?: VolumeSources;
  /** Namespaces with their labels (pod (anti-)affinity namespaceSelectors). */
  namespaces?: SchedulingInput["namespaces"];
  options?: SchedulingOptions;
}

const isStatic = (np: NodePool): boolean => np.spec.replicas !== undefined && np.spec.replicas !== null;

/** The NodePool's catalog as the scheduler and disruption pricing see it: overlays applied. */
export function poolCatalog(np: NodePool, base: InstanceType[], overlays?: OverlayEvaluation): InstanceType[] {
  if (!overlays) return base;
  return overlays.apply({ name: np.metadata.name ?? "", labels: np.spec.template.metadata?.labels }, base);
}

export function buildSchedulingInput(s: SchedulingSources): SchedulingInput {
  const nodePools = s.nodePools.filter(
    (np) => !isStatic(np) && !(np.metadata as { deletionTimestamp?: string }).deletionTimestamp,
  );
  const byPool: Record<string, InstanceType[]> = {};
  for (const np of nodePools) {
    const name = np.metadata.name ?? "";
    byPool[name] = poolCatalog(np, s.catalogs[name] ?? [], s.overlays);
  }
  const first = nodePools[0]?.metadata.name;
  return {
    pods: s.pods,
    nodePools,
    instanceTypes: first !== undefined ? byPool[first]! : [],
    instanceTypesByNodePool: byPool,
    existingNodes: s.existingNodes ?? [],
    inFlightNodeClaims: s.inFlightNodeClaims ?? [],
    daemonSets: s.daemonSets ?? [],
    ...(s.volumes ? { volumes: s.volumes } : {}),
    ...(s.namespaces ? { namespaces: s.namespaces } : {}),
    ...(s.options ? { options: s.options } : {}),
  };
}

/** Evaluates NodeOverlays against every NodePool's base catalog (validation, conflicts, what applies where). */
export function evaluateOverlays(
  overlays: NodeOverlay[],
  nodePools: NodePool[],
  catalogs: Record<string, InstanceType[]>,
): OverlayEvaluation {
  const pools: OverlayPool[] = nodePools.map((np) => ({
    name: np.metadata.name ?? "",
    labels: np.spec.template.metadata?.labels,
    types: catalogs[np.metadata.name ?? ""] ?? [],
  }));
  return new OverlayEvaluation(overlays, pools);
}
