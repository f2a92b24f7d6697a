// The AWS provider's metrics (aws/karpenter-provider-aws v1.14: interruption, launches and terminations, instance
// types, user data), with Karpenter's names, help texts and labels; registered after the core's (metricsTable.ts).
import { DURATION_BUCKETS, type MetricDefinition } from "./metricDefinitions";

export const AWS_PROVIDER_METRICS = {
  interruptionReceivedMessages: {
    type: "counter",
    name: "karpenter_interruption_received_messages_total",
    help: "Count of messages received from the SQS queue. Broken down by message type and whether the message was actionable.",
    labels: ["message_type"],
  },
  interruptionDeletedMessages: {
    type: "counter",
    name: "karpenter_interruption_deleted_messages_total",
    help: "Count of messages deleted from the SQS queue.",
  },
  interruptionMessageQueueDuration: {
    type: "histogram",
    name: "karpenter_interruption_message_queue_duration_seconds",
    help: "Amount of time an interruption message is on the queue before it is processed by karpenter.",
    buckets: DURATION_BUCKETS,
  },
  interruptionInstanceStatusUnhealthy: {
    type: "counter",
    name: "karpenter_interruption_instance_status_unhealthy_total",
    help: "Count of unique unhealthy instance statuses detected from EC2 DescribeInstanceStatus. Broken down by status check category.",
    labels: ["category"],
  },
  /** The AWS provider's: each failed CreateFleet offering, each failed TerminateInstances. */
  instanceLaunchFailures: {
    type: "counter",
    name: "karpenter_cloudprovider_instance_launch_failures_total",
    help: "Number of instance launch (CreateFleet offering) failures, dimensioned by availability zone, zone ID, capacity type, and launch failure reason.",
    labels: ["zone", "zone_id", "capacity_type", "reason"],
  },
  instanceTerminationFailures: {
    type: "counter",
    name: "karpenter_cloudprovider_instance_termination_failures_total",
    help: "Number of instance termination (TerminateInstances) failures, dimensioned by availability zone and zone ID.",
    labels: ["zone", "zone_id"],
  },
  /** The AWS provider's: set as a launch template is created, dropped with the EC2NodeClass's templates. */
  ec2NodeClassUserDataBytes: {
    type: "gauge",
    name: "karpenter_ec2nodeclasses_userdata_bytes",
    help: "Size in bytes of the rendered user data (raw, pre-base64) for the EC2NodeClass",
    labels: ["nodeclass"],
  },
  instanceTypeOfferingAvailable: {
    type: "gauge",
    name: "karpenter_cloudprovider_instance_type_offering_available",
    help: "Instance type offering availability, based on instance type, capacity type, and zone",
    labels: ["instance_type", "capacity_type", "zone"],
  },
  instanceTypeOfferingPriceEstimate: {
    type: "gauge",
    name: "karpenter_cloudprovider_instance_type_offering_price_estimate",
    help: "Instance type offering estimated hourly price used when making informed decisions on node cost calculation, based on instance type, capacity type, and zone.",
    labels: ["instance_type", "capacity_type", "zone"],
  },
  instanceTypeCpuCores: {
    type: "gauge",
    name: "karpenter_cloudprovider_instance_type_cpu_cores",
    help: "VCPUs cores for a given instance type.",
    labels: ["instance_type"],
  },
  instanceTypeMemoryBytes: {
    type: "gauge",
    name: "karpenter_cloudprovider_instance_type_memory_bytes",
    help: "Memory, in bytes, for a given instance type.",
    labels: ["instance_type"],
  },
} as const satisfies Record<string, MetricDefinition>;
