// The periodic controllers Pepr does not provide: nodeclaim.garbagecollection (instances without a NodeClaim,
// NodeClaims without an instance), the metrics.node / metrics.pod gauges (every 5 s, as Karpenter) and the
// /metrics server (METRICS_PORT), and the SQS interruption poller (AWS, when INTERRUPTION_QUEUE is set).
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { CloudProvider } from "../cloudprovider/types";
import type { UnavailableOfferings } from "../cloudprovider/aws/unavailableOfferings";
import { startInterruptionController, type RunningInterruption } from "../cloudprovider/aws/interruption/controller";
import type { EngineDeps } from "../kube/deps";
import { garbageCollect } from "../lifecycle/garbageCollection";
import { serveMetrics } from "../metrics";
import { PodMetrics } from "../podMetrics";
import type { Settings } from "../settings";
import { collectStateMetrics } from "../stateMetrics";
import type { Controller } from "./controller";

export interface GarbageCollection extends Controller {
  /** One pass now (also runs on its timer). */
  run(): Promise<void>;
}

export function garbageCollection(
  deps: EngineDeps,
  o: { cloud: CloudProvider; settings: Settings },
): GarbageCollection {
  const log = deps.log.child({ controller: "nodeclaim.garbagecollection" });
  const run = async () => {
    try {
      await garbageCollect({ ...deps, cloud: o.cloud, log, gracePeriodMs: o.settings.gcGracePeriodMs });
    } catch (e) {
      log.error({ error: String((e as Error)?.message ?? e) }, "garbage collection failed");
    }
  };
  return { name: "nodeclaim.garbagecollection", run, every: { ms: o.settings.gcIntervalMs, run } };
}

export interface MetricsController extends Controller {
  /** Port the /metrics server listens on (undefined when METRICS_PORT=0 or it failed to start). */
  port(): number | undefined;
}

export function stateMetrics(deps: EngineDeps, settings: Settings): MetricsController {
  const { state, clock, metrics, log } = deps;
  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  const pods = new PodMetrics(metrics, state.podSchedulingTimes);
  return {
    name: "metrics",
    port: () => server?.port,
    onChange({ kind, key, phase, obj }) {
      if (kind !== "Pod") return;
      if (phase === "DELETED") pods.forget(key, obj.metadata.name, obj.metadata.namespace ?? "");
      else pods.observe(key, obj, clock.now());
    },
    every: {
      ms: 5_000,
      run: () => {
        const now = clock.now();
        for (const key of pods.waiting()) {
          const p = state.pods.get(key);
          if (p) pods.observe(key, p, now);
        }
        metrics.clusterStateNodeCount.set(state.nodes.size);
        collectStateMetrics(metrics, state, { now: clock.now(), podsStatePerPod: settings.metricsPodsStatePerPod });
      },
    },
    async start() {
      // Pods already there at start: as Karpenter's first reconcile of each (most are running: nothing to follow).
      const now = clock.now();
      for (const [key, p] of state.pods) pods.observe(key, p, now);
      if (settings.metricsPort <= 0) return;
      try {
        server = await serveMetrics(metrics.registry, settings.metricsPort, settings.metricsBindAddress);
      } catch (e) {
        log.error(
          { port: settings.metricsPort, error: String((e as Error)?.message ?? e) },
          "metrics server failed to start; set METRICS_PORT to a free port (0 disables it)",
        );
      }
    },
    stop: () => server?.close(),
  };
}

/** The SQS interruption poller (spot interruption, rebalance, AWS Health, state change); none without a queue. */
export function interruption(
  deps: EngineDeps,
  o: {
    queue?: string;
    sqs?: Pick<SQSClient, "send">;
    unavailableOfferings?: Pick<UnavailableOfferings, "markUnavailable">;
    /** Capacity-reservation availability: an interrupted reservation takes no launch until its next sync. */
    markReservationUnavailable?: (reservationID: string) => void;
    onDisrupted: () => void;
  },
): Controller[] {
  if (!o.queue) return [];
  if (!o.sqs) {
    deps.log.error(
      { queue: o.queue },
      "INTERRUPTION_QUEUE is set but the cloud provider has no SQS client; interruption handling is off",
    );
    return [];
  }
  const { queue, sqs, unavailableOfferings } = o;
  let running: RunningInterruption | undefined;
  return [
    {
      name: "interruption",
      start() {
        running = startInterruptionController(
          {
            ...deps,
            log: deps.log.child({ controller: "interruption" }),
            markUnavailable: unavailableOfferings
              ? (t, z, c, r) => unavailableOfferings.markUnavailable(t, z, c, r)
              : undefined,
            markReservationUnavailable: o.markReservationUnavailable,
            onDisrupted: o.onDisrupted,
          },
          sqs,
          queue,
        );
      },
      stop: () => running?.stop(),
    },
  ];
}
