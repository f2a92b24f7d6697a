// Prometheus metrics under Karpenter's names and labels, so existing Karpenter dashboards and alerts work.
// One Registry per Metrics instance (not prom-client's global) so tests and restarts never collide.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WellKnownLabels } from "./apis/labels";
import { Counter, Gauge, Histogram, Registry, Summary } from "prom-client";

/** Karpenter's DurationBuckets (pkg/metrics). */
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60, 120, 150, 300, 450, 600,
];

/**
 * Karpenter's node metric labels: every well-known label (karpenter.sh/nodepool → nodepool, ...instance-cpu →
 * instance_cpu) plus node_name, phase, managed.
 */
export const NODE_LABEL_KEYS: ReadonlyArray<[string, string]> = [...WellKnownLabels]
  .filter((k) => k.split("/").length === 2)
  .map((k) => [k, k.split("/")[1]!.toLowerCase().replace(/-/g, "_")] as [string, string])
  .filter(([, n], i, all) => all.findIndex(([, m]) => m === n) === i);
export const NODE_LABEL_NAMES: string[] = [...NODE_LABEL_KEYS.map(([, n]) => n), "node_name", "phase", "managed"];

function nodeGauge(registry: Registry, name: string, help: string): Gauge<string> {
  return new Gauge({ name, help, labelNames: [...NODE_LABEL_NAMES, "resource_type"], registers: [registry] });
}

export class Metrics {
  readonly registry = new Registry();

  readonly nodeClaimsCreated = new Counter({
    name: "karpenter_nodeclaims_created_total",
    help: "Number of nodeclaims created in total by Karpenter.",
    labelNames: ["nodepool", "reason", "min_values_relaxed"] as const,
    registers: [this.registry],
  });
  readonly nodeClaimsTerminated = new Counter({
    name: "karpenter_nodeclaims_terminated_total",
    help: "Number of nodeclaims terminated in total by Karpenter. Labeled by the owning nodepool, capacity type, and zone.",
    labelNames: ["nodepool", "capacity_type", "zone"] as const,
    registers: [this.registry],
  });
  readonly nodeClaimsDisrupted = new Counter({
    name: "karpenter_nodeclaims_disrupted_total",
    help: "Number of nodeclaims disrupted in total by Karpenter.",
    labelNames: ["nodepool", "reason", "capacity_type"] as const,
    registers: [this.registry],
  });
  /** Node repair (node.health): one per unhealthy NodeClaim deleted, by the condition that matched. */
  readonly nodeClaimsUnhealthyDisrupted = new Counter({
    name: "karpenter_nodeclaims_unhealthy_disrupted_total",
    help: "Number of unhealthy nodeclaims disrupted in total by Karpenter. Labeled by condition on the node was disrupted, the owning nodepool, and the image ID.",
    labelNames: ["condition", "nodepool", "capacity_type", "image_id"] as const,
    registers: [this.registry],
  });
  readonly nodesCreated = new Counter({
    name: "karpenter_nodes_created_total",
    help: "Number of nodes created in total by Karpenter. Labeled by owning nodepool and zone.",
    labelNames: ["nodepool", "zone"] as const,
    registers: [this.registry],
  });
  readonly nodesTerminated = new Counter({
    name: "karpenter_nodes_terminated_total",
    help: "Number of nodes terminated in total by Karpenter. Labeled by owning nodepool and zone.",
    labelNames: ["nodepool", "zone"] as const,
    registers: [this.registry],
  });
  readonly nodesAllocatable = nodeGauge(
    this.registry,
    "karpenter_nodes_allocatable",
    "Node allocatable are the resources allocatable by nodes.",
  );
  readonly nodesTotalPodRequests = nodeGauge(
    this.registry,
    "karpenter_nodes_total_pod_requests",
    "Node total pod requests are the resources requested by pods bound to nodes, including the DaemonSet pods.",
  );
  readonly nodesTotalPodLimits = nodeGauge(
    this.registry,
    "karpenter_nodes_total_pod_limits",
    "Node total pod limits are the resources specified by pod limits, including the DaemonSet pods.",
  );
  readonly nodesTotalDaemonRequests = nodeGauge(
    this.registry,
    "karpenter_nodes_total_daemon_requests",
    "Node total daemon requests are the resource requested by DaemonSet pods bound to nodes.",
  );
  readonly nodesTotalDaemonLimits = nodeGauge(
    this.registry,
    "karpenter_nodes_total_daemon_limits",
    "Node total daemon limits are the resources specified by DaemonSet pod limits.",
  );
  readonly nodesSystemOverhead = nodeGauge(
    this.registry,
    "karpenter_nodes_system_overhead",
    "Node system daemon overhead are the resources reserved for system overhead, the difference between the node's capacity and allocatable values are reported by the status.",
  );
  readonly nodesCurrentLifetime = new Gauge({
    name: "karpenter_nodes_current_lifetime_seconds",
    help: "Node age in seconds",
    labelNames: NODE_LABEL_NAMES,
    registers: [this.registry],
  });
  readonly clusterUtilization = new Gauge({
    name: "karpenter_cluster_utilization_percent",
    help: "Utilization of allocatable resources by pod requests",
    labelNames: ["resource_type"] as const,
    registers: [this.registry],
  });
  readonly buildInfo = new Gauge({
    name: "karpenter_build_info",
    help: "A metric with a constant '1' value labeled by version from which karpenter was built.",
    labelNames: ["version", "goversion", "goarch", "commit"] as const,
    registers: [this.registry],
  });
  /** A Summary, as Karpenter's (SummaryObjectives: quantiles 0, .5, .9, .99, 1). */
  readonly nodesTerminationDuration = new Summary({
    name: "karpenter_nodes_termination_duration_seconds",
    help: "The time taken between a node's deletion request and the removal of its finalizer",
    labelNames: ["nodepool"] as const,
    percentiles: [0, 0.5, 0.9, 0.99, 1],
    registers: [this.registry],
  });
  readonly nodesDrained = new Counter({
    name: "karpenter_nodes_drained_total",
    help: "The total number of nodes drained by Karpenter",
    labelNames: ["nodepool"] as const,
    registers: [this.registry],
  });
  readonly nodesLifetimeDuration = new Histogram({
    name: "karpenter_nodes_lifetime_duration_seconds",
    help: "The lifetime duration of the nodes since creation.",
    labelNames: ["nodepool"] as const,
    buckets: [
      ...[15, 30, 45].map((m) => m * 60),
      ...[1, 2, 4, 6, 8, 10, 12, 16, 20].map((h) => h * 3600),
      ...[1, 2, 3, 5, 10, 15, 20, 25, 30].map((d) => d * 86400),
    ],
    registers: [this.registry],
  });
  readonly nodeClaimsTerminationDuration = new Histogram({
    name: "karpenter_nodeclaims_termination_duration_seconds",
    help: "Duration of NodeClaim termination in seconds.",
    labelNames: ["nodepool"] as const,
    buckets: Array.from({ length: 12 }, (_, i) => 2 ** i),
    registers: [this.registry],
  });
  readonly nodeClaimsInstanceTerminationDuration = new Histogram({
    name: "karpenter_nodeclaims_instance_termination_duration_seconds",
    help: "Duration of CloudProvider Instance termination in seconds.",
    labelNames: ["nodepool"] as const,
    buckets: Array.from({ length: 11 }, (_, i) => 2 ** i),
    registers: [this.registry],
  });
  readonly podsEvictionRequests = new Counter({
    name: "karpenter_pods_eviction_requests_total",
    help: "The total number of pod eviction requests made by Karpenter, labeled by response code",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly podsDrained = new Counter({
    name: "karpenter_pods_drained_total",
    help: "The total number of pods drained during node termination by Karpenter, labeled by reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly nodePoolsUsage = new Gauge({
    name: "karpenter_nodepools_usage",
    help: "The amount of resources that have been provisioned for a nodepool.",
    labelNames: ["nodepool", "resource_type"] as const,
    registers: [this.registry],
  });
  readonly nodePoolsLimit = new Gauge({
    name: "karpenter_nodepools_limit",
    help: "Limits specified on the nodepool that restrict the quantity of resources provisioned.",
    labelNames: ["nodepool", "resource_type"] as const,
    registers: [this.registry],
  });
  /**
   * Karpenter's labels. Karpenter sets one series per pod; capsicum by default leaves `name` and `owner` empty
   * and counts the pods of each remaining label set (METRICS_PODS_STATE_PER_POD=true restores one per pod).
   */
  readonly podsState = new Gauge({
    name: "karpenter_pods_state",
    help: "Pod state is the current state of pods. This metric can be used several ways as it is labeled by the pod name, namespace, owner, node, nodepool name, zone, architecture, capacity type, instance type, pod phase, and pod readiness.",
    labelNames: [
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
    ] as const,
    registers: [this.registry],
  });
  /** A Summary without labels, as Karpenter's (quantiles 0, .5, .9, .99, 1). */
  readonly podsStartupDuration = new Summary({
    name: "karpenter_pods_startup_duration_seconds",
    help: "The time from pod creation until the pod is running.",
    percentiles: [0, 0.5, 0.9, 0.99, 1],
    registers: [this.registry],
  });
  readonly podsBoundDuration = new Histogram({
    name: "karpenter_pods_bound_duration_seconds",
    help: "The time from pod creation until the pod is bound.",
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly schedulingDuration = new Histogram({
    name: "karpenter_scheduler_scheduling_duration_seconds",
    help: "Duration of scheduling simulations used for deprovisioning and provisioning in seconds.",
    labelNames: ["controller"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  /** The name the brief asks for; Karpenter v0.3x exposed this one, v1 the scheduler_* one above. Both are kept. */
  readonly provisionerSchedulingDuration = new Histogram({
    name: "karpenter_provisioner_scheduling_duration_seconds",
    help: "Duration of the provisioning scheduling simulation in seconds.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly schedulerUnschedulablePods = new Gauge({
    name: "karpenter_scheduler_unschedulable_pods_count",
    help: "The number of unschedulable Pods.",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly schedulerQueueDepth = new Gauge({
    name: "karpenter_scheduler_queue_depth",
    help: "The number of pods waiting to be scheduled.",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly clusterStateSynced = new Gauge({
    name: "karpenter_cluster_state_synced",
    help: "Returns 1 if cluster state is synced and 0 otherwise.",
    registers: [this.registry],
  });
  readonly clusterStateUnsyncedTime = new Gauge({
    name: "karpenter_cluster_state_unsynced_time_seconds",
    help: "The time for which cluster state is not synced",
    registers: [this.registry],
  });
  readonly clusterStateNodeCount = new Gauge({
    name: "karpenter_cluster_state_node_count",
    help: "Current count of nodes in cluster state.",
    registers: [this.registry],
  });
  readonly cloudProviderErrors = new Counter({
    name: "karpenter_cloudprovider_errors_total",
    help: "Total number of errors returned from CloudProvider calls.",
    labelNames: ["controller", "method", "provider", "error"] as const,
    registers: [this.registry],
  });
  /** controller-runtime's workqueue metrics, which Karpenter exports under these names. */
  readonly workqueueDepth = new Gauge({
    name: "workqueue_depth",
    help: "Current depth of workqueue by workqueue and priority",
    labelNames: ["name"] as const,
    registers: [this.registry],
  });
  readonly workqueueRetries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of retries handled by workqueue",
    labelNames: ["name"] as const,
    registers: [this.registry],
  });
  readonly nodePoolsAllowedDisruptions = new Gauge({
    name: "karpenter_nodepools_allowed_disruptions",
    help: "The number of nodes for a given NodePool that can be concurrently disrupting at a point in time.",
    labelNames: ["nodepool", "reason"] as const,
    registers: [this.registry],
  });
  readonly disruptionDecisions = new Counter({
    name: "karpenter_voluntary_disruption_decisions_total",
    help: "Number of disruption decisions performed.",
    labelNames: ["decision", "reason", "consolidation_type"] as const,
    registers: [this.registry],
  });
  readonly disruptionDecisionsByNodePool = new Counter({
    name: "karpenter_voluntary_disruption_decisions_by_nodepool_total",
    help: "Number of disruption decisions performed by nodepool. Labeled by nodepool name, disruption decision, reason, and consolidation type.",
    labelNames: ["nodepool", "decision", "reason", "consolidation_type"] as const,
    registers: [this.registry],
  });
  readonly disruptionFailedValidations = new Counter({
    name: "karpenter_voluntary_disruption_failed_validations_total",
    help: "Number of candidates that were selected for disruption but failed validation. Labeled by consolidation type.",
    labelNames: ["consolidation_type"] as const,
    registers: [this.registry],
  });
  readonly disruptionQueueFailures = new Counter({
    name: "karpenter_voluntary_disruption_queue_failures_total",
    help: "The number of times that an enqueued disruption decision failed. Labeled by disruption method.",
    labelNames: ["decision", "reason", "consolidation_type"] as const,
    registers: [this.registry],
  });
  readonly nodePoolsNodesConsumingBudgets = new Gauge({
    name: "karpenter_nodepools_nodes_consuming_budgets",
    help: "The number of nodes consuming the budget of a nodepool at a point in time. Labeled by NodePool.",
    labelNames: ["nodepool", "reason"] as const,
    registers: [this.registry],
  });
  /** Balanced consolidation (Karpenter v1.14): every scored move of a Balanced pool. */
  readonly consolidationScore = new Histogram({
    name: "karpenter_consolidation_score",
    help: "Score of balanced consolidation moves. Labeled by decision, NodePool, and policy.",
    labelNames: ["decision", "nodepool", "policy"] as const,
    buckets: [0.1, 0.25, 0.33, 0.5, 1.0, 2.0, 5.0, 10.0],
    registers: [this.registry],
  });
  readonly consolidationMoves = new Counter({
    name: "karpenter_consolidation_moves_total",
    help: "Number of balanced consolidation moves. Labeled by decision, NodePool, and policy.",
    labelNames: ["decision", "nodepool", "policy"] as const,
    registers: [this.registry],
  });
  readonly disruptionEligibleNodes = new Gauge({
    name: "karpenter_voluntary_disruption_eligible_nodes",
    help: "Number of nodes eligible for disruption by Karpenter.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly disruptionDecisionEvaluationDuration = new Histogram({
    name: "karpenter_voluntary_disruption_decision_evaluation_duration_seconds",
    help: "Duration of the disruption decision evaluation process in seconds. Labeled by method and consolidation type.",
    labelNames: ["reason", "consolidation_type"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly interruptionReceivedMessages = new Counter({
    name: "karpenter_interruption_received_messages_total",
    help: "Count of messages received from the SQS queue.",
    labelNames: ["message_type"] as const,
    registers: [this.registry],
  });
  readonly interruptionDeletedMessages = new Counter({
    name: "karpenter_interruption_deleted_messages_total",
    help: "Count of messages deleted from the SQS queue.",
    registers: [this.registry],
  });
}

/** Serves `registry` at GET /metrics on `port` (0 = an ephemeral port, for tests). Resolves once listening. */
export async function serveMetrics(
  registry: Registry,
  port: number,
  host?: string,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found; metrics are served at /metrics\n");
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
      (err) => res.writeHead(500, { "content-type": "text/plain" }).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections?.();
      }),
  };
}
