// The metrics capsicum exports, as one table: Karpenter v1.14's names, types, help texts, label names and
// buckets (pkg/metrics and the controllers' metrics.go files, and the AWS provider's), so Karpenter dashboards and
// alerts work unchanged. src/metrics.ts builds a registry from it with one typed accessor per entry.
import { WellKnownLabels } from "./apis/labels";
import { DURATION_BUCKETS, type MetricDefinition } from "./metricDefinitions";
import { AWS_PROVIDER_METRICS } from "./metricsTableAws";

export { DURATION_BUCKETS, type MetricDefinition, type MetricType } from "./metricDefinitions";

/** Karpenter's SummaryObjectives: quantiles 0, .5, .9, .99, 1. */
const SUMMARY_OBJECTIVES = [0, 0.5, 0.9, 0.99, 1];

/**
 * Karpenter's node metric labels: every well-known label (karpenter.sh/nodepool → nodepool, ...instance-cpu →
 * instance_cpu) plus node_name, phase, managed.
 */
export const NODE_LABEL_KEYS: ReadonlyArray<[string, string]> = [...WellKnownLabels]
  .filter((k) => k.split("/").length === 2)
  .map((k) => [k, k.split("/")[1]!.toLowerCase().replace(/-/g, "_")] as [string, string])
  .filter(([, n], i, all) => all.findIndex(([, m]) => m === n) === i);
export const NODE_LABEL_NAMES: string[] = [...NODE_LABEL_KEYS.map(([, n]) => n), "node_name", "phase", "managed"];
const NODE_RESOURCE_LABELS = [...NODE_LABEL_NAMES, "resource_type"];

/** Registration order is exposition order. */
export const METRICS = {
  nodeClaimsCreated: {
    type: "counter",
    name: "karpenter_nodeclaims_created_total",
    help: "Number of nodeclaims created in total by Karpenter. Labeled by reason the nodeclaim was created, the owning nodepool, and if min values was relaxed for this nodeclaim.",
    labels: ["nodepool", "reason", "min_values_relaxed"],
  },
  nodeClaimsTerminated: {
    type: "counter",
    name: "karpenter_nodeclaims_terminated_total",
    help: "Number of nodeclaims terminated in total by Karpenter. Labeled by the owning nodepool, capacity type, and zone.",
    labels: ["nodepool", "capacity_type", "zone"],
  },
  nodeClaimsDisrupted: {
    type: "counter",
    name: "karpenter_nodeclaims_disrupted_total",
    help: "Number of nodeclaims disrupted in total by Karpenter. Labeled by reason the nodeclaim was disrupted and the owning nodepool.",
    labels: ["nodepool", "reason", "capacity_type"],
  },
  /** Node repair (node.health): one per unhealthy NodeClaim deleted, by the condition that matched. */
  nodeClaimsUnhealthyDisrupted: {
    type: "counter",
    name: "karpenter_nodeclaims_unhealthy_disrupted_total",
    help: "Number of unhealthy nodeclaims disrupted in total by Karpenter. Labeled by condition on the node was disrupted, the owning nodepool, and the image ID.",
    labels: ["condition", "nodepool", "capacity_type", "image_id"],
  },
  nodesCreated: {
    type: "counter",
    name: "karpenter_nodes_created_total",
    help: "Number of nodes created in total by Karpenter. Labeled by owning nodepool and zone.",
    labels: ["nodepool", "zone"],
  },
  nodesTerminated: {
    type: "counter",
    name: "karpenter_nodes_terminated_total",
    help: "Number of nodes terminated in total by Karpenter. Labeled by owning nodepool and zone.",
    labels: ["nodepool", "zone"],
  },
  nodesAllocatable: {
    type: "gauge",
    name: "karpenter_nodes_allocatable",
    help: "Node allocatable are the resources allocatable by nodes.",
    labels: NODE_RESOURCE_LABELS,
  },
  nodesTotalPodRequests: {
    type: "gauge",
    name: "karpenter_nodes_total_pod_requests",
    help: "Node total pod requests are the resources requested by pods bound to nodes, including the DaemonSet pods.",
    labels: NODE_RESOURCE_LABELS,
  },
  nodesTotalPodLimits: {
    type: "gauge",
    name: "karpenter_nodes_total_pod_limits",
    help: "Node total pod limits are the resources specified by pod limits, including the DaemonSet pods.",
    labels: NODE_RESOURCE_LABELS,
  },
  nodesTotalDaemonRequests: {
    type: "gauge",
    name: "karpenter_nodes_total_daemon_requests",
    help: "Node total daemon requests are the resource requested by DaemonSet pods bound to nodes.",
    labels: NODE_RESOURCE_LABELS,
  },
  nodesTotalDaemonLimits: {
    type: "gauge",
    name: "karpenter_nodes_total_daemon_limits",
    help: "Node total daemon limits are the resources specified by DaemonSet pod limits.",
    labels: NODE_RESOURCE_LABELS,
  },
  nodesSystemOverhead: {
    type: "gauge",
    name: "karpenter_nodes_system_overhead",
    help: "Node system daemon overhead are the resources reserved for system overhead, the difference between the node's capacity and allocatable values are reported by the status.",
    labels: NODE_RESOURCE_LABELS,
  },
  nodesCurrentLifetime: {
    type: "gauge",
    name: "karpenter_nodes_current_lifetime_seconds",
    help: "Node age in seconds",
    labels: NODE_LABEL_NAMES,
  },
  clusterUtilization: {
    type: "gauge",
    name: "karpenter_cluster_utilization_percent",
    help: "Utilization of allocatable resources by pod requests",
    labels: ["resource_type"],
  },
  buildInfo: {
    type: "gauge",
    name: "karpenter_build_info",
    help: "A metric with a constant '1' value labeled by version from which karpenter was built.",
    labels: ["version", "goversion", "goarch", "commit"],
  },
  /** A Summary, as Karpenter's (SummaryObjectives: quantiles 0, .5, .9, .99, 1). */
  nodesTerminationDuration: {
    type: "summary",
    name: "karpenter_nodes_termination_duration_seconds",
    help: "The time taken between a node's deletion request and the removal of its finalizer",
    labels: ["nodepool"],
    percentiles: SUMMARY_OBJECTIVES,
  },
  nodesDrained: {
    type: "counter",
    name: "karpenter_nodes_drained_total",
    help: "The total number of nodes drained by Karpenter",
    labels: ["nodepool"],
  },
  nodesLifetimeDuration: {
    type: "histogram",
    name: "karpenter_nodes_lifetime_duration_seconds",
    help: "The lifetime duration of the nodes since creation.",
    labels: ["nodepool"],
    buckets: [
      ...[15, 30, 45].map((m) => m * 60),
      ...[1, 2, 4, 6, 8, 10, 12, 16, 20].map((h) => h * 3600),
      ...[1, 2, 3, 5, 10, 15, 20, 25, 30].map((d) => d * 86400),
    ],
  },
  nodeClaimsTerminationDuration: {
    type: "histogram",
    name: "karpenter_nodeclaims_termination_duration_seconds",
    help: "Duration of NodeClaim termination in seconds.",
    labels: ["nodepool"],
    buckets: Array.from({ length: 12 }, (_, i) => 2 ** i),
  },
  nodeClaimsInstanceTerminationDuration: {
    type: "histogram",
    name: "karpenter_nodeclaims_instance_termination_duration_seconds",
    help: "Duration of CloudProvider Instance termination in seconds.",
    labels: ["nodepool"],
    buckets: Array.from({ length: 11 }, (_, i) => 2 ** i),
  },
  podsEvictionRequests: {
    type: "counter",
    name: "karpenter_pods_eviction_requests_total",
    help: "The total number of pod eviction requests made by Karpenter, labeled by response code",
    labels: ["code"],
  },
  podsDrained: {
    type: "counter",
    name: "karpenter_pods_drained_total",
    help: "The total number of pods drained during node termination by Karpenter, labeled by reason",
    labels: ["reason"],
  },
  nodePoolsUsage: {
    type: "gauge",
    name: "karpenter_nodepools_usage",
    help: "The amount of resources that have been provisioned for a nodepool. Labeled by nodepool name and resource type.",
    labels: ["nodepool", "resource_type"],
  },
  nodePoolsLimit: {
    type: "gauge",
    name: "karpenter_nodepools_limit",
    help: "Limits specified on the nodepool that restrict the quantity of resources provisioned. Labeled by nodepool name and resource type.",
    labels: ["nodepool", "resource_type"],
  },
  nodePoolsCost: {
    type: "gauge",
    name: "karpenter_nodepools_cost_total",
    help: "Total cost of the nodepool from Karpenter's perspective. Units are determined by the cloud provider. Not an authoritative source for billing. Includes modifications due to NodeOverlays",
    labels: ["nodepool"],
  },
  /** A pool's cost could not be computed: its instance types (prices) did not resolve (Karpenter's GetInstanceTypes error). */
  nodePoolsCostTrackerErrors: {
    type: "counter",
    name: "karpenter_nodepools_cost_tracker_errors_total",
    help: "Number of errors encountered during cost tracking operations. Labeled by nodepool and nodeclaim.",
    labels: ["nodepool"],
  },
  /**
   * Karpenter's labels. Karpenter sets one series per pod; capsicum by default leaves `name` and `owner` empty
   * and counts the pods of each remaining label set (METRICS_PODS_STATE_PER_POD=true restores one per pod).
   */
  podsState: {
    type: "gauge",
    name: "karpenter_pods_state",
    help: "Pod state is the current state of pods. This metric can be used several ways as it is labeled by the pod name, namespace, owner, node, nodepool name, zone, architecture, capacity type, instance type, pod phase, and pod readiness.",
    labels: [
      "name",
      "namespace",
      "owner",
      "node",
      "scheduled",
      "nodepool",
      "zone",
      "arch",
      "capacity_type",
      "instance_type",
      "phase",
      "ready",
      "managed",
    ],
  },
  /** A Summary without labels, as Karpenter's (quantiles 0, .5, .9, .99, 1). */
  podsStartupDuration: {
    type: "summary",
    name: "karpenter_pods_startup_duration_seconds",
    help: "The time from pod creation until the pod is running.",
    percentiles: SUMMARY_OBJECTIVES,
  },
  podsBoundDuration: {
    type: "histogram",
    name: "karpenter_pods_bound_duration_seconds",
    help: "The time from pod creation until the pod is bound.",
    buckets: DURATION_BUCKETS,
  },
  /** Per pod (name, namespace), as Karpenter's: only while the pod waits, deleted once it is bound or gone. */
  podsUnboundTime: {
    type: "gauge",
    name: "karpenter_pods_unbound_time_seconds",
    help: "The time from pod creation until the pod is bound.",
    labels: ["name", "namespace"],
  },
  /** Per pod, only while the pod has not started (Ready) nor finished. */
  podsUnstartedTime: {
    type: "gauge",
    name: "karpenter_pods_unstarted_time_seconds",
    help: "The time from pod creation until the pod is running.",
    labels: ["name", "namespace"],
  },
  podsProvisioningBoundDuration: {
    type: "histogram",
    name: "karpenter_pods_provisioning_bound_duration_seconds",
    help: "The time from when Karpenter first thinks the pod can schedule until it binds. Note: this calculated from a point in memory, not by the pod creation timestamp.",
    buckets: DURATION_BUCKETS,
  },
  podsProvisioningUnboundTime: {
    type: "gauge",
    name: "karpenter_pods_provisioning_unbound_time_seconds",
    help: "The time from when Karpenter first thinks the pod can schedule until it binds. Note: this calculated from a point in memory, not by the pod creation timestamp.",
    labels: ["name", "namespace"],
  },
  podsProvisioningStartupDuration: {
    type: "histogram",
    name: "karpenter_pods_provisioning_startup_duration_seconds",
    help: "The time from when Karpenter first thinks the pod can schedule until the pod is running. Note: this calculated from a point in memory, not by the pod creation timestamp.",
    buckets: DURATION_BUCKETS,
  },
  podsProvisioningUnstartedTime: {
    type: "gauge",
    name: "karpenter_pods_provisioning_unstarted_time_seconds",
    help: "The time from when Karpenter first thinks the pod can schedule until the pod is running. Note: this calculated from a point in memory, not by the pod creation timestamp.",
    labels: ["name", "namespace"],
  },
  podsSchedulingUndecidedTime: {
    type: "gauge",
    name: "karpenter_pods_provisioning_scheduling_undecided_time_seconds",
    help: "The time from when Karpenter has seen a pod without making a scheduling decision for the pod. Note: this calculated from a point in memory, not by the pod creation timestamp.",
    labels: ["name", "namespace"],
  },
  podsSchedulingDecisionDuration: {
    type: "histogram",
    name: "karpenter_pods_scheduling_decision_duration_seconds",
    help: "The time it takes for Karpenter to first try to schedule a pod after it's been seen.",
    buckets: DURATION_BUCKETS,
  },
  schedulingDuration: {
    type: "histogram",
    name: "karpenter_scheduler_scheduling_duration_seconds",
    help: "Duration of scheduling simulations used for deprovisioning and provisioning in seconds.",
    labels: ["controller"],
    buckets: DURATION_BUCKETS,
  },
  /** The name the brief asks for; Karpenter v0.3x exposed this one, v1 the scheduler_* one above. Both are kept. */
  provisionerSchedulingDuration: {
    type: "histogram",
    name: "karpenter_provisioner_scheduling_duration_seconds",
    help: "Duration of the provisioning scheduling simulation in seconds.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  schedulerUnschedulablePods: {
    type: "gauge",
    name: "karpenter_scheduler_unschedulable_pods_count",
    help: "The number of unschedulable Pods.",
    labels: ["controller"],
  },
  schedulerQueueDepth: {
    type: "gauge",
    name: "karpenter_scheduler_queue_depth",
    help: "The number of pods currently waiting to be scheduled.",
    labels: ["controller", "scheduling_id"],
  },
  schedulerPendingPodsByEffectiveZone: {
    type: "gauge",
    name: "karpenter_scheduler_pending_pods_by_effective_zone_count",
    help: "Pending pods dimensioned by effective zone constraint, or the intersection of pod-level zone signals, volume topology (PVC zones), and topology constraints. Values: specific zone name (e.g., 'us-west-2a'), 'flexible' (multiple zones), or 'none' (no valid intersection).",
    labels: ["controller", "zone"],
  },
  schedulerIgnoredPods: {
    type: "gauge",
    name: "karpenter_scheduler_ignored_pods_count",
    help: "Number of pods ignored during scheduling by Karpenter",
  },
  clusterStateSynced: {
    type: "gauge",
    name: "karpenter_cluster_state_synced",
    help: "Returns 1 if cluster state is synced and 0 otherwise. Synced checks that nodeclaims and nodes that are stored in the APIServer have the same representation as Karpenter's cluster state",
  },
  clusterStateUnsyncedTime: {
    type: "gauge",
    name: "karpenter_cluster_state_unsynced_time_seconds",
    help: "The time for which cluster state is not synced",
  },
  clusterStateNodeCount: {
    type: "gauge",
    name: "karpenter_cluster_state_node_count",
    help: "Current count of nodes in cluster state",
  },
  /** Default buckets, as Karpenter's (no Buckets in its HistogramOpts). */
  cloudProviderDuration: {
    type: "histogram",
    name: "karpenter_cloudprovider_duration_seconds",
    help: "Duration of cloud provider method calls. Labeled by the controller, method name and provider.",
    labels: ["controller", "method", "provider"],
  },
  cloudProviderErrors: {
    type: "counter",
    name: "karpenter_cloudprovider_errors_total",
    help: "Total number of errors returned from CloudProvider calls.",
    labels: ["controller", "method", "provider", "error"],
  },
  /** controller-runtime's workqueue metrics, which Karpenter exports under these names. */
  workqueueDepth: {
    type: "gauge",
    name: "workqueue_depth",
    help: "Current depth of workqueue by workqueue and priority",
    labels: ["name"],
  },
  workqueueRetries: {
    type: "counter",
    name: "workqueue_retries_total",
    help: "Total number of retries handled by workqueue",
    labels: ["name"],
  },
  nodePoolsAllowedDisruptions: {
    type: "gauge",
    name: "karpenter_nodepools_allowed_disruptions",
    help: "The number of nodes for a given NodePool that can be concurrently disrupting at a point in time. Labeled by NodePool. Note that allowed disruptions can change very rapidly, as new nodes may be created and others may be deleted at any point.",
    labels: ["nodepool", "reason"],
  },
  disruptionDecisions: {
    type: "counter",
    name: "karpenter_voluntary_disruption_decisions_total",
    help: "Number of disruption decisions performed. Labeled by disruption decision, reason, and consolidation type.",
    labels: ["decision", "reason", "consolidation_type"],
  },
  disruptionDecisionsByNodePool: {
    type: "counter",
    name: "karpenter_voluntary_disruption_decisions_by_nodepool_total",
    help: "Number of disruption decisions performed by nodepool. Labeled by nodepool name, disruption decision, reason, and consolidation type.",
    labels: ["nodepool", "decision", "reason", "consolidation_type"],
  },
  disruptionFailedValidations: {
    type: "counter",
    name: "karpenter_voluntary_disruption_failed_validations_total",
    help: "Number of candidates that were selected for disruption but failed validation. Labeled by consolidation type.",
    labels: ["consolidation_type"],
  },
  disruptionQueueFailures: {
    type: "counter",
    name: "karpenter_voluntary_disruption_queue_failures_total",
    help: "The number of times that an enqueued disruption decision failed. Labeled by disruption method.",
    labels: ["decision", "reason", "consolidation_type"],
  },
  nodePoolsNodesConsumingBudgets: {
    type: "gauge",
    name: "karpenter_nodepools_nodes_consuming_budgets",
    help: "The number of nodes consuming the budget of a nodepool at a point in time. Labeled by NodePool.",
    labels: ["nodepool", "reason"],
  },
  /** Balanced consolidation (Karpenter v1.14): every scored move of a Balanced pool. */
  consolidationScore: {
    type: "histogram",
    name: "karpenter_consolidation_score",
    help: "Score of balanced consolidation moves. Labeled by decision, NodePool, and policy.",
    labels: ["decision", "nodepool", "policy"],
    buckets: [0.1, 0.25, 0.33, 0.5, 1.0, 2.0, 5.0, 10.0],
  },
  consolidationMoves: {
    type: "counter",
    name: "karpenter_consolidation_moves_total",
    help: "Number of balanced consolidation moves. Labeled by decision, NodePool, and policy.",
    labels: ["decision", "nodepool", "policy"],
  },
  consolidationTimeouts: {
    type: "counter",
    name: "karpenter_voluntary_disruption_consolidation_timeouts_total",
    help: "Number of times the Consolidation algorithm has reached a timeout. Labeled by consolidation type.",
    labels: ["consolidation_type"],
  },
  disruptionEligibleNodes: {
    type: "gauge",
    name: "karpenter_voluntary_disruption_eligible_nodes",
    help: "Number of nodes eligible for disruption by Karpenter. Labeled by disruption reason.",
    labels: ["reason"],
  },
  disruptionDecisionEvaluationDuration: {
    type: "histogram",
    name: "karpenter_voluntary_disruption_decision_evaluation_duration_seconds",
    help: "Duration of the disruption decision evaluation process in seconds. Labeled by method and consolidation type.",
    labels: ["reason", "consolidation_type"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  },
  // The AWS provider's (interruption, launches, instance types): metricsTableAws.ts.
  ...AWS_PROVIDER_METRICS,
} as const satisfies Record<string, MetricDefinition>;
