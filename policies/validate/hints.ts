// What to do about each Karpenter CEL message: appended to the message so a denial names the fix as well.
export const CEL_HINTS: Record<string, string> = {
  "requirements with operator 'In' must have a value defined": "add at least one value, or use operator Exists",
  "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value":
    'use exactly one non-negative integer, e.g. values: ["4"]',
  "requirements with 'minValues' must have at least that many values specified in the 'values' field":
    "lower minValues or list more values",
  "'schedule' must be set with 'duration'": 'set both, e.g. schedule: "0 9 * * mon-fri" with duration: 8h, or neither',
  'label domain "karpenter.sh" is restricted':
    "only karpenter.sh/capacity-type may be used; use your own domain for custom labels",
  'label domain "karpenter.k8s.aws" is restricted': "only the well-known karpenter.k8s.aws/* labels may be used",
  'label "kubernetes.io/hostname" is restricted':
    "hostnames are assigned at launch; use topology spread or pod anti-affinity instead",
  'label "karpenter.sh/nodepool" is restricted': "Karpenter sets it to the NodePool name",
  "must specify exactly one of ['role', 'instanceProfile']":
    "set spec.role (Karpenter manages the instance profile) or spec.instanceProfile, not both",
  "must specify amiFamily if amiSelectorTerms does not contain an alias":
    "add spec.amiFamily, or select AMIs with an alias such as al2023@latest",
  "'alias' is improperly formatted, must match the format 'family@version'":
    "e.g. al2023@latest or bottlerocket@v1.20.0",
  "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms":
    "use a single amiSelectorTerms entry with the alias",
  "subnetSelectorTerms cannot be empty": 'add a term such as {tags: {"karpenter.sh/discovery": "<cluster>"}}',
  "securityGroupSelectorTerms cannot be empty": 'add a term such as {tags: {"karpenter.sh/discovery": "<cluster>"}}',
  "Cannot transition NodePool between static (replicas set) and dynamic (replicas unset) provisioning modes":
    "create a new NodePool instead",
  "nodeClassRef.group is immutable": "create a new NodePool to use another node class group",
  "nodeClassRef.kind is immutable": "create a new NodePool to use another node class kind",
  "spec is immutable": "NodeClaims are replaced, not edited; change the NodePool instead",
  "'weight' is not supported on static NodePools": "remove spec.weight, or remove spec.replicas for a dynamic NodePool",
  "only 'limits.nodes' is supported on static NodePools":
    "remove the other limits (a static NodePool keeps spec.replicas nodes), or remove spec.replicas",
  "empty tag keys or values aren't supported":
    'remove the empty key or value, e.g. tags: {"karpenter.sh/discovery": "my-cluster"}',
  "empty tag keys aren't supported": "remove the tag with the empty key",
  "tag contains a restricted tag matching kubernetes.io/cluster/":
    "Karpenter sets this tag itself; remove it from spec.tags",
  "tag contains a restricted tag matching eks:eks-cluster-name":
    "Karpenter sets this tag itself; remove it from spec.tags",
  "tag contains a restricted tag matching karpenter.sh/nodepool":
    "Karpenter sets this tag itself; remove it from spec.tags",
  "tag contains a restricted tag matching karpenter.sh/nodeclaim":
    "Karpenter sets this tag itself; remove it from spec.tags",
  "tag contains a restricted tag matching karpenter.k8s.aws/ec2nodeclass":
    "Karpenter sets this tag itself; remove it from spec.tags",
  "evictionSoft OwnerKey does not have a matching evictionSoftGracePeriod":
    "add the same signal to evictionSoftGracePeriod, e.g. memory.available: 1m",
  "evictionSoftGracePeriod OwnerKey does not have a matching evictionSoft":
    "add the same signal to evictionSoft, or remove it from evictionSoftGracePeriod",
  "invalid resource restricted":
    "cpu, memory, ephemeral-storage and pods cannot be overlaid; use extended resources such as example.com/device",
  "requirements with operator 'NotIn' must have a value defined": "add at least one value, or remove the requirement",
};

export function withHint(message: string): string {
  const h = CEL_HINTS[message];
  return h ? `${message}; ${h}` : message;
}
