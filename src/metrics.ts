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

type Make<M> = (registry: Registry) => M;
const counter =
  <const L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Make<Counter<L>> =>
  (registry) =>
    new Counter({ name, help, labelNames, registers: [registry] });
const gauge =
  <const L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Make<Gauge<L>> =>
  (registry) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
const histogram =
  <const L extends string = string>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[] = [],
  ): Make<Histogram<L>> =>
  (registry) =>
    new Histogram({ name, help, buckets, labelNames, registers: [registry] });
const summary =
  (name: string, help: string, percentiles: number[]): Make<Summary<string>> =>
  (registry) =>
    new Summary({ name, help, percentiles, registers: [registry] });
/** A per-node gauge with Karpenter's node labels (every well-known label, node_name, phase, managed) per resource. */
const nodeGauge = (name: string, help: string): Make<Gauge<string>> =>
  gauge<string>(name, help, [...NODE_LABEL_NAMES, "resource_type"]);

/** Every metric capsicum exports, in registration (and /metrics output) order. */
const METRICS = {
  nodeClaimsCreated: counter(
    "karpenter_nodeclaims_created_total",
    "Number of nodeclaims created in total by Karpenter.",
    ["nodepool", "reason", "min_values_relaxed"],
  ),
  nodeClaimsTerminated: counter(
    "karpenter_nodeclaims_terminated_total",
    "Number of nodeclaims terminated in total by Karpenter.",
    ["nodepool", "capacity_type"],
  ),
  nodeClaimsDisrupted: counter(
    "karpenter_nodeclaims_disrupted_total",
    "Number of nodeclaims disrupted in total by Karpenter.",
    ["nodepool", "reason", "capacity_type"],
  ),
  nodesCreated: counter("karpenter_nodes_created_total", "Number of nodes created in total by Karpenter.", [
    "nodepool",
  ]),
  nodesTerminated: counter("karpenter_nodes_terminated_total", "Number of nodes terminated in total by Karpenter.", [
    "nodepool",
  ]),
  nodesAllocatable: nodeGauge(
    "karpenter_nodes_allocatable",
    "Node allocatable are the resources allocatable by nodes.",
  ),
  nodesTotalPodRequests: nodeGauge(
    "karpenter_nodes_total_pod_requests",
    "Node total pod requests are the resources requested by pods bound to nodes, including the DaemonSet pods.",
  ),
  nodesTotalPodLimits: nodeGauge(
    "karpenter_nodes_total_pod_limits",
    "Node total pod limits are the resources specified by pod limits, including the DaemonSet pods.",
  ),
  nodesTotalDaemonRequests: nodeGauge(
    "karpenter_nodes_total_daemon_requests",
    "Node total daemon requests are the resource requested by DaemonSet pods bound to nodes.",
  ),
  nodesTotalDaemonLimits: nodeGauge(
    "karpenter_nodes_total_daemon_limits",
    "Node total daemon limits are the resources specified by DaemonSet pod limits.",
  ),
  nodesSystemOverhead: nodeGauge(
    "karpenter_nodes_system_overhead",
    "Node system daemon overhead are the resources reserved for system overhead, the difference between the node's capacity and allocatable values are reported by the status.",
  ),
  nodesCurrentLifetime: gauge("karpenter_nodes_current_lifetime_seconds", "Node age in seconds", NODE_LABEL_NAMES),
  clusterUtilization: gauge(
    "karpenter_cluster_utilization_percent",
    "Utilization of allocatable resources by pod requests",
    ["resource_type"],
  ),
  buildInfo: gauge(
    "karpenter_build_info",
    "A metric with a constant '1' value labeled by version from which karpenter was built.",
    ["version", "goversion", "goarch", "commit"],
  ),
  nodesTerminationDuration: histogram(
    "karpenter_nodes_termination_duration_seconds",
    "The time taken between a node's deletion request and the removal of its finalizer.",
    [1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600],
    ["nodepool"],
  ),
  nodePoolsUsage: gauge(
    "karpenter_nodepools_usage",
    "The amount of resources that have been provisioned for a nodepool.",
    ["nodepool", "resource_type"],
  ),
  nodePoolsLimit: gauge(
    "karpenter_nodepools_limit",
    "Limits specified on the nodepool that restrict the quantity of resources provisioned.",
    ["nodepool", "resource_type"],
  ),
  /**
   * Karpenter's labels. Karpenter sets one series per pod; capsicum by default leaves `name` and `owner` empty
   * and counts the pods of each remaining label set (METRICS_PODS_STATE_PER_POD=true restores one per pod).
   */
  podsState: gauge(
    "karpenter_pods_state",
    "Pod state is the current state of pods. This metric can be used several ways as it is labeled by the pod name, namespace, owner, node, nodepool name, zone, architecture, capacity type, instance type, pod phase, and pod readiness.",
    [
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
  ),
  /** A Summary without labels, as Karpenter's (quantiles 0, .5, .9, .99, 1). */
  podsStartupDuration: summary(
    "karpenter_pods_startup_duration_seconds",
    "The time from pod creation until the pod is running.",
    [0, 0.5, 0.9, 0.99, 1],
  ),
  podsBoundDuration: histogram(
    "karpenter_pods_bound_duration_seconds",
    "The time from pod creation until the pod is bound.",
    DURATION_BUCKETS,
  ),
  schedulingDuration: histogram(
    "karpenter_scheduler_scheduling_duration_seconds",
    "Duration of scheduling simulations used for deprovisioning and provisioning in seconds.",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ["controller"],
  ),
  /** The name the brief asks for; Karpenter v0.3x exposed this one, v1 the scheduler_* one above. Both are kept. */
  provisionerSchedulingDuration: histogram(
    "karpenter_provisioner_scheduling_duration_seconds",
    "Duration of the provisioning scheduling simulation in seconds.",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ),
  schedulerQueueDepth: gauge("karpenter_scheduler_queue_depth", "The number of pods waiting to be scheduled.", [
    "controller",
  ]),
  clusterStateSynced: gauge("karpenter_cluster_state_synced", "Returns 1 if cluster state is synced and 0 otherwise."),
  clusterStateUnsyncedTime: gauge(
    "karpenter_cluster_state_unsynced_time_seconds",
    "The time for which cluster state is not synced",
  ),
  clusterStateNodeCount: gauge("karpenter_cluster_state_node_count", "Current count of nodes in cluster state."),
  cloudProviderErrors: counter(
    "karpenter_cloudprovider_errors_total",
    "Total number of errors returned from CloudProvider calls.",
    ["controller", "method", "provider", "error"],
  ),
  /** controller-runtime's workqueue metrics, which Karpenter exports under these names. */
  workqueueDepth: gauge("workqueue_depth", "Current depth of workqueue by workqueue and priority", ["name"]),
  workqueueRetries: counter("workqueue_retries_total", "Total number of retries handled by workqueue", ["name"]),
  nodePoolsAllowedDisruptions: gauge(
    "karpenter_nodepools_allowed_disruptions",
    "The number of nodes for a given NodePool that can be concurrently disrupting at a point in time.",
    ["nodepool", "reason"],
  ),
  disruptionDecisions: counter(
    "karpenter_voluntary_disruption_decisions_total",
    "Number of disruption decisions performed.",
    ["decision", "reason", "consolidation_type"],
  ),
  disruptionEligibleNodes: gauge(
    "karpenter_voluntary_disruption_eligible_nodes",
    "Number of nodes eligible for disruption by Karpenter.",
    ["reason"],
  ),
  disruptionDecisionEvaluationDuration: histogram(
    "karpenter_voluntary_disruption_decision_evaluation_duration_seconds",
    "Duration of the disruption decision evaluation process in seconds.",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    ["method", "consolidation_type"],
  ),
  interruptionReceivedMessages: counter(
    "karpenter_interruption_received_messages_total",
    "Count of messages received from the SQS queue.",
    ["message_type"],
  ),
  interruptionDeletedMessages: counter(
    "karpenter_interruption_deleted_messages_total",
    "Count of messages deleted from the SQS queue.",
  ),
};

type MetricFields = { readonly [K in keyof typeof METRICS]: ReturnType<(typeof METRICS)[K]> };

class MetricsRegistry {
  readonly registry = new Registry();
  constructor() {
    for (const [field, make] of Object.entries(METRICS)) Object.assign(this, { [field]: make(this.registry) });
  }
}

/** One Registry with every metric of the table as a typed field (`metrics.nodeClaimsCreated.inc(...)`). */
export type Metrics = MetricsRegistry & MetricFields;
export const Metrics = MetricsRegistry as new () => Metrics;

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
