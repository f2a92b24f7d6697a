// Prometheus metrics under Karpenter's names and labels, so existing Karpenter dashboards and alerts work.
// One Registry per Metrics instance (not prom-client's global) so tests and restarts never collide.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

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
    help: "Number of nodeclaims terminated in total by Karpenter.",
    labelNames: ["nodepool", "capacity_type"] as const,
    registers: [this.registry],
  });
  readonly nodeClaimsDisrupted = new Counter({
    name: "karpenter_nodeclaims_disrupted_total",
    help: "Number of nodeclaims disrupted in total by Karpenter.",
    labelNames: ["nodepool", "reason", "capacity_type"] as const,
    registers: [this.registry],
  });
  readonly nodesCreated = new Counter({
    name: "karpenter_nodes_created_total",
    help: "Number of nodes created in total by Karpenter.",
    labelNames: ["nodepool"] as const,
    registers: [this.registry],
  });
  readonly nodesTerminated = new Counter({
    name: "karpenter_nodes_terminated_total",
    help: "Number of nodes terminated in total by Karpenter.",
    labelNames: ["nodepool"] as const,
    registers: [this.registry],
  });
  readonly nodesAllocatable = new Gauge({
    name: "karpenter_nodes_allocatable",
    help: "Node allocatable are the resources allocatable by nodes.",
    labelNames: ["node_name", "nodepool", "resource_type", "instance_type", "capacity_type", "zone"] as const,
    registers: [this.registry],
  });
  readonly nodesTotalPodRequests = new Gauge({
    name: "karpenter_nodes_total_pod_requests",
    help: "Node total pod requests are the resources requested by pods bound to nodes.",
    labelNames: ["node_name", "nodepool", "resource_type"] as const,
    registers: [this.registry],
  });
  readonly nodesTerminationDuration = new Histogram({
    name: "karpenter_nodes_termination_duration_seconds",
    help: "The time taken between a node's deletion request and the removal of its finalizer.",
    labelNames: ["nodepool"] as const,
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600],
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
  readonly podsState = new Gauge({
    name: "karpenter_pods_state",
    help: "Pod state is the current state of pods.",
    labelNames: ["name", "namespace", "node", "nodepool", "phase", "schedulable"] as const,
    registers: [this.registry],
  });
  readonly podsStartupDuration = new Histogram({
    name: "karpenter_pods_startup_duration_seconds",
    help: "The time from pod creation until the pod is running.",
    buckets: [1, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600],
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
  readonly workqueueDepth = new Gauge({
    name: "karpenter_workqueue_depth",
    help: "Current depth of the work queue.",
    labelNames: ["name"] as const,
    registers: [this.registry],
  });
  readonly workqueueRetries = new Counter({
    name: "karpenter_workqueue_retries_total",
    help: "Total number of retries handled by the work queue.",
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
  readonly disruptionEligibleNodes = new Gauge({
    name: "karpenter_voluntary_disruption_eligible_nodes",
    help: "Number of nodes eligible for disruption by Karpenter.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly disruptionDecisionEvaluationDuration = new Histogram({
    name: "karpenter_voluntary_disruption_decision_evaluation_duration_seconds",
    help: "Duration of the disruption decision evaluation process in seconds.",
    labelNames: ["method", "consolidation_type"] as const,
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
