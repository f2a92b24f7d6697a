// The metrics Karpenter v1.14.1 (kubernetes-sigs/karpenter and aws/karpenter-provider-aws) exports that apply to
// capsicum, with the names, types and label names of their Go definitions (pkg/metrics, the controllers'
// metrics.go files). A dashboard or alert written for Karpenter must find each one under the same name and labels.
import { Metrics } from "../../../src/metrics";
import { DURATION_BUCKETS, NODE_LABEL_NAMES } from "../../../src/metrics";

type Kind = "counter" | "gauge" | "histogram" | "summary";
const node = [...NODE_LABEL_NAMES];
const KARPENTER: Array<[string, Kind, string[]]> = [
  // pkg/metrics/metrics.go
  ["karpenter_nodeclaims_created_total", "counter", ["reason", "nodepool", "min_values_relaxed"]],
  ["karpenter_nodeclaims_terminated_total", "counter", ["nodepool", "capacity_type", "zone"]],
  ["karpenter_nodeclaims_disrupted_total", "counter", ["reason", "nodepool", "capacity_type"]],
  ["karpenter_nodes_created_total", "counter", ["nodepool", "zone"]],
  ["karpenter_nodes_terminated_total", "counter", ["nodepool", "zone"]],
  // controllers/node/health, node/termination, node/termination/terminator, nodeclaim/lifecycle
  ["karpenter_nodeclaims_unhealthy_disrupted_total", "counter", ["condition", "nodepool", "capacity_type", "image_id"]],
  ["karpenter_nodes_termination_duration_seconds", "summary", ["nodepool"]],
  ["karpenter_nodes_drained_total", "counter", ["nodepool"]],
  ["karpenter_nodes_lifetime_duration_seconds", "histogram", ["nodepool"]],
  ["karpenter_pods_eviction_requests_total", "counter", ["code"]],
  ["karpenter_pods_drained_total", "counter", ["reason"]],
  ["karpenter_nodeclaims_instance_termination_duration_seconds", "histogram", ["nodepool"]],
  ["karpenter_nodeclaims_termination_duration_seconds", "histogram", ["nodepool"]],
  // controllers/metrics/node, nodepool, pod
  ["karpenter_nodes_allocatable", "gauge", [...node, "resource_type"]],
  ["karpenter_nodes_total_pod_requests", "gauge", [...node, "resource_type"]],
  ["karpenter_nodes_total_pod_limits", "gauge", [...node, "resource_type"]],
  ["karpenter_nodes_total_daemon_requests", "gauge", [...node, "resource_type"]],
  ["karpenter_nodes_total_daemon_limits", "gauge", [...node, "resource_type"]],
  ["karpenter_nodes_system_overhead", "gauge", [...node, "resource_type"]],
  ["karpenter_nodes_current_lifetime_seconds", "gauge", node],
  ["karpenter_cluster_utilization_percent", "gauge", ["resource_type"]],
  ["karpenter_nodepools_limit", "gauge", ["resource_type", "nodepool"]],
  ["karpenter_nodepools_usage", "gauge", ["resource_type", "nodepool"]],
  ["karpenter_nodepools_cost_total", "gauge", ["nodepool"]],
  ["karpenter_nodepools_cost_tracker_errors_total", "counter", ["nodepool"]],
  ["karpenter_pods_state", "gauge", ["name", "namespace", "owner", "node", "scheduled", "nodepool", "zone", "arch", "capacity_type", "instance_type", "phase", "ready", "managed"]],
  ["karpenter_pods_startup_duration_seconds", "summary", []],
  ["karpenter_pods_bound_duration_seconds", "histogram", []],
  ["karpenter_pods_unbound_time_seconds", "gauge", ["name", "namespace"]],
  ["karpenter_pods_unstarted_time_seconds", "gauge", ["name", "namespace"]],
  ["karpenter_pods_provisioning_bound_duration_seconds", "histogram", []],
  ["karpenter_pods_provisioning_unbound_time_seconds", "gauge", ["name", "namespace"]],
  ["karpenter_pods_provisioning_startup_duration_seconds", "histogram", []],
  ["karpenter_pods_provisioning_unstarted_time_seconds", "gauge", ["name", "namespace"]],
  ["karpenter_pods_provisioning_scheduling_undecided_time_seconds", "gauge", ["name", "namespace"]],
  // controllers/disruption/metrics.go
  ["karpenter_voluntary_disruption_decision_evaluation_duration_seconds", "histogram", ["reason", "consolidation_type"]],
  ["karpenter_voluntary_disruption_decisions_total", "counter", ["decision", "reason", "consolidation_type"]],
  ["karpenter_voluntary_disruption_decisions_by_nodepool_total", "counter", ["nodepool", "decision", "reason", "consolidation_type"]],
  ["karpenter_voluntary_disruption_eligible_nodes", "gauge", ["reason"]],
  ["karpenter_voluntary_disruption_failed_validations_total", "counter", ["consolidation_type"]],
  ["karpenter_voluntary_disruption_consolidation_timeouts_total", "counter", ["consolidation_type"]],
  ["karpenter_voluntary_disruption_queue_failures_total", "counter", ["decision", "reason", "consolidation_type"]],
  ["karpenter_nodepools_allowed_disruptions", "gauge", ["nodepool", "reason"]],
  ["karpenter_nodepools_nodes_consuming_budgets", "gauge", ["nodepool", "reason"]],
  ["karpenter_consolidation_score", "histogram", ["decision", "nodepool", "policy"]],
  ["karpenter_consolidation_moves_total", "counter", ["decision", "nodepool", "policy"]],
  // controllers/provisioning/scheduling, controllers/state, cloudprovider/metrics, operator
  ["karpenter_scheduler_scheduling_duration_seconds", "histogram", ["controller"]],
  ["karpenter_scheduler_unschedulable_pods_count", "gauge", ["controller"]],
  ["karpenter_scheduler_queue_depth", "gauge", ["controller", "scheduling_id"]],
  ["karpenter_scheduler_pending_pods_by_effective_zone_count", "gauge", ["controller", "zone"]],
  ["karpenter_scheduler_ignored_pods_count", "gauge", []],
  ["karpenter_cluster_state_node_count", "gauge", []],
  ["karpenter_cluster_state_synced", "gauge", []],
  ["karpenter_cluster_state_unsynced_time_seconds", "gauge", []],
  ["karpenter_pods_scheduling_decision_duration_seconds", "histogram", []],
  ["karpenter_cloudprovider_duration_seconds", "histogram", ["controller", "method", "provider"]],
  ["karpenter_cloudprovider_errors_total", "counter", ["controller", "method", "provider", "error"]],
  ["karpenter_build_info", "gauge", ["version", "goversion", "goarch", "commit"]],
  // aws/karpenter-provider-aws pkg/controllers/interruption/metrics.go
  ["karpenter_interruption_received_messages_total", "counter", ["message_type"]],
  ["karpenter_interruption_deleted_messages_total", "counter", []],
  ["karpenter_interruption_message_queue_duration_seconds", "histogram", []],
  ["karpenter_interruption_instance_status_unhealthy_total", "counter", ["category"]],
  // aws/karpenter-provider-aws pkg/controllers/metrics, pkg/providers/instancetype/metrics.go
  ["karpenter_cloudprovider_instance_type_offering_available", "gauge", ["instance_type", "capacity_type", "zone"]],
  ["karpenter_cloudprovider_instance_type_offering_price_estimate", "gauge", ["instance_type", "capacity_type", "zone"]],
  ["karpenter_cloudprovider_instance_type_cpu_cores", "gauge", ["instance_type"]],
  ["karpenter_cloudprovider_instance_type_memory_bytes", "gauge", ["instance_type"]],
  // aws/karpenter-provider-aws pkg/providers/launchtemplate/metrics.go
  ["karpenter_ec2nodeclasses_userdata_bytes", "gauge", ["nodeclass"]],
  // aws/karpenter-provider-aws pkg/providers/instance/metrics.go
  ["karpenter_cloudprovider_instance_launch_failures_total", "counter", ["zone", "zone_id", "capacity_type", "reason"]],
  ["karpenter_cloudprovider_instance_termination_failures_total", "counter", ["zone", "zone_id"]],
];

// Karpenter's help texts (HELP lines), as its Go definitions spell them.
const HELP: Record<string, string> = {
  karpenter_cloudprovider_instance_launch_failures_total: "Number of instance launch (CreateFleet offering) failures, dimensioned by availability zone, zone ID, capacity type, and launch failure reason.",
  karpenter_cloudprovider_instance_termination_failures_total: "Number of instance termination (TerminateInstances) failures, dimensioned by availability zone and zone ID.",
  karpenter_ec2nodeclasses_userdata_bytes: "Size in bytes of the rendered user data (raw, pre-base64) for the EC2NodeClass",
  karpenter_voluntary_disruption_consolidation_timeouts_total: "Number of times the Consolidation algorithm has reached a timeout. Labeled by consolidation type.",
  karpenter_scheduler_pending_pods_by_effective_zone_count: "Pending pods dimensioned by effective zone constraint, or the intersection of pod-level zone signals, volume topology (PVC zones), and topology constraints. Values: specific zone name (e.g., 'us-west-2a'), 'flexible' (multiple zones), or 'none' (no valid intersection).",
  karpenter_nodepools_cost_tracker_errors_total: "Number of errors encountered during cost tracking operations. Labeled by nodepool and nodeclaim.",
  karpenter_nodepools_cost_total: "Total cost of the nodepool from Karpenter's perspective. Units are determined by the cloud provider. Not an authoritative source for billing. Includes modifications due to NodeOverlays",
  karpenter_pods_unbound_time_seconds: "The time from pod creation until the pod is bound.",
  karpenter_pods_unstarted_time_seconds: "The time from pod creation until the pod is running.",
  karpenter_pods_provisioning_bound_duration_seconds: "The time from when Karpenter first thinks the pod can schedule until it binds. Note: this calculated from a point in memory, not by the pod creation timestamp.",
  karpenter_pods_provisioning_unbound_time_seconds: "The time from when Karpenter first thinks the pod can schedule until it binds. Note: this calculated from a point in memory, not by the pod creation timestamp.",
  karpenter_pods_provisioning_startup_duration_seconds: "The time from when Karpenter first thinks the pod can schedule until the pod is running. Note: this calculated from a point in memory, not by the pod creation timestamp.",
  karpenter_pods_provisioning_unstarted_time_seconds: "The time from when Karpenter first thinks the pod can schedule until the pod is running. Note: this calculated from a point in memory, not by the pod creation timestamp.",
  karpenter_pods_provisioning_scheduling_undecided_time_seconds: "The time from when Karpenter has seen a pod without making a scheduling decision for the pod. Note: this calculated from a point in memory, not by the pod creation timestamp.",
  karpenter_pods_scheduling_decision_duration_seconds: "The time it takes for Karpenter to first try to schedule a pod after it's been seen.",
  karpenter_nodeclaims_created_total: "Number of nodeclaims created in total by Karpenter. Labeled by reason the nodeclaim was created, the owning nodepool, and if min values was relaxed for this nodeclaim.",
  karpenter_nodeclaims_terminated_total: "Number of nodeclaims terminated in total by Karpenter. Labeled by the owning nodepool, capacity type, and zone.",
  karpenter_nodeclaims_disrupted_total: "Number of nodeclaims disrupted in total by Karpenter. Labeled by reason the nodeclaim was disrupted and the owning nodepool.",
  karpenter_nodes_created_total: "Number of nodes created in total by Karpenter. Labeled by owning nodepool and zone.",
  karpenter_nodes_terminated_total: "Number of nodes terminated in total by Karpenter. Labeled by owning nodepool and zone.",
  karpenter_nodeclaims_unhealthy_disrupted_total: "Number of unhealthy nodeclaims disrupted in total by Karpenter. Labeled by condition on the node was disrupted, the owning nodepool, and the image ID.",
  karpenter_nodes_termination_duration_seconds: "The time taken between a node's deletion request and the removal of its finalizer",
  karpenter_nodes_drained_total: "The total number of nodes drained by Karpenter",
  karpenter_nodes_lifetime_duration_seconds: "The lifetime duration of the nodes since creation.",
  karpenter_pods_eviction_requests_total: "The total number of pod eviction requests made by Karpenter, labeled by response code",
  karpenter_pods_drained_total: "The total number of pods drained during node termination by Karpenter, labeled by reason",
  karpenter_nodeclaims_instance_termination_duration_seconds: "Duration of CloudProvider Instance termination in seconds.",
  karpenter_nodeclaims_termination_duration_seconds: "Duration of NodeClaim termination in seconds.",
  karpenter_nodes_allocatable: "Node allocatable are the resources allocatable by nodes.",
  karpenter_nodes_total_pod_requests: "Node total pod requests are the resources requested by pods bound to nodes, including the DaemonSet pods.",
  karpenter_nodes_total_pod_limits: "Node total pod limits are the resources specified by pod limits, including the DaemonSet pods.",
  karpenter_nodes_total_daemon_requests: "Node total daemon requests are the resource requested by DaemonSet pods bound to nodes.",
  karpenter_nodes_total_daemon_limits: "Node total daemon limits are the resources specified by DaemonSet pod limits.",
  karpenter_nodes_system_overhead: "Node system daemon overhead are the resources reserved for system overhead, the difference between the node's capacity and allocatable values are reported by the status.",
  karpenter_nodes_current_lifetime_seconds: "Node age in seconds",
  karpenter_cluster_utilization_percent: "Utilization of allocatable resources by pod requests",
  karpenter_nodepools_limit: "Limits specified on the nodepool that restrict the quantity of resources provisioned. Labeled by nodepool name and resource type.",
  karpenter_nodepools_usage: "The amount of resources that have been provisioned for a nodepool. Labeled by nodepool name and resource type.",
  karpenter_pods_state: "Pod state is the current state of pods. This metric can be used several ways as it is labeled by the pod name, namespace, owner, node, nodepool name, zone, architecture, capacity type, instance type, pod phase, and pod readiness.",
  karpenter_pods_startup_duration_seconds: "The time from pod creation until the pod is running.",
  karpenter_pods_bound_duration_seconds: "The time from pod creation until the pod is bound.",
  karpenter_voluntary_disruption_decision_evaluation_duration_seconds: "Duration of the disruption decision evaluation process in seconds. Labeled by method and consolidation type.",
  karpenter_voluntary_disruption_decisions_total: "Number of disruption decisions performed. Labeled by disruption decision, reason, and consolidation type.",
  karpenter_voluntary_disruption_decisions_by_nodepool_total: "Number of disruption decisions performed by nodepool. Labeled by nodepool name, disruption decision, reason, and consolidation type.",
  karpenter_voluntary_disruption_eligible_nodes: "Number of nodes eligible for disruption by Karpenter. Labeled by disruption reason.",
  karpenter_voluntary_disruption_failed_validations_total: "Number of candidates that were selected for disruption but failed validation. Labeled by consolidation type.",
  karpenter_voluntary_disruption_queue_failures_total: "The number of times that an enqueued disruption decision failed. Labeled by disruption method.",
  karpenter_nodepools_allowed_disruptions: "The number of nodes for a given NodePool that can be concurrently disrupting at a point in time. Labeled by NodePool. Note that allowed disruptions can change very rapidly, as new nodes may be created and others may be deleted at any point.",
  karpenter_nodepools_nodes_consuming_budgets: "The number of nodes consuming the budget of a nodepool at a point in time. Labeled by NodePool.",
  karpenter_consolidation_score: "Score of balanced consolidation moves. Labeled by decision, NodePool, and policy.",
  karpenter_consolidation_moves_total: "Number of balanced consolidation moves. Labeled by decision, NodePool, and policy.",
  karpenter_scheduler_scheduling_duration_seconds: "Duration of scheduling simulations used for deprovisioning and provisioning in seconds.",
  karpenter_scheduler_unschedulable_pods_count: "The number of unschedulable Pods.",
  karpenter_scheduler_queue_depth: "The number of pods currently waiting to be scheduled.",
  karpenter_cluster_state_node_count: "Current count of nodes in cluster state",
  karpenter_cluster_state_synced: "Returns 1 if cluster state is synced and 0 otherwise. Synced checks that nodeclaims and nodes that are stored in the APIServer have the same representation as Karpenter's cluster state",
  karpenter_cluster_state_unsynced_time_seconds: "The time for which cluster state is not synced",
  karpenter_cloudprovider_duration_seconds: "Duration of cloud provider method calls. Labeled by the controller, method name and provider.",
  karpenter_cloudprovider_errors_total: "Total number of errors returned from CloudProvider calls.",
  karpenter_build_info: "A metric with a constant '1' value labeled by version from which karpenter was built.",
  karpenter_interruption_received_messages_total: "Count of messages received from the SQS queue. Broken down by message type and whether the message was actionable.",
  karpenter_interruption_deleted_messages_total: "Count of messages deleted from the SQS queue.",
  karpenter_interruption_message_queue_duration_seconds: "Amount of time an interruption message is on the queue before it is processed by karpenter.",
  karpenter_interruption_instance_status_unhealthy_total: "Count of unique unhealthy instance statuses detected from EC2 DescribeInstanceStatus. Broken down by status check category.",
  karpenter_scheduler_ignored_pods_count: "Number of pods ignored during scheduling by Karpenter",
  karpenter_cloudprovider_instance_type_offering_available: "Instance type offering availability, based on instance type, capacity type, and zone",
  karpenter_cloudprovider_instance_type_offering_price_estimate: "Instance type offering estimated hourly price used when making informed decisions on node cost calculation, based on instance type, capacity type, and zone.",
  karpenter_cloudprovider_instance_type_cpu_cores: "VCPUs cores for a given instance type.",
  karpenter_cloudprovider_instance_type_memory_bytes: "Memory, in bytes, for a given instance type.",
};

describe("Karpenter v1.14 metrics", () => {
  const m = new Metrics();
  const declared = new Map(
    (m.registry.getMetricsAsArray() as unknown as Array<{ name: string; type: string; labelNames: string[] }>).map((x) => [x.name, x]),
  );
  it.each(KARPENTER)("%s is a %s labelled as Karpenter's", (name, kind, labels) => {
    const d = declared.get(name);
    expect(d).toBeDefined();
    expect(d!.type).toBe(kind);
    expect([...d!.labelNames].sort()).toEqual([...labels].sort());
    expect((d as unknown as { help: string }).help).toBe(HELP[name]);
  });
  it.each([
    ["karpenter_scheduler_scheduling_duration_seconds", DURATION_BUCKETS],
    ["karpenter_pods_bound_duration_seconds", DURATION_BUCKETS],
    ["karpenter_interruption_message_queue_duration_seconds", DURATION_BUCKETS],
    ["karpenter_pods_provisioning_bound_duration_seconds", DURATION_BUCKETS],
    ["karpenter_pods_provisioning_startup_duration_seconds", DURATION_BUCKETS],
    ["karpenter_pods_scheduling_decision_duration_seconds", DURATION_BUCKETS],
  ])("%s has Karpenter's buckets", (name, buckets) => {
    expect((m.registry.getSingleMetric(name) as unknown as { upperBounds: number[] }).upperBounds).toEqual(buckets);
  });
});
