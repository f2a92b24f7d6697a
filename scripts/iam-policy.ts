// The AWS IAM policy the capsicum controller needs (dist/iam-policy.json), scoped as Karpenter's
// CloudFormation controller policy is: writes only on resources tagged for this cluster and a NodePool,
// iam:PassRole only for the node role(s), reads limited to the region. Placeholders the user replaces:
// ${AWS_PARTITION}, ${AWS_REGION}, ${AWS_ACCOUNT_ID}, ${CLUSTER_NAME}, ${NODE_ROLE_NAME}, ${INTERRUPTION_QUEUE}.
const p = "arn:${AWS_PARTITION}";
const region = "${AWS_REGION}";
const owned = { "aws:ResourceTag/kubernetes.io/cluster/${CLUSTER_NAME}": "owned" };
const requestOwned = { "aws:RequestTag/kubernetes.io/cluster/${CLUSTER_NAME}": "owned" };
const ec2 = (type: string) => `${p}:ec2:${region}:*:${type}/*`;
/** What a launch creates (and tags at creation): the same set for creation and for tagging on create. */
const launched = () =>
  ["fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request"].map(ec2);

export function iamPolicy(): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AllowScopedEC2InstanceAccessActions",
        Effect: "Allow",
        Action: ["ec2:RunInstances", "ec2:CreateFleet"],
        // capacity-reservation: launches that target an ODCR or a capacity block (capacityReservationSelectorTerms).
        Resource: [
          `${p}:ec2:${region}::image/*`,
          `${p}:ec2:${region}::snapshot/*`,
          ec2("security-group"),
          ec2("subnet"),
          ec2("capacity-reservation"),
        ],
      },
      {
        Sid: "AllowScopedEC2LaunchTemplateAccessActions",
        Effect: "Allow",
        Action: ["ec2:RunInstances", "ec2:CreateFleet"],
        Resource: ec2("launch-template"),
        Condition: { StringEquals: owned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
      },
      {
        Sid: "AllowScopedEC2InstanceActionsWithTags",
        Effect: "Allow",
        Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
        Resource: launched(),
        Condition: { StringEquals: requestOwned, StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" } },
      },
      {
        Sid: "AllowScopedResourceCreationTagging",
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: launched(),
        Condition: {
          StringEquals: {
            ...requestOwned,
            "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
          },
          StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
        },
      },
      {
        Sid: "AllowScopedResourceTagging",
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: ec2("instance"),
        Condition: {
          StringEquals: owned,
          StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
          "ForAllValues:StringEquals": { "aws:TagKeys": ["karpenter.sh/nodeclaim", "Name"] },
        },
      },
      {
        // Only instances and launch templates this cluster's NodePools launched can be terminated / deleted.
        Sid: "AllowScopedDeletion",
        Effect: "Allow",
        Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
        Resource: [ec2("instance"), ec2("launch-template")],
        Condition: { StringEquals: owned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
      },
      {
        Sid: "AllowRegionalReadActions",
        Effect: "Allow",
        Action: [
          "ec2:DescribeAvailabilityZones",
          "ec2:DescribeCapacityReservations",
          "ec2:DescribeImages",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceStatus",
          "ec2:DescribeInstanceTypeOfferings",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribePlacementGroups",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSpotPriceHistory",
          "ec2:DescribeSubnets",
        ],
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": region } },
      },
      {
        Sid: "AllowSSMReadActions",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: `${p}:ssm:${region}::parameter/aws/service/*`,
      },
      { Sid: "AllowPricingReadActions", Effect: "Allow", Action: "pricing:GetProducts", Resource: "*" },
      {
        Sid: "AllowInterruptionQueueActions",
        Effect: "Allow",
        Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
        Resource: `${p}:sqs:${region}:\${AWS_ACCOUNT_ID}:\${INTERRUPTION_QUEUE}`,
      },
      {
        Sid: "AllowPassingInstanceRole",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: `${p}:iam::\${AWS_ACCOUNT_ID}:role/\${NODE_ROLE_NAME}`,
        Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com"] } },
      },
      {
        Sid: "AllowScopedInstanceProfileCreationActions",
        Effect: "Allow",
        Action: ["iam:CreateInstanceProfile", "iam:TagInstanceProfile"],
        Resource: `${p}:iam::\${AWS_ACCOUNT_ID}:instance-profile/*`,
        Condition: {
          StringEquals: { ...requestOwned, "aws:RequestTag/topology.kubernetes.io/region": region },
          StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
      {
        Sid: "AllowScopedInstanceProfileActions",
        Effect: "Allow",
        Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
        Resource: `${p}:iam::\${AWS_ACCOUNT_ID}:instance-profile/*`,
        Condition: {
          StringEquals: { ...owned, "aws:ResourceTag/topology.kubernetes.io/region": region },
          StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
      {
        Sid: "AllowInstanceProfileReadActions",
        Effect: "Allow",
        Action: "iam:GetInstanceProfile",
        Resource: `${p}:iam::\${AWS_ACCOUNT_ID}:instance-profile/*`,
      },
      {
        Sid: "AllowAPIServerEndpointDiscovery",
        Effect: "Allow",
        Action: "eks:DescribeCluster",
        Resource: `${p}:eks:${region}:\${AWS_ACCOUNT_ID}:cluster/\${CLUSTER_NAME}`,
      },
    ],
  };
}
