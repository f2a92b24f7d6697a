// Composition root, started once in the watcher process: builds the cluster state, rebuilds it from the
// apiserver before anything acts (so a restart never duplicates a NodeClaim), then registers the controllers in
// one flat list (Karpenter's NewControllers). Every watch event the state applies goes to each controller's
// onChange; each kicks its own first pass and declares its own periodic loop.
import type { SQSClient } from "@aws-sdk/client-sqs";
import { AwsCloudProvider } from "../cloudprovider/aws";
import { capacityBlockExpiration, capacityTypeSync } from "./capacityReservation";
import type { EC2NodeClassLike } from "../cloudprovider/aws";
import { withCloudProviderMetrics } from "../cloudprovider/metricsDecorator";
import type { CloudProvider } from "../cloudprovider/types";
import { Clock, realClock, TimerHandle } from "../kube/clock";
import { ClusterState, Phase, StateChange, StateKind } from "../kube/clusterState";
import { KindName, KubeClient, KubeObject, Kinds, isNotFound } from "../kube/client";
import { discoverKubeDNSIP } from "../kube/kubeDNS";
import type { EngineDeps } from "../kube/deps";
import { EventRecorder } from "../kube/events";
import { ApiKubeClient } from "../kube/apiClient";
import type { DisruptionRunner } from "../disruption/runner";
import type { Drainer } from "../lifecycle/finalize";
import { makeDrainer } from "../lifecycle/drainAdapter";
import { createLogger, Logger } from "../log";
import { Metrics } from "../metrics";
import type { Provisioner } from "../provisioning/provisioner";
import { schedule as defaultSchedule } from "../scheduling/scheduler";
import type { SchedulingInput, SchedulingResult } from "../scheduling/types";
import { Settings } from "../settings";
import type { Controller } from "./controller";
import { disruption as disruptionController } from "./disruption";
import { garbageCollection, interruption, stateMetrics } from "./housekeeping";
import { instanceStatus } from "./instanceStatus";
import { instanceTypeMetrics } from "./instanceTypeMetrics";
import { nodeClaimLifecycle } from "./nodeClaimLifecycle";
import { nodeHealth } from "./nodeHealth";
import { nodeClassStatus, nodeClassTermination } from "./nodeClass";
import { driftHashes, nodePoolCounter, staticNodePools } from "./nodePool";
import { nodeOverlays, provisioning as provisioningController } from "./provisioning";

export type { Controller } from "./controller";

export interface ControllerOverrides {
  client?: KubeClient;
  cloud?: CloudProvider;
  clock?: Clock;
  log?: Logger;
  metrics?: Metrics;
  drain?: Drainer;
  schedule?: (input: SchedulingInput) => SchedulingResult;
  random?: () => number;
  /** SQS client for the interruption queue (defaults to the AWS cloud provider's). */
  sqs?: Pick<SQSClient, "send">;
  /** Skip the initial LIST (tests that feed every object through onEvent) and mark the state synced. */
  skipInitialSync?: boolean;
  /**
   * The engine's own Pod watch (src/kube/podWatch.ts in the watcher): started before any controller acts and
   * resolving once its initial LIST is in the state, which then takes Pods from it instead of its own LIST.
   */
  podWatch?: (onEvent: (obj: KubeObject, phase: Phase) => void) => Promise<{ close(): void }>;
}

export interface Controllers {
  readonly state: ClusterState;
  readonly metrics: Metrics;
  readonly provisioner: Provisioner;
  readonly disruption: DisruptionRunner;
  readonly log: Logger;
  /** Port the /metrics server listens on (undefined when METRICS_PORT=0). */
  readonly metricsPort?: number;
  /** Feed one watch event (Pepr Watch callback). */
  onEvent(kind: KindName, obj: KubeObject, phase: Phase): void;
  /** Resolves when the queues are idle (tests and graceful shutdown). */
  settle(): Promise<void>;
  /** One disruption pass now (also runs every DISRUPTION_POLL_INTERVAL). */
  disrupt(): Promise<void>;
  /** One GC pass now (also runs on its timer). */
  gc(): Promise<void>;
  stop(): Promise<void>;
}

const CAPSICUM_VERSION: string = (() => {
  try {
    return (require("../../package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
})();

const SYNC_KINDS: StateKind[] = [
  "NodePool",
  "EC2NodeClass",
  "NodeClaim",
  "Node",
  "DaemonSet",
  "PodDisruptionBudget",
  "NodeOverlay",
  "PersistentVolumeClaim",
  "PersistentVolume",
  "StorageClass",
  "CSINode",
  "VolumeAttachment",
  "Namespace",
  "Pod",
];
const STORAGE_KINDS = new Set<StateKind>([
  "PersistentVolumeClaim",
  "PersistentVolume",
  "StorageClass",
  "CSINode",
  "VolumeAttachment",
]);

/** Rebuilds the state from the apiserver (a LIST per kind) before any controller acts. */
async function syncState(client: KubeClient, state: ClusterState, log: Logger, kinds = SYNC_KINDS): Promise<void> {
  for (const kind of kinds) {
    let objs: KubeObject[];
    try {
      objs = await client.list(Kinds[kind]);
    } catch (e) {
      if (STORAGE_KINDS.has(kind)) {
        // Storage objects refine placement (volume zones, attach limits, volume detach); without them (an older
        // ClusterRole) the rest still runs, and pods with claims are reported as such, never silently mis-placed.
        log.error(
          { kind, error: String((e as Error)?.message ?? e) },
          `cannot list ${Kinds[kind].plural}: volume topology, attach limits and the volume-detach wait need get/list/watch on it (the watcher's ClusterRole in dist/capsicum.yaml)`,
        );
        continue;
      }
      if (kind === "Namespace") {
        // Without them (an older ClusterRole) a namespaceSelector sees only kubernetes.io/metadata.name.
        log.error(
          { kind, error: String((e as Error)?.message ?? e) },
          "cannot list namespaces: pod (anti-)affinity namespaceSelectors match only the kubernetes.io/metadata.name label; the watcher's ClusterRole (dist/capsicum.yaml) needs get/list/watch on namespaces",
        );
        continue;
      }
      // A cluster with Karpenter's older CRDs has no NodeOverlay kind: nothing to apply, the rest still runs.
      if (kind !== "NodeOverlay" || !isNotFound(e)) throw e;
      log.error({}, "the NodeOverlay CRD (karpenter.sh/v1alpha1) is not installed; apply crds/ to use NodeOverlays");
      objs = [];
    }
    for (const obj of objs) state.apply(kind, obj, "ADDED");
  }
}

function awsCloudProvider(
  settings: Settings,
  state: ClusterState,
  log: Logger,
  metrics: Metrics,
  kubeDNSIP: string | undefined,
): AwsCloudProvider {
  return new AwsCloudProvider({
    clusterName: settings.clusterName,
    clusterEndpoint: settings.clusterEndpoint ?? "",
    clusterCABundle: settings.clusterCABundle,
    serviceCIDR: settings.clusterServiceCIDR,
    kubeDNSIP,
    region: settings.awsRegion,
    endpoint: process.env.AWS_ENDPOINT_URL,
    interruptionQueue: settings.interruptionQueue,
    nodeClassLookup: async (name) => state.nodeClasses.get(name) as unknown as EC2NodeClassLike | undefined,
    logger: log.child({ controller: "cloudprovider" }),
    reservedCapacity: settings.featureGates.ReservedCapacity ?? true,
    isolatedVpc: settings.isolatedVpc,
    disableDryRun: settings.disableDryRun,
    onUserDataBytes: userDataBytesRecorder(metrics),
    onLaunchFailure: (f) =>
      metrics.instanceLaunchFailures.inc({
        zone: f.zone,
        zone_id: f.zoneID,
        capacity_type: f.capacityType,
        reason: f.reason,
      }),
    onTerminationFailure: (i) => metrics.instanceTerminationFailures.inc({ zone: i.zone, zone_id: i.zoneID }),
  });
}

/** karpenter_ec2nodeclasses_userdata_bytes from the AWS provider's launch templates (undefined: the class is gone). */
export function userDataBytesRecorder(metrics: Metrics): (nodeclass: string, bytes: number | undefined) => void {
  return (nodeclass, bytes) =>
    bytes === undefined
      ? metrics.ec2NodeClassUserDataBytes.remove({ nodeclass })
      : metrics.ec2NodeClassUserDataBytes.set({ nodeclass }, bytes);
}

export async function startControllers(settings: Settings, o: ControllerOverrides = {}): Promise<Controllers> {
  const clock = o.clock ?? realClock;
  const log = o.log ?? createLogger({ level: settings.logLevel });
  const metrics = o.metrics ?? new Metrics();
  const client = o.client ?? new ApiKubeClient();
  const state = new ClusterState();
  const events = new EventRecorder(client, {
    clock,
    onError: (err) => log.debug({ error: String((err as Error)?.message ?? err) }, "failed to record event"),
  });
  const deps: EngineDeps = { client, state, clock, log, metrics, events };
  const cloud = o.cloud ?? awsCloudProvider(settings, state, log, metrics, await discoverKubeDNSIP(client, log));
  const aws = cloud instanceof AwsCloudProvider ? cloud : undefined;
  // Each controller calls the cloud through its own timing view (karpenter_cloudprovider_{duration_seconds,errors_total}).
  const cloudFor = (controller: string) => withCloudProviderMetrics(cloud, metrics, controller);
  const drain =
    o.drain ?? makeDrainer({ client, state, metrics, events, log: log.child({ controller: "node.termination" }) });
  const schedule = o.schedule ?? defaultSchedule;

  // Changes seen after the initial sync but before every controller has started are handed over once they have
  // (as Pepr's events were, which waited for the start): a controller's first pass may already have run.
  let deliver: ((change: StateChange) => void) | undefined;
  const early: StateChange[] = [];
  function onEvent(kind: KindName, obj: KubeObject, phase: Phase): void {
    if (kind === "Event" || !obj?.metadata?.name) return;
    const change = state.apply(kind, obj, phase);
    if (!change || !state.isSynced) return;
    if (deliver) deliver(change);
    else early.push(change);
  }

  if (!o.skipInitialSync)
    await syncState(client, state, log, o.podWatch ? SYNC_KINDS.filter((k) => k !== "Pod") : SYNC_KINDS);
  const podWatch = o.podWatch ? await o.podWatch((obj, phase) => onEvent("Pod", obj, phase)) : undefined;
  state.markSynced();
  metrics.clusterStateSynced.set(1);
  metrics.clusterStateUnsyncedTime.set(0);
  metrics.buildInfo.set({ version: CAPSICUM_VERSION, goversion: "", goarch: process.arch, commit: "" }, 1);

  // Every controller sees a NodePool's catalog with the NodeOverlays in force applied (provisioning, static pools,
  // disruption pricing and replacements, NodePool status), exactly as `capsicum plan` does.
  const overlays = nodeOverlays(deps, {
    cloud: cloudFor("provisioner"),
    settings,
    onChanged: () => {
      if (state.pendingCount()) provision.trigger();
      // Overlays change the catalog each pool can launch from: its Ready condition is recomputed over it.
      counter.addAll();
    },
  });
  const instanceTypes = overlays.instanceTypes;
  const provision = provisioningController(deps, { settings, instanceTypes, schedule, random: o.random });
  const lifecycle = nodeClaimLifecycle(deps, {
    cloud: cloudFor("nodeclaim.lifecycle"),
    drain,
    settings,
    overlays: () => overlays.overlays,
    random: o.random,
  });
  const disrupt = disruptionController(deps, {
    cloud: cloudFor("disruption"),
    settings,
    provisioner: provision.provisioner,
    instanceTypes,
    schedule,
  });
  const counter = nodePoolCounter(deps, instanceTypes, settings.nodeClassRefreshMs);
  const gc = garbageCollection(deps, { cloud: cloudFor("nodeclaim.garbagecollection"), settings });
  const metricsController = stateMetrics(deps, settings);
  const instanceTypeMetricsController = instanceTypeMetrics(deps, instanceTypes);
  // In start order: overlays first (the first provisioning pass prices as the previous process did), the metrics
  // server last.
  const controllers: Controller[] = [
    overlays,
    lifecycle,
    counter,
    staticNodePools(deps, { instanceTypes, settings, random: o.random, onCreated: (n) => lifecycle.add(n) }),
    nodeClassStatus(deps, {
      cloud: cloudFor("nodeclass.status"),
      refreshMs: settings.nodeClassRefreshMs,
      onReady: () => provision.trigger(),
    }),
    nodeClassTermination(deps, cloud),
    driftHashes(deps, cloud),
    ...nodeHealth(deps, { cloud, settings }),
    provision,
    disrupt,
    gc,
    instanceTypeMetricsController,
    ...interruption(deps, {
      queue: settings.interruptionQueue,
      sqs: o.sqs ?? aws?.clients.sqs,
      unavailableOfferings: aws?.unavailableOfferings,
      markReservationUnavailable: aws?.reservedCapacity
        ? (id) => aws.capacityReservations.markUnavailable(id)
        : undefined,
      onDisrupted: () => provision.trigger(),
    }),
    ...instanceStatus(deps, { ec2: aws?.clients.ec2, onDisrupted: () => provision.trigger() }),
    ...(aws?.reservedCapacity
      ? [
          capacityTypeSync(deps, { list: () => aws.list() }),
          capacityBlockExpiration(deps, { reservations: aws.capacityReservations }),
        ]
      : []),
    metricsController,
  ];

  try {
    for (const c of controllers) await c.start?.();
  } catch (e) {
    podWatch?.close(); // the caller retries the whole start, with a new watch
    throw e;
  }
  deliver = (change) => {
    for (const c of controllers) c.onChange?.(change);
  };
  for (const change of early.splice(0)) deliver(change);

  const timers = new Map<string, TimerHandle | undefined>();
  let stopped = false;
  for (const c of controllers) {
    if (!c.every) continue;
    const { ms, run } = c.every;
    const tick = () => {
      if (stopped) return;
      void Promise.resolve(run()).finally(() => {
        if (!stopped) timers.set(c.name, clock.setTimeout(tick, ms));
      });
    };
    timers.set(c.name, clock.setTimeout(tick, ms));
  }

  log.info(
    { "cluster-name": settings.clusterName, counts: state.counts(), "metrics-port": metricsController.port() },
    "capsicum controllers started",
  );

  return {
    state,
    metrics,
    provisioner: provision.provisioner,
    disruption: disrupt.runner,
    log,
    metricsPort: metricsController.port(),
    onEvent,
    gc: gc.run,
    disrupt: () => disrupt.runner.tick(),
    async settle() {
      for (let i = 0; i < 20; i++) {
        await Promise.all(controllers.map((c) => c.whenIdle?.()));
        if (controllers.reduce((n, c) => n + (c.pending?.() ?? 0), 0) === 0) return;
      }
    },
    async stop() {
      stopped = true;
      podWatch?.close();
      for (const t of timers.values()) clock.clearTimeout(t);
      await Promise.all(controllers.map((c) => c.stop?.()));
    },
  };
}
