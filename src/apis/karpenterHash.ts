// Karpenter's drift hashes, computed bit for bit as Karpenter v1.14 computes them (hashstructure v2 over its Go
// types, SlicesAsSets + IgnoreZeroValue + ZeroNil), so NodeClaims launched by Karpenter keep their hashes when
// capsicum takes a cluster over. The Go types below follow sigs.k8s.io/karpenter/pkg/apis/v1 (NodeClaimTemplate)
// and github.com/aws/karpenter-provider-aws/pkg/apis/v1 (EC2NodeClassSpec): field order and hash tags matter.
import { aliasFamily } from "./amiFamilies";
import { GoField, GoType, HashOptions, goHash } from "./hashstructure";

export const NODEPOOL_HASH_ANNOTATION = "karpenter.sh/nodepool-hash";
export const NODEPOOL_HASH_VERSION_ANNOTATION = "karpenter.sh/nodepool-hash-version";
/** Karpenter's NodePoolHashVersion (bumped when the hashed fields or their defaults change). */
export const NODEPOOL_HASH_VERSION = "v3";

export const EC2NODECLASS_HASH_ANNOTATION = "karpenter.k8s.aws/ec2nodeclass-hash";
export const EC2NODECLASS_HASH_VERSION_ANNOTATION = "karpenter.k8s.aws/ec2nodeclass-hash-version";
/** The AWS provider's EC2NodeClassHashVersion (v1.14: "v6"; a NodeClaim stamped with another is re-stamped, not drifted). */
export const EC2NODECLASS_HASH_VERSION = "v6";

const OPTS: HashOptions = { slicesAsSets: true, ignoreZeroValue: true, zeroNil: true };

const str: GoType = { kind: "string" };
const i32: GoType = { kind: "int32" };
const i64: GoType = { kind: "int64" };
const bool: GoType = { kind: "bool" };
const ptr = (elem: GoType): GoType => ({ kind: "ptr", elem });
const slice = (elem: GoType): GoType => ({ kind: "slice", elem });
const map = (value: GoType): GoType => ({ kind: "map", key: str, value });
const struct = (name: string, fields: GoField[]): GoType => ({ kind: "struct", name, fields });
const f = (go: string, json: string, type: GoType, tag?: GoField["tag"]): GoField => ({ go, json, type, tag });
const strMap = map(str);

/** metav1.Duration {Duration time.Duration}, JSON "5m". */
const metaDuration = struct("Duration", [{ go: "Duration", type: { kind: "duration" } }]);
/** metav1.Time {time.Time}, JSON RFC 3339. */
const metaTime = struct("Time", [{ go: "Time", type: { kind: "time" } }]);
/** core/v1 Taint. */
const taint = struct("Taint", [
  f("Key", "key", str),
  f("Value", "value", str),
  f("Effect", "effect", str),
  f("TimeAdded", "timeAdded", ptr(metaTime)),
]);

/** Karpenter NodeClaimTemplate: ObjectMeta (labels, annotations) + NodeClaimTemplateSpec. */
const nodeClaimTemplate = struct("NodeClaimTemplate", [
  f(
    "ObjectMeta",
    "metadata",
    struct("ObjectMeta", [f("Labels", "labels", strMap), f("Annotations", "annotations", strMap)]),
  ),
  f(
    "Spec",
    "spec",
    struct("NodeClaimTemplateSpec", [
      f("Taints", "taints", slice(taint)),
      f("StartupTaints", "startupTaints", slice(taint)),
      f("Requirements", "requirements", slice(str), "ignore"),
      f(
        "NodeClassRef",
        "nodeClassRef",
        ptr(struct("NodeClassReference", [f("Kind", "kind", str), f("Name", "name", str), f("Group", "group", str)])),
      ),
      f("TerminationGracePeriod", "terminationGracePeriod", ptr(metaDuration)),
      // NillableDuration {*time.Duration; Raw []byte `hash:"ignore"`}: "Never" decodes to the zero value.
      f(
        "ExpireAfter",
        "expireAfter",
        struct("NillableDuration", [{ go: "Duration", type: ptr({ kind: "duration" }) }]),
      ),
    ]),
  ),
]);

export interface NodePoolTemplateLike {
  spec: { template: { metadata?: unknown; spec: Record<string, unknown> } };
}

/** Karpenter's NodePool.Hash(): decimal uint64 of the static template fields (requirements excluded). */
export function nodePoolHash(nodePool: NodePoolTemplateLike): string {
  const tpl = nodePool.spec.template;
  const spec = { ...tpl.spec };
  // NillableDuration: "Never" is a nil duration (zero value), so it drops out like an unset field.
  if (spec.expireAfter === "Never") delete spec.expireAfter;
  return goHash(nodeClaimTemplate, { metadata: tpl.metadata, spec }, OPTS).toString(10);
}

const selectorTerms = slice(str); // every selector-term field is hash:"ignore"
const kubelet = struct("KubeletConfiguration", [
  f("ClusterDNS", "clusterDNS", slice(str)),
  f("MaxPods", "maxPods", ptr(i32)),
  f("PodsPerCore", "podsPerCore", ptr(i32)),
  f("SystemReserved", "systemReserved", strMap),
  f("KubeReserved", "kubeReserved", strMap),
  f("EvictionHard", "evictionHard", strMap),
  f("EvictionSoft", "evictionSoft", strMap),
  f("EvictionSoftGracePeriod", "evictionSoftGracePeriod", map(metaDuration)),
  f("EvictionMaxPodGracePeriod", "evictionMaxPodGracePeriod", ptr(i32)),
  f("ImageGCHighThresholdPercent", "imageGCHighThresholdPercent", ptr(i32)),
  f("ImageGCLowThresholdPercent", "imageGCLowThresholdPercent", ptr(i32)),
  f("CPUCFSQuota", "cpuCFSQuota", ptr(bool)),
]);
const blockDevice = struct("BlockDevice", [
  f("DeleteOnTermination", "deleteOnTermination", ptr(bool)),
  f("Encrypted", "encrypted", ptr(bool)),
  f("IOPS", "iops", ptr(i64)),
  f("KMSKeyID", "kmsKeyID", ptr(str)),
  f("SnapshotID", "snapshotID", ptr(str)),
  f("Throughput", "throughput", ptr(i64)),
  f("VolumeInitializationRate", "volumeInitializationRate", ptr(i32)),
  f("VolumeSize", "volumeSize", ptr({ kind: "quantity" }), "string"),
  f("VolumeType", "volumeType", ptr(str)),
]);
const ec2NodeClassSpec = struct("EC2NodeClassSpec", [
  f("SubnetSelectorTerms", "subnetSelectorTerms", selectorTerms, "ignore"),
  f("SecurityGroupSelectorTerms", "securityGroupSelectorTerms", selectorTerms, "ignore"),
  f("CapacityReservationSelectorTerms", "capacityReservationSelectorTerms", selectorTerms, "ignore"),
  f(
    "PlacementGroupSelector",
    "placementGroupSelector",
    ptr(struct("PlacementGroupSelector", [f("Name", "name", ptr(str)), f("ID", "id", ptr(str))])),
  ),
  f("AssociatePublicIPAddress", "associatePublicIPAddress", ptr(bool)),
  f("IPPrefixCount", "ipPrefixCount", ptr(i32), "ignore"),
  f("AMISelectorTerms", "amiSelectorTerms", selectorTerms, "ignore"),
  f("AMIFamily", "amiFamily", ptr(str), "ignore"),
  f("UserData", "userData", ptr(str)),
  f("Role", "role", str),
  f("InstanceProfile", "instanceProfile", ptr(str)),
  f("Tags", "tags", strMap),
  f("Kubelet", "kubelet", ptr(kubelet)),
  f(
    "BlockDeviceMappings",
    "blockDeviceMappings",
    slice(
      ptr(
        struct("BlockDeviceMapping", [
          f("DeviceName", "deviceName", ptr(str)),
          f("EBS", "ebs", ptr(blockDevice)),
          f("RootVolume", "rootVolume", bool),
        ]),
      ),
    ),
  ),
  f("InstanceStorePolicy", "instanceStorePolicy", ptr(str)),
  f(
    "NetworkInterfaces",
    "networkInterfaces",
    slice(
      ptr(
        struct("NetworkInterface", [
          f("NetworkCardIndex", "networkCardIndex", i32),
          f("DeviceIndex", "deviceIndex", i32),
          f("InterfaceType", "interfaceType", str),
        ]),
      ),
    ),
  ),
  f("DetailedMonitoring", "detailedMonitoring", ptr(bool)),
  f(
    "MetadataOptions",
    "metadataOptions",
    ptr(
      struct("MetadataOptions", [
        f("HTTPEndpoint", "httpEndpoint", ptr(str)),
        f("HTTPProtocolIPv6", "httpProtocolIPv6", ptr(str)),
        f("HTTPPutResponseHopLimit", "httpPutResponseHopLimit", ptr(i64)),
        f("HTTPTokens", "httpTokens", ptr(str)),
      ]),
    ),
  ),
  f(
    "ConnectionTracking",
    "connectionTracking",
    ptr(
      struct("ConnectionTracking", [
        f("TCPEstablishedTimeout", "tcpEstablishedTimeout", ptr(i32)),
        f("UDPStreamTimeout", "udpStreamTimeout", ptr(i32)),
        f("UDPTimeout", "udpTimeout", ptr(i32)),
      ]),
    ),
  ),
  f("Context", "context", ptr(str)),
  f(
    "CPUOptions",
    "cpuOptions",
    ptr(struct("CPUOptions", [f("NestedVirtualization", "nestedVirtualization", ptr(str))])),
  ),
]);

export interface EC2NodeClassHashInput {
  spec: Record<string, unknown> & {
    amiFamily?: string;
    amiSelectorTerms?: Array<{ alias?: string; [k: string]: unknown }>;
  };
}

/** EC2NodeClass.AMIFamily(): spec.amiFamily, else the alias's family, else Custom. */
export function resolvedAmiFamily(nc: EC2NodeClassHashInput): string {
  if (nc.spec.amiFamily) return nc.spec.amiFamily;
  const alias = (nc.spec.amiSelectorTerms ?? []).find((t) => t.alias)?.alias;
  if (alias) return aliasFamily(alias) ?? "Custom";
  return "Custom";
}

/**
 * The AWS provider's EC2NodeClass.Hash(caBundle): spec (selector terms, amiFamily and ipPrefixCount excluded), the
 * resolved AMI family and the cluster CA bundle (Karpenter's --cluster-ca-bundle, else the in-cluster CA, base64).
 */
export function ec2NodeClassHash(nc: EC2NodeClassHashInput, caBundle = ""): string {
  // hashstructure.Hash([]any{spec, amiFamily, caBundle}) with SlicesAsSets: the XOR of the three, unfinished.
  const h = goHash(ec2NodeClassSpec, nc.spec, OPTS) ^ goHash(str, resolvedAmiFamily(nc)) ^ goHash(str, caBundle);
  return h.toString(10);
}

export function ec2NodeClassHashAnnotations(nc: EC2NodeClassHashInput, caBundle = ""): Record<string, string> {
  return {
    [EC2NODECLASS_HASH_ANNOTATION]: ec2NodeClassHash(nc, caBundle),
    [EC2NODECLASS_HASH_VERSION_ANNOTATION]: EC2NODECLASS_HASH_VERSION,
  };
}

export function nodePoolHashAnnotations(nodePool: NodePoolTemplateLike): Record<string, string> {
  return {
    [NODEPOOL_HASH_ANNOTATION]: nodePoolHash(nodePool),
    [NODEPOOL_HASH_VERSION_ANNOTATION]: NODEPOOL_HASH_VERSION,
  };
}
