// The snapshot the disruption engine consumes. It is a structural view the controllers build from the cluster
// state cache, so the engine itself never talks to Kubernetes or AWS and every decision is a pure function of it.
import type { ObservedCondition } from "../apis/conditions";
import type { StateNode } from "../kube/stateNode";
import type { Pod } from "../scheduling/types";

export type CapacityType = "spot" | "on-demand" | "reserved";
export type DisruptionReason = "Empty" | "Underutilized" | "Drifted";
export type ConsolidationPolicy = "WhenEmpty" | "WhenEmptyOrUnderutilized" | "Balanced";
export type MethodName = "drift" | "emptiness" | "multi-node-consolidation" | "single-node-consolidation";

export type Condition = ObservedCondition;

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: string;
}

/** A PodDisruptionBudget selecting a pod, as the apiserver reports it in status. */
export interface PdbRef {
  namespace: string;
  name: string;
  disruptionsAllowed: number;
}

export interface PodInfo {
  namespace: string;
  name: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Kind of the controller ownerReference (ReplicaSet, StatefulSet, DaemonSet, Job, Node...), undefined if none. */
  ownerKind?: string;
  priority?: number;
  priorityClassName?: string;
  /** RFC3339; used by a duration-valued karpenter.sh/do-not-disrupt annotation. */
  startTime?: string;
  phase?: string;
  deletionTimestamp?: string;
  terminationGracePeriodSeconds?: number;
  tolerations?: Toleration[];
  /** PDBs whose selector matches this pod. */
  pdbs?: PdbRef[];
  /** Resource requests, canonical units (cpu in millicores, memory in bytes), for simulators and benches. */
  requests?: Record<string, number>;
  /** The cluster state's Pod this view reads (what the scheduler simulation re-submits elsewhere). */
  pod?: Pod;
}

/** A view of one StateNode (a Node + its NodeClaim) with what the disruption methods decide on precomputed. */
export interface NodeInfo {
  /** Node name (or NodeClaim name while the node has not registered). */
  name: string;
  nodeClaimName: string;
  nodePoolName: string;
  /** A node capsicum did not launch (no NodeClaim): capacity for the simulation, never a candidate. */
  unmanaged?: boolean;
  labels: Record<string, string>;
  nodeAnnotations?: Record<string, string>;
  nodeClaimAnnotations?: Record<string, string>;
  instanceType: string;
  capacityType: CapacityType;
  zone: string;
  /** Current $/h of this node's offering (0 when unknown: such nodes are never replaced, only deleted). */
  pricePerHour: number;
  /** NodeClaim creation time: lifetime remaining and expiration are measured from it. */
  createdAt: Date;
  /** NodeClaim status.lastPodEventTime (last pod bind or removal); falls back to initialization time. */
  lastPodEventTime?: Date;
  /** NodeClaim status.conditions (Initialized, Drifted, ...). */
  conditions: Condition[];
  /** Node has a deletion timestamp, or already carries the karpenter.sh/disrupted taint / is in a command. */
  markedForDeletion: boolean;
  /** The provisioner recently planned pods onto it (pending pods, or pods of a draining node): not a candidate. */
  nominated?: boolean;
  /** NodeClaim spec.expireAfter ("720h" | "Never" | undefined). */
  expireAfter?: string;
  /** NodeClaim spec.terminationGracePeriod: when set, eventual methods (drift) may disrupt despite blocking pods. */
  terminationGracePeriod?: string;
  pods: PodInfo[];
  allocatable?: Record<string, number>;
  /** The cluster state's pairing this view was built from (the scheduler simulation places pods onto its Node). */
  stateNode?: StateNode;
}

export interface Budget {
  nodes: string;
  schedule?: string;
  duration?: string;
  reasons?: DisruptionReason[];
}

/** Minimal structural view of a karpenter.sh/v1 NodePool (generated API types satisfy it). */
export interface NodePoolLike {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        taints?: Array<{ key: string; value?: string; effect: string }>;
        startupTaints?: Array<{ key: string; value?: string; effect: string }>;
        requirements?: Array<{ key: string; operator: string; values?: string[]; minValues?: number }>;
        nodeClassRef: { group: string; kind: string; name: string };
        expireAfter?: string;
        terminationGracePeriod?: string;
      };
    };
    disruption?: {
      consolidationPolicy?: ConsolidationPolicy;
      consolidateAfter?: string;
      budgets?: Budget[];
    };
    replicas?: number;
  };
}

export interface ClusterSnapshot {
  nodes: NodeInfo[];
  nodePools: NodePoolLike[];
}

/** One instance-type option a simulated replacement NodeClaim could launch with. */
export interface ReplacementOption {
  instanceType: string;
  capacityType: CapacityType;
  zone?: string;
  pricePerHour: number;
}

/** A NodeClaim the scheduler simulation says it would need to create. */
export interface SimulatedNodeClaim {
  nodePoolName: string;
  /** Launchable options (instance type x capacity type x zone) that fit the pods, any order. */
  options: ReplacementOption[];
  /** Pods the simulation put on it. */
  podCount: number;
  /** Opaque scheduler output, passed through to whoever creates the NodeClaim. */
  raw?: unknown;
}

export interface SimulationResult {
  /** Pods that could not be placed anywhere (existing nodes minus removed ones, or new NodeClaims). */
  unschedulable: Array<{ pod: PodInfo; reason: string }>;
  newNodeClaims: SimulatedNodeClaim[];
  /** The simulation was stopped by `cancelled` before it finished: its answer means nothing. */
  cancelled?: boolean;
}

/**
 * The one seam to the scheduler: "if these nodes went away, where would their pods go?".
 * Implemented over `schedule()` (see schedulerSimulator.ts); tests may inject a trivial one.
 */
export interface Simulator {
  simulate(input: {
    snapshot: ClusterSnapshot;
    pods: PodInfo[];
    removedNodes: ReadonlySet<string>;
    /** Polled while simulating; true stops it (a consolidation timeout). */
    cancelled?: () => boolean;
  }): SimulationResult;
}

export interface DisruptionSettings {
  /** FEATURE_GATES SpotToSpotConsolidation (default false, as Karpenter). */
  spotToSpotConsolidation: boolean;
  /** Max candidates considered by multi-node consolidation (Karpenter: 100). */
  multiNodeMaxCandidates: number;
  /** How long multi-node consolidation may search before it settles for its best so far (Karpenter: 1 min). */
  multiNodeConsolidationTimeoutMs: number;
  /** How long single-node consolidation may walk candidates before it gives up the pass (Karpenter: 3 min). */
  singleNodeConsolidationTimeoutMs: number;
}

export const DEFAULT_SETTINGS: DisruptionSettings = {
  spotToSpotConsolidation: false,
  multiNodeMaxCandidates: 100,
  multiNodeConsolidationTimeoutMs: 60_000,
  singleNodeConsolidationTimeoutMs: 180_000,
};

/** A node the engine may disrupt, with everything the methods need precomputed. */
export interface Candidate {
  node: NodeInfo;
  nodePool: NodePoolLike;
  /** Pods that must be rescheduled elsewhere (excludes daemonset, mirror and terminal pods). */
  reschedulablePods: PodInfo[];
  disruptionCost: number;
  /**
   * Balanced scoring's cost of this move (Karpenter RescheduleDisruptionCost): 1 per node plus each reschedulable
   * pod's positive eviction cost. At most 1 means empty: no pod worth rescheduling.
   */
  rescheduleDisruptionCost: number;
  /** True once consolidateAfter has elapsed since the last pod event (and consolidation is not Never). */
  consolidatable: boolean;
  driftReason?: string;
}

export interface BlockedNode {
  node: string;
  nodeClaim: string;
  /** Human-readable reason, suitable for a DisruptionBlocked event. */
  reason: string;
}

export type Decision = "delete" | "replace";

export interface Command {
  method: MethodName;
  reason: DisruptionReason;
  decision: Decision;
  candidates: Candidate[];
  /** NodeClaims to launch (and wait for Initialized) before the candidates are deleted. */
  replacements: SimulatedNodeClaim[];
  /** Sum of candidate prices minus the cheapest price of each replacement, $/h (0 for drift when unknown). */
  savingsPerHour: number;
  /** Human-readable one-line summary for the Event and log line. */
  message: string;
}
