// The metrics Karpenter v1.14.1 (kubernetes-sigs/karpenter and aws/karpenter-provider-aws) exports that apply to
// capsicum, with the names, types and label names of their Go definitions (pkg/metrics, the controllers'
// metrics.go files). A dashboard or alert written for Karpenter must find each one under the same name and labels.
import { Metrics } from "../../../src/metrics";
import { NODE_LABEL_NAMES } from "../../../src/metrics";

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
  ["karpenter_pods_state", "gauge", ["name", "namespace", "owner", "node", "scheduled", "nodepool", "zone", "arch", "capacity_type", "instance_type", "phase", "ready", "managed"]],
  ["karpenter_pods_startup_duration_seconds", "summary", []],
  ["karpenter_pods_bound_duration_seconds", "histogram", []],
  // controllers/disruption/metrics.go
  ["karpenter_voluntary_disruption_decision_evaluation_duration_seconds", "histogram", ["reason", "consolidation_type"]],
  ["karpenter_voluntary_disruption_decisions_total", "counter", ["decision", "reason", "consolidation_type"]],
  ["karpenter_voluntary_disruption_decisions_by_nodepool_total", "counter", ["nodepool", "decision", "reason", "consolidation_type"]],
  ["karpenter_voluntary_disruption_eligible_nodes", "gauge", ["reason"]],
  ["karpenter_voluntary_disruption_failed_validations_total", "counter", ["consolidation_type"]],
  ["karpenter_voluntary_disruption_queue_failures_total", "counter", ["decision", "reason", "consolidation_type"]],
  ["karpenter_nodepools_allowed_disruptions", "gauge", ["nodepool", "reason"]],
  ["karpenter_nodepools_nodes_consuming_budgets", "gauge", ["nodepool", "reason"]],
  ["karpenter_consolidation_score", "histogram", ["decision", "nodepool", "policy"]],
  ["karpenter_consolidation_moves_total", "counter", ["decision", "nodepool", "policy"]],
  // controllers/provisioning/scheduling, controllers/state, cloudprovider/metrics, operator
  ["karpenter_scheduler_scheduling_duration_seconds", "histogram", ["controller"]],
  ["karpenter_scheduler_unschedulable_pods_count", "gauge", ["controller"]],
  ["karpenter_cluster_state_node_count", "gauge", []],
  ["karpenter_cluster_state_synced", "gauge", []],
  ["karpenter_cluster_state_unsynced_time_seconds", "gauge", []],
  ["karpenter_cloudprovider_errors_total", "counter", ["controller", "method", "provider", "error"]],
  ["karpenter_build_info", "gauge", ["version", "goversion", "goarch", "commit"]],
  // aws/karpenter-provider-aws pkg/controllers/interruption/metrics.go
  ["karpenter_interruption_received_messages_total", "counter", ["message_type"]],
  ["karpenter_interruption_deleted_messages_total", "counter", []],
  ["karpenter_interruption_message_queue_duration_seconds", "histogram", []],
  ["karpenter_scheduler_ignored_pods_count", "gauge", []],
  // aws/karpenter-provider-aws pkg/controllers/metrics, pkg/providers/instancetype/metrics.go
  ["karpenter_cloudprovider_instance_type_offering_available", "gauge", ["instance_type", "capacity_type", "zone"]],
  ["karpenter_cloudprovider_instance_type_offering_price_estimate", "gauge", ["instance_type", "capacity_type", "zone"]],
  ["karpenter_cloudprovider_instance_type_cpu_cores", "gauge", ["instance_type"]],
  ["karpenter_cloudprovider_instance_type_memory_bytes", "gauge", ["instance_type"]],
];

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
  });
});
