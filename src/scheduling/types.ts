// The scheduler's input and output. Inputs are structural, Kubernetes-shaped plain objects (what kfc returns or
// YAML parses to), so callers pass V1Pod / karpenter.sh/v1 objects without conversion.
import type { InstanceType, Resources } from "../cloudprovider/types";
import type { NodeSelectorRequirement } from "../apis/requirements";
import type { LabelSelector } from "../apis/labelSelector";
import type { VolumeSources } from "./volumes";
export type { LabelSelector, LabelSelectorRequirement } from "../apis/labelSelector";

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string | Date;
  ownerReferences?: Array<{ kind: string; name: string; apiVersion?: string; uid?: string; controller?: boolean }>;
  generateName?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}
export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}
export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}
export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: Array<{ weight: number; preference: NodeSelectorTerm }>;
  };
  podAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
  };
  podAntiAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
  };
}
export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway" | string;
  labelSelector?: LabelSelector;
  minDomains?: number;
  matchLabelKeys?: string[];
  nodeAffinityPolicy?: "Honor" | "Ignore" | string;
  nodeTaintsPolicy?: "Honor" | "Ignore" | string;
}
export interface ContainerPort {
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
  hostIP?: string;
}
export interface Container {
  name?: string;
  image?: string;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  ports?: ContainerPort[];
  restartPolicy?: string;
}
export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers: Container[];
  initContainers?: Container[];
  overhead?: Record<string, string | number>;
  priorityClassName?: string;
}
export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: { phase?: string };
}

export interface Node {
  metadata: ObjectMeta;
  spec?: { taints?: Taint[]; unschedulable?: boolean; providerID?: string };
  status?: { allocatable?: Record<string, string | number>; capacity?: Record<string, string | number> };
}

export interface NodePool {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        requirements?: NodeSelectorRequirement[];
        taints?: Taint[];
        startupTaints?: Taint[];
        nodeClassRef: { group: string; kind: string; name: string };
        expireAfter?: string;
        terminationGracePeriod?: string;
      };
    };
    limits?: Record<string, string | number>;
    weight?: number;
    replicas?: number;
    disruption?: unknown;
  };
}

export interface NodeClaim {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    requirements?: NodeSelectorRequirement[];
    taints?: Taint[];
    startupTaints?: Taint[];
    resources?: { requests?: Record<string, string | number> };
    nodeClassRef?: { group: string; kind: string; name: string };
  };
  status?: {
    nodeName?: string;
    capacity?: Record<string, string | number>;
    allocatable?: Record<string, string | number>;
  };
}

export interface DaemonSet {
  metadata: ObjectMeta;
  spec: { template: { metadata?: ObjectMeta; spec: PodSpec } };
}

/** karpenter.sh/v1alpha1 NodeOverlay: adjusts price or adds capacity of matching instance types. */
export interface NodeOverlay {
  metadata: ObjectMeta;
  spec: {
    requirements?: NodeSelectorRequirement[];
    price?: string;
    priceAdjustment?: string;
    capacity?: Record<string, string | number>;
    weight?: number;
  };
}

export interface ExistingNode {
  node: Node;
  /** Pods already bound to the node (including daemonset pods). */
  pods: Pod[];
  /** Nodes being deleted/disrupted take no new pods (disruption simulation passes the candidates here). */
  markedForDeletion?: boolean;
  /** The taints to schedule against (StateNode.schedulingTaints); the Node's own when absent. */
  taints?: Array<{ key: string; value?: string; effect: string }>;
  /** What the pods may use (StateNode.allocatable: the NodeClaim's figures until initialized); the Node's when absent. */
  allocatable?: Record<string, string>;
}

export interface InFlightNodeClaim {
  nodeClaim: NodeClaim;
  pods?: Pod[];
  markedForDeletion?: boolean;
}

export interface SchedulingOptions {
  /** Instance-type options kept per NodeClaim, cheapest first (AWS CreateFleet cap: 60). */
  maxInstanceTypes?: number;
  /** Respect (default): preferences are tried as requirements first, then relaxed. Ignore: preferences dropped. */
  preferencePolicy?: "Respect" | "Ignore";
  /** Strict (default): minValues must hold. BestEffort: relax minValues when it cannot. */
  minValuesPolicy?: "Strict" | "BestEffort";
  /** Prefix for generated NodeClaim names (deterministic: prefix-<nodepool>-<n>). */
  namePrefix?: string;
  /** Run the cost-improvement pass after first-fit-decreasing (default true). */
  improve?: boolean;
  /**
   * Fallback (default; disruption's simulations): a NodeClaim that finds its compatible reservations taken is
   * planned in its other capacity types. Strict (the provisioner, as Karpenter's DisableReservedCapacityFallback):
   * the pod's decision is deferred (`deferred` in unschedulable) to a later solve instead.
   */
  reservedOfferingMode?: "Fallback" | "Strict";
  /**
   * Polled before each pod attempt; once true the solve stops (Karpenter's context deadline inside a scheduling
   * simulation, which multi-node consolidation's 1-minute timeout cancels): the pods not yet placed are left in
   * `unschedulable` and the result says `cancelled`, so a caller must not act on it.
   */
  cancelled?: () => boolean;
}

export interface SchedulingInput {
  pods: Pod[];
  nodePools: NodePool[];
  /**
   * The catalog (all instance types, including ones without available offerings). Treated as immutable: derived
   * lists are cached per array identity, so pass a new array (e.g. a fresh loadCatalog()) when offerings change.
   */
  instanceTypes: InstanceType[];
  /** Per-NodePool catalog (e.g. when EC2NodeClass kubelet settings change allocatable); falls back to instanceTypes. */
  instanceTypesByNodePool?: Record<string, InstanceType[]>;
  existingNodes?: ExistingNode[];
  inFlightNodeClaims?: InFlightNodeClaim[];
  daemonSets?: DaemonSet[];
  nodeOverlays?: NodeOverlay[];
  /** Namespaces with their labels, for pod (anti-)affinity `namespaceSelector`s. */
  namespaces?: Array<{ metadata: { name?: string; labels?: Record<string, string> } }>;
  /**
   * PersistentVolumeClaims, PersistentVolumes, StorageClasses and CSINodes: pods' volume topology and attach limits.
   * Undefined: volumes are not looked at (every claim is assumed to attach anywhere).
   */
  volumes?: VolumeSources;
  options?: SchedulingOptions;
}

export interface NewNodeClaim {
  /** Deterministic simulation name; also the hostname topology domain. */
  name: string;
  nodePool: string;
  nodeClassRef: { group: string; kind: string; name: string };
  /** Final requirements: template ∩ pods ∩ topology decisions, plus instance-type In options. */
  requirements: NodeSelectorRequirement[];
  labels: Record<string, string>;
  taints: Taint[];
  startupTaints: Taint[];
  /** Cheapest first, at most maxInstanceTypes; every option fits `requests` and satisfies `requirements`. */
  instanceTypeOptions: InstanceType[];
  /** Cheapest option and its cheapest compatible offering. */
  instanceType: string;
  capacityType: string;
  zone?: string;
  pricePerHour: number;
  /** Some requirement's minValues was lowered (MinValuesPolicy BestEffort): `requirements` carry the lowered ones. */
  minValuesRelaxed?: boolean;
  /** Pod requests + daemonset overhead (includes `pods`). */
  requests: Resources;
  daemonOverhead: Resources;
  pods: Pod[];
}

export interface ExistingAssignment {
  name: string;
  kind: "Node" | "NodeClaim";
  pods: Pod[];
}
export interface UnschedulablePod {
  pod: Pod;
  key: string;
  reason: string;
  /**
   * Karpenter's ReservedOfferingError (strict mode): not unschedulable, its decision waits for a later solve, since
   * a compatible reservation had no room left in this one (no FailedScheduling event, not counted as unschedulable).
   */
  deferred?: boolean;
}

export interface SchedulingResult {
  newNodeClaims: NewNodeClaim[];
  existingNodes: ExistingAssignment[];
  unschedulable: UnschedulablePod[];
  totalPricePerHour: number;
  /** Pending pods by effective zone (a zone, "flexible" or "none"), as the solve began. */
  pendingPodsByEffectiveZone?: Record<string, number>;
  /** `options.cancelled` stopped the solve part-way: the result is incomplete. */
  cancelled?: boolean;
}
