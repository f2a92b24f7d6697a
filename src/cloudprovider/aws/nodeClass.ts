// Structural view of a karpenter.k8s.aws/v1 EC2NodeClass: the fields the AWS provider reads and the status it
// writes. Generated API types satisfy it; the provider never needs the full schema.
import type { CapacityReservationSelectorTerm, CapacityReservationStatus } from "./capacityReservations";
import type { Condition as ApiCondition } from "../../apis/conditions";
export interface SelectorTerm {
  tags?: Record<string, string>;
  id?: string;
  name?: string;
}
export interface AMISelectorTerm extends SelectorTerm {
  alias?: string;
  owner?: string;
  ssmParameter?: string;
}

export interface BlockDeviceMapping {
  deviceName?: string;
  rootVolume?: boolean;
  ebs?: {
    deleteOnTermination?: boolean;
    encrypted?: boolean;
    iops?: number;
    kmsKeyID?: string;
    snapshotID?: string;
    throughput?: number;
    volumeSize?: string;
    volumeType?: string;
  };
}

export interface KubeletSpec {
  clusterDNS?: string[];
  maxPods?: number;
  podsPerCore?: number;
  systemReserved?: Record<string, string>;
  kubeReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
  evictionSoft?: Record<string, string>;
  evictionSoftGracePeriod?: Record<string, string>;
  evictionMaxPodGracePeriod?: number;
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
  cpuCFSQuota?: boolean;
}

/** EC2NodeClass status conditions (lastTransitionTime may be absent on a status another writer left). */
export type Condition = Omit<ApiCondition, "lastTransitionTime"> & { lastTransitionTime?: string };

export interface EC2NodeClassStatus {
  subnets?: Array<{ id: string; zone: string; zoneID?: string }>;
  securityGroups?: Array<{ id: string; name?: string }>;
  capacityReservations?: CapacityReservationStatus[];
  amis?: Array<{
    id: string;
    name?: string;
    deprecated?: boolean;
    requirements: Array<{ key: string; operator: string; values?: string[] }>;
  }>;
  instanceProfile?: string;
  conditions?: Condition[];
}

export interface EC2NodeClassLike {
  metadata: {
    name: string;
    uid?: string;
    generation?: number;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: {
    role?: string;
    instanceProfile?: string;
    amiFamily?: string;
    amiSelectorTerms: AMISelectorTerm[];
    subnetSelectorTerms: SelectorTerm[];
    securityGroupSelectorTerms: SelectorTerm[];
    capacityReservationSelectorTerms?: CapacityReservationSelectorTerm[];
    kubelet?: KubeletSpec;
    blockDeviceMappings?: BlockDeviceMapping[];
    /** RAID0: pods' ephemeral storage is the instance-store disks in one array (not the root EBS volume). */
    instanceStorePolicy?: string;
    metadataOptions?: {
      httpEndpoint?: string;
      httpProtocolIPv6?: string;
      httpPutResponseHopLimit?: number;
      httpTokens?: string;
    };
    userData?: string;
    tags?: Record<string, string>;
    associatePublicIPAddress?: boolean;
    detailedMonitoring?: boolean;
    ipPrefixCount?: number;
    connectionTracking?: { tcpEstablishedTimeout?: number; udpStreamTimeout?: number; udpTimeout?: number };
    networkInterfaces?: Array<{ networkCardIndex: number; deviceIndex: number; interfaceType: string }>;
    cpuOptions?: { nestedVirtualization?: string };
    placementGroupSelector?: { id?: string; name?: string };
    /** CreateFleet's Context (a reserved capacity context, e.g. an AWS Outposts or partner one). */
    context?: string;
  };
  status?: EC2NodeClassStatus;
}

export function isReady(nc: EC2NodeClassLike): boolean {
  return nc.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}
