// The one seam between capsicum's core and a cloud. The core (provisioning, lifecycle, disruption)
// only ever talks to this interface; `aws/` implements it. Mirrors Karpenter's cloudprovider.CloudProvider.
import type { KubeObject } from "../kube/client";

/** Resource amounts: cpu in millicores, memory/ephemeral-storage in bytes, counts otherwise. */
export type Resources = Record<string, number>;

/** Where and how an instance type can be bought, at what price (Karpenter's cloudprovider.Offering). */
export interface Offering {
  zone: string;
  capacityType: "spot" | "on-demand" | "reserved";
  price: number;
  available: boolean;
  /** Reserved offerings only: the capacity reservation (ODCR or capacity block) this offering launches into. */
  reservation?: ReservationDetails;
}

/** A reserved offering's reservation: its labels (`karpenter.k8s.aws/capacity-reservation-*`) and free slots. */
export interface ReservationDetails {
  id: string;
  type: "default" | "capacity-block";
  interruptible: boolean;
  /** Instances it still takes, as far as the provider knows (Karpenter's Offering.ReservationCapacity). */
  capacity: number;
}

/** What the controller adds to a launch (Karpenter AWS's Create reads the same from its instance-type store). */
export interface CreateOptions {
  /**
   * The NodeClaim's NodePool's NodeOverlays applied to the catalog the launch chooses from: overlaid prices order
   * (and prioritize) the fleet's options, overlaid capacity lets them fit the NodeClaim's extended resources.
   */
  instanceTypes?: <T extends InstanceType>(types: T[]) => T[];
}

/** One instance type as the scheduler sees it (Karpenter's cloudprovider.InstanceType). */
export interface InstanceType {
  name: string;
  /** Every well-known label value except zone and capacity-type (those come from offerings). */
  labels: Record<string, string>;
  capacity: Resources;
  overhead: { kubeReserved: Resources; systemReserved: Resources; evictionThreshold: Resources };
  allocatable: Resources;
  offerings: Offering[];
  /**
   * A partition placement group's partitions ("1".."N"): Karpenter's multi-valued placement-group-partition
   * requirement of the type (a NodeClaim may target any of them; EC2 picks when none is targeted).
   */
  partitions?: string[];
}

/** Minimal structural view of a karpenter.sh/v1 NodeClaim the provider needs (generated API types satisfy it). */
export interface NodeClaimLike {
  metadata: {
    name: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
  };
  spec: {
    nodeClassRef: { group: string; kind: string; name: string };
    requirements: Array<{ key: string; operator: string; values?: string[]; minValues?: number }>;
    resources?: { requests?: Record<string, string> };
    taints?: Array<{ key: string; value?: string; effect: string }>;
    startupTaints?: Array<{ key: string; value?: string; effect: string }>;
    expireAfter?: string;
    terminationGracePeriod?: string;
  };
  status?: {
    providerID?: string;
    imageID?: string;
    nodeName?: string;
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
  };
}

/** What a successful Create returns: enough to fill the NodeClaim's status and labels. */
export interface LaunchResult {
  providerID: string; // aws:///<zone>/<instance-id>
  instanceID: string;
  imageID: string;
  instanceType: string;
  zone: string;
  capacityType: "spot" | "on-demand" | "reserved";
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  /** Labels the node will carry (instance type, zone, arch, capacity type, karpenter.k8s.aws/* ...). */
  labels: Record<string, string>;
  /** Annotations the NodeClaim gets at launch (the EC2NodeClass hash + version, as Karpenter's Create). */
  annotations?: Record<string, string>;
  /** A reserved launch: the capacity reservation the instance runs in. */
  reservation?: { id: string; type: "default" | "capacity-block"; interruptible: boolean };
}

/** A cloud instance as the provider sees it, used for GC and for mapping interruption events. */
export interface CloudInstance {
  providerID: string;
  instanceID: string;
  instanceType: string;
  zone: string;
  /** The zone's ID (use1-az1), when EC2 reports it. */
  zoneID?: string;
  capacityType: string;
  state: string; // pending | running | shutting-down | terminated | stopping | stopped
  launchTime: Date;
  tags: Record<string, string>;
  imageID?: string;
  subnetID?: string;
  securityGroupIDs?: string[];
  /** Set for an instance launched into a capacity reservation (capacity type `reserved`). */
  reservation?: { id: string; type: "default" | "capacity-block"; interruptible: boolean };
  /** The partition EC2 placed the instance in (partition placement groups). */
  partitionNumber?: number;
}

/** Thrown by Create when no offering could be launched (e.g. every option was ICE'd). Retryable later. */
export class InsufficientCapacityError extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = "InsufficientCapacityError";
  }
}
/** Thrown by Get/Delete when the instance no longer exists: callers treat it as "done". */
export class NodeClaimNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NodeClaimNotFoundError";
  }
}
/** Thrown when the NodeClass is missing or not Ready: the NodeClaim waits, it is not a launch failure. */
export class NodeClassNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NodeClassNotReadyError";
  }
}

/**
 * The EC2NodeClass's own settings cannot be used (e.g. kubelet.kubeReserved.cpu "10%"): only its NodePools stop.
 * Thrown by instance-type lookups for that NodeClass; callers mark it not Ready and publish an Event.
 */
export class InvalidNodeClassError extends Error {
  constructor(
    readonly nodeClass: string,
    readonly field: string | undefined,
    message: string,
  ) {
    super(`EC2NodeClass "${nodeClass}": ${message}`);
    this.name = "InvalidNodeClassError";
  }
}

/** A node class's resolved status (EC2NodeClass on AWS) and whether it is Ready, with why not. */
export interface NodeClassResolution {
  status: unknown;
  ready: boolean;
  message: string;
}

/**
 * Karpenter's cloudprovider.RepairPolicy: a Node whose condition `conditionType` has had `conditionStatus` for
 * `tolerationMs` is unhealthy, and node repair (feature gate NodeRepair) replaces it.
 */
export interface RepairPolicy {
  conditionType: string;
  conditionStatus: "True" | "False" | "Unknown";
  tolerationMs: number;
}

/**
 * A node class condition a provider sets when its prices are a substitute (False, PRICE_FALLBACK_REASON): the
 * core mirrors it onto the NodePools launching from that class, where consolidation compares $/h.
 */
export const PRICES_CONDITION = "PricesResolved";
export const PRICE_FALLBACK_REASON = "StaticPriceFallback";

/**
 * Karpenter's NodeLifecycleHookResult. Empty (or only `labels`): the hook is satisfied. `requeue`: not yet, ask
 * again with backoff; `requeueAfterMs`: ask again after that long (the shortest of all hooks wins).
 */
export interface RegistrationHookResult {
  requeue?: boolean;
  requeueAfterMs?: number;
  /** Labels the NodeClaim, then its Node, gets before registration completes (Karpenter's hooks set them in place). */
  labels?: Record<string, string>;
}

/**
 * Karpenter's NodeLifecycleHook: registration (the karpenter.sh/unregistered taint removed, Registered=True) waits
 * until every hook is satisfied; a pending or failing one leaves Registered Unknown, reason RegistrationHookPending.
 */
export interface RegistrationHook {
  readonly name: string;
  registered(nodeClaim: NodeClaimLike): Promise<RegistrationHookResult>;
}

/** A node class object (EC2NodeClass on AWS) as the core holds it and hands it to the provider. */
export type NodeClassObject = KubeObject;

export interface CloudProvider {
  readonly name: string;
  /**
   * Every instance type a node class can launch, with its offerings (unavailable ones marked, not removed):
   * Karpenter's GetInstanceTypes, asked for a NodePool's node class.
   */
  getInstanceTypes(nodeClass: NodeClassObject): Promise<InstanceType[]>;
  /** The node class's status and Ready condition from its selectors (the node-class status controller writes it). */
  resolveNodeClass?(nodeClass: NodeClassObject): Promise<NodeClassResolution>;
  /** Cleanup of what the provider created for a deleted node class (instance profile, launch templates). */
  finalizeNodeClass?(nodeClass: NodeClassObject): Promise<unknown>;
  /** The node class's drift-hash annotations (hash + version); the nodeclass.hash controller writes them. */
  nodeClassHashAnnotations?(nodeClass: NodeClassObject): Record<string, string>;
  /** Launch one instance for the NodeClaim. Idempotent: a retry for the same NodeClaim returns the existing instance. */
  create(nodeClaim: NodeClaimLike, opts?: CreateOptions): Promise<LaunchResult>;
  /** Terminate the NodeClaim's instance. Throws NodeClaimNotFoundError once it is gone, so callers retry until then. */
  delete(nodeClaim: NodeClaimLike): Promise<void>;
  get(providerID: string): Promise<CloudInstance>;
  /** Every instance this cluster's capsicum launched (by tag), in any non-terminated state. */
  list(): Promise<CloudInstance[]>;
  /** Returns a drift reason ("AMIDrift", "SubnetDrift", "SecurityGroupDrift", ...) or "" when not drifted. */
  isDrifted(nodeClaim: NodeClaimLike): Promise<string>;
  /** The node conditions that make a Node unhealthy (Karpenter's RepairPolicies); none = node repair stays off. */
  repairPolicies?(): RepairPolicy[];
  /** Hooks that gate node registration (Karpenter's WithRegistrationHook); none = register as soon as the Node joins. */
  registrationHooks?(): RegistrationHook[];
}
