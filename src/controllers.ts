// Composition root, started once in the watcher process: builds the cluster state, rebuilds it from the
// apiserver before anything acts (so a restart never duplicates a NodeClaim), then wires watch events to work
// queues (NodeClaim lifecycle, NodePool counter, static NodePool replicas, EC2NodeClass status), the provisioning batcher, and the
// periodic loops Pepr does not provide (GC, NodeClass refresh, liveness/expiry requeues), the disruption loop,
// the SQS interruption poller (when INTERRUPTION_QUEUE is set) and the /metrics server (METRICS_PORT).
import { isTerminal } from "./apis/pods";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { AwsCloudProvider } from "./cloudprovider/aws";
import type { EC2NodeClassLike } from "./cloudprovider/aws";
import { loadCatalog } from "./cloudprovider/aws/catalog";
import { PRICE_FALLBACK_EVENT, PRICES_CONDITION } from "./cloudprovider/aws/pricing";
import type { InstanceType } from "./cloudprovider/types";
import type { CloudProvider } from "./cloudprovider/types";
import type { NodePool } from "./apis/generated/nodepools";
import { Clock, realClock, TimerHandle } from "./kube/clock";
import { ClusterState, Phase, StateKind, isProvisionable } from "./kube/clusterState";
import { KindName, KubeClient, KubeObject, Kinds, isNotFound } from "./kube/client";
import { EventRecorder } from "./kube/events";
import { KfcKubeClient } from "./kube/kfcClient";
import { WorkQueue } from "./kube/workqueue";
import { DisruptionRunner } from "./disruption/runner";
import { reconcileNodeClassHash, reconcileNodePoolHash } from "./disruption/hashController";
import { reconcileNodeClassTermination } from "./lifecycle/nodeClassTermination";
import { startInterruptionController, type RunningInterruption } from "./cloudprovider/aws/interruption/controller";
import { Drainer } from "./lifecycle/finalize";
import { makeDrainer } from "./lifecycle/drainAdapter";
import { garbageCollect } from "./lifecycle/garbageCollection";
import { LifecycleDeps, reconcileNodeClaim } from "./lifecycle/nodeClaimLifecycle";
import { createLogger, Logger } from "./log";
import { Metrics, serveMetrics } from "./metrics";
import { collectStateMetrics } from "./stateMetrics";
import { Batcher } from "./provisioning/batcher";
import { updateNodePoolStatus } from "./provisioning/nodePoolCounter";
import { NodeOverlayController } from "./provisioning/nodeOverlays";
import { deletingNodePods, Provisioner } from "./provisioning/provisioner";
import { validateNodeClass } from "./provisioning/nodeClassValidation";
import { isStaticNodePool, reconcileStaticNodePool } from "./provisioning/staticProvisioner";
import { schedule as defaultSchedule } from "./scheduling/scheduler";
import type { SchedulingInput, SchedulingResult } from "./scheduling/types";
import { Settings } from "./settings";

/** Cloud provider plus the AWS extras the controllers use when present (NodeClass status, per-class catalog). */
export type ControllerCloud = CloudProvider & {
  resolveNodeClass?: (nc: EC2NodeClassLike) => Promise<{ status: unknown; ready: boolean; message: string }>;
  getInstanceTypes?: (nodeClass?: EC2NodeClassLike) => Promise<InstanceType[]>;
  /** ICE cache: interrupted spot offerings are marked here. */
  unavailableOfferings?: {
    markUnavailable(instanceType: string, zone: string, capacityType: string, reason: string): void;
  };
  /** Cleanup of what capsicum created for a deleted EC2NodeClass (instance profile, launch templates). */
  finalizeNodeClass?: (nc: EC2NodeClassLike) => Promise<unknown>;
  /** Karpenter's EC2NodeClass hash annotations (hash + version) for a class; the nodeclass.hash controller writes them. */
  nodeClassHashAnnotations?: (nc: EC2NodeClassLike) => Record<string, string>;
  /** AWS clients; `sqs` polls the interruption queue. */
  clients?: { sqs?: Pick<SQSClient, "send"> };
};

export interface ControllerOverrides {
  client?: KubeClient;
  cloud?: ControllerCloud;
  clock?: Clock;
  log?: Logger;
  metrics?: Metrics;
  drain?: Drainer;
  schedule?: (input: SchedulingInput) => SchedulingResult;
  random?: () => number;
  /** SQS client for the interruption queue (defaults to the cloud provider's). */
  sqs?: Pick<SQSClient, "send">;
  /** Skip the initial LIST (tests that feed every object through onEvent) and mark the state synced. */
  skipInitialSync?: boolean;
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
    return (require("../package.json") as { version: string }).version; // eslint-disable-line @typescript-eslint/no-require-imports
  } catch {
    return "unknown";
  }
})();

/** Cadence of the provisioning re-plan while pods wait (unschedulable, or on a draining node). */
const PROVISIONING_RETRY_MS = 10_000;

const SYNC_KINDS: StateKind[] = [
  "NodePool",
  "EC2NodeClass",
  "NodeClaim",
  "Node",
  "DaemonSet",
  "PodDisruptionBudget",
  "NodeOverlay",
  "Pod",
];

export async function startControllers(settings: Settings, o: ControllerOverrides = {}): Promise<Controllers> {
  const clock = o.clock ?? realClock;
  const log = o.log ?? createLogger({ level: settings.logLevel });
  const metrics = o.metrics ?? new Metrics();
  const client = o.client ?? new KfcKubeClient();
  const state = new ClusterState();
  const events = new EventRecorder(client, {
    clock,
    onError: (err) => log.debug({ error: String((err as Error)?.message ?? err) }, "failed to record event"),
  });
  const cloud: ControllerCloud =
    o.cloud ??
    new AwsCloudProvider({
      clusterName: settings.clusterName,
      clusterEndpoint: settings.clusterEndpoint ?? "",
      clusterCABundle: settings.clusterCABundle,
      serviceCIDR: settings.clusterServiceCIDR,
      region: settings.awsRegion,
      endpoint: process.env.AWS_ENDPOINT_URL,
      interruptionQueue: settings.interruptionQueue,
      nodeClassLookup: async (name) => state.nodeClasses.get(name) as unknown as EC2NodeClassLike | undefined,
      logger: log.child({ controller: "cloudprovider" }),
    });
  const drain = o.drain ?? makeDrainer({ client, state, log: log.child({ controller: "node.termination" }) });

  // 1. Rebuild the state from the apiserver before any controller acts.
  if (!o.skipInitialSync) {
    for (const kind of SYNC_KINDS) {
      let objs: KubeObject[];
      try {
        objs = await client.list(Kinds[kind]);
      } catch (e) {
        // A cluster with Karpenter's older CRDs has no NodeOverlay kind: nothing to apply, the rest still runs.
        if (kind !== "NodeOverlay" || !isNotFound(e)) throw e;
        log.error({}, "the NodeOverlay CRD (karpenter.sh/v1alpha1) is not installed; apply crds/ to use NodeOverlays");
        objs = [];
      }
      for (const obj of objs) state.apply(kind, obj, "ADDED");
    }
  }
  state.markSynced();
  metrics.clusterStateSynced.set(1);
  metrics.clusterStateUnsyncedTime.set(0);
  metrics.buildInfo.set({ version: CAPSICUM_VERSION, goversion: "", goarch: process.arch, commit: "" }, 1);

  const lifecycleDeps: LifecycleDeps = {
    client,
    state,
    cloud,
    clock,
    metrics,
    events,
    drain,
    registrationTtlMs: settings.registrationTtlMs,
    overlayCapacity: (pool, type) => overlays.evaluation?.capacityFor(pool, type),
    random: o.random,
    log: log.child({ controller: "nodeclaim.lifecycle" }),
  };
  const queueLog = (name: string) => (key: string, err: unknown, attempt: number, retryInMs: number) =>
    log.error(
      { controller: name, key, attempt, "retry-in-ms": retryInMs, error: String((err as Error)?.message ?? err) },
      "reconciler error",
    );

  const lifecycle = new WorkQueue((key) => reconcileNodeClaim(lifecycleDeps, key), {
    name: "nodeclaim.lifecycle",
    concurrency: settings.reconcileConcurrency,
    clock,
    baseDelayMs: 1000,
    maxDelayMs: 60_000,
    onError: queueLog("nodeclaim.lifecycle"),
    onRetry: () => metrics.workqueueRetries.inc({ name: "nodeclaim.lifecycle" }),
    onDepth: (d) => metrics.workqueueDepth.set({ name: "nodeclaim.lifecycle" }, d),
  });
  const counter = new WorkQueue(
    async (key) => {
      await updateNodePoolStatus(
        {
          client,
          state,
          metrics,
          now: () => clock.now(),
          instanceTypes: (np) => instanceTypes(np as unknown as NodePool) as Promise<never>,
        },
        key,
      );
    },
    {
      name: "nodepool.counter",
      concurrency: 2,
      clock,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      onError: queueLog("nodepool.counter"),
    },
  );
  const nodeClasses = new WorkQueue(async (key) => reconcileNodeClass(key), {
    name: "nodeclass.status",
    concurrency: 2,
    clock,
    baseDelayMs: 5000,
    maxDelayMs: 300_000,
    onError: queueLog("nodeclass.status"),
  });

  // nodepool.hash / nodeclass.hash: Karpenter's drift-hash annotations on NodePools, EC2NodeClasses and NodeClaims.
  const hashDeps = { client, state, log: log.child({ controller: "nodepool.hash" }) };
  const hashes = new WorkQueue(
    async (key) => {
      const [kind, name] = key.split("/", 2) as [string, string];
      if (kind === "NodePool") await reconcileNodePoolHash(hashDeps, name);
      else if (cloud.nodeClassHashAnnotations)
        await reconcileNodeClassHash(hashDeps, name, (nc) =>
          cloud.nodeClassHashAnnotations!(nc as unknown as EC2NodeClassLike),
        );
    },
    {
      name: "hash",
      concurrency: 2,
      clock,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      onError: queueLog("hash"),
    },
  );

  // EC2NodeClass finalizer (karpenter.k8s.aws/termination): waits for its NodeClaims, then cleans up in the cloud.
  const ncTermDeps = {
    client,
    state,
    events,
    log: log.child({ controller: "nodeclass.termination" }),
    finalize: cloud.finalizeNodeClass
      ? (nc: KubeObject) => cloud.finalizeNodeClass!(nc as unknown as EC2NodeClassLike)
      : undefined,
  };
  const nodeClassTermination = new WorkQueue(
    async (key) => {
      const after = await reconcileNodeClassTermination(ncTermDeps, key);
      return after === undefined ? undefined : { requeueAfterMs: after };
    },
    {
      name: "nodeclass.termination",
      concurrency: 2,
      clock,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      onError: queueLog("nodeclass.termination"),
    },
  );

  // A cloud without getInstanceTypes gets the embedded catalog: loaded once, so the scheduler's per-catalog
  // caches (compatible types, prices, domains) carry over from one provisioning pass to the next.
  let embedded: InstanceType[] | undefined;
  const baseInstanceTypes = async (np: NodePool): Promise<InstanceType[]> => {
    const ncl = state.nodeClasses.get(np.spec.template.spec.nodeClassRef.name) as unknown as
      | EC2NodeClassLike
      | undefined;
    if (!cloud.getInstanceTypes) return (embedded ??= loadCatalog({ region: settings.awsRegion }));
    // A NodePool whose EC2NodeClass does not exist can launch nothing (its NodeClassReady condition says why).
    return ncl ? cloud.getInstanceTypes(ncl) : [];
  };
  // Every controller sees a NodePool's catalog with the NodeOverlays in force applied (provisioning, static pools,
  // disruption pricing and replacements, NodePool status), exactly as `capsicum plan` does.
  const overlays = new NodeOverlayController({
    client,
    state,
    log: log.child({ controller: "nodeoverlay" }),
    now: () => clock.now(),
    enabled: settings.featureGates.NodeOverlay ?? false,
    baseCatalog: baseInstanceTypes,
  });
  const instanceTypes = (np: NodePool): Promise<InstanceType[]> => overlays.catalog(np);
  const overlayQueue = new WorkQueue(
    async () => {
      const before = overlays.evaluation;
      await overlays.reconcile();
      if (overlays.evaluation === before) return;
      if (state.pendingPods().length) batcher.trigger();
      // Overlays change the catalog each pool can launch from: its Ready condition is recomputed over it.
      for (const name of state.nodePools.keys()) counter.add(name);
    },
    {
      name: "nodeoverlay",
      concurrency: 1,
      clock,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      onError: queueLog("nodeoverlay"),
    },
  );
  const provisioner = new Provisioner({
    client,
    state,
    clock,
    metrics,
    events,
    instanceTypes,
    schedule: o.schedule ?? defaultSchedule,
    random: o.random,
    // Outlives the periodic re-plan below (10 s + a batch window), as Karpenter's 2 x BATCH_MAX_DURATION window
    // outlives its provisioner loop: capacity waiting for a PDB-blocked drain's pods stays nominated throughout.
    nominationWindowMs: PROVISIONING_RETRY_MS + 2 * settings.batchMaxMs,
    log: log.child({ controller: "provisioner" }),
  });
  const disruption = new DisruptionRunner({
    client,
    state,
    clock,
    metrics,
    events,
    cloud,
    instanceTypes,
    schedule: o.schedule ?? defaultSchedule,
    // The provisioner's view of NodePools/instance types/daemonsets; the runner supplies pods and nodes.
    schedulingBase: async () => (await provisioner.schedulingInput([])).input,
    validationDelayMs: settings.consolidationValidationDelayMs,
    settings: { spotToSpotConsolidation: settings.featureGates.SpotToSpotConsolidation ?? false },
    log: log.child({ controller: "disruption" }),
  });
  // After a restart nothing is known about recent pod events: count the start as one (never consolidate early).
  for (const name of state.nodes.keys()) disruption.recordPodEvent(name);
  // Static NodePools (spec.replicas): one pass per pool at a time keeps the count without duplicates.
  const staticLog = log.child({ controller: "static.provisioning" });
  const staticPools = new WorkQueue(
    async (key) => {
      await reconcileStaticNodePool(
        {
          client,
          state,
          log: staticLog,
          metrics,
          events,
          instanceTypes,
          random: o.random,
          enabled: settings.featureGates.StaticCapacity ?? false,
          onCreated: (n) => lifecycle.add(n),
        },
        key,
      );
    },
    {
      name: "nodepool.static",
      concurrency: 1,
      clock,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      onError: queueLog("nodepool.static"),
    },
  );
  const enqueueStatic = (pool: string | undefined) => {
    if (pool && isStaticNodePool(state.nodePools.get(pool) as never)) staticPools.add(pool);
  };
  let provisioning: Promise<unknown> = Promise.resolve();
  let retryTimer: TimerHandle | undefined;
  const batcher = new Batcher(
    () => {
      provisioning = provisioner
        .provision()
        .then((res) => {
          // Pods we could not place are retried periodically (limits raised, NodeClass became ready, ICE expired);
          // pods of draining nodes are re-planned too, which keeps their capacity nominated until they move.
          if (res.unschedulable.length || res.skipped || res.deletingNodePods) {
            clock.clearTimeout(retryTimer);
            retryTimer = clock.setTimeout(() => {
              if (state.pendingPods().length || deletingNodePods(state).length) batcher.trigger();
            }, PROVISIONING_RETRY_MS);
          }
        })
        .catch((err) => log.error({ error: String(err?.message ?? err) }, "provisioning failed"));
    },
    { idleMs: settings.batchIdleMs, maxMs: settings.batchMaxMs, clock },
  );

  // A price fallback (PricesResolved=False) is said once per process and node class: a Warning Event on the
  // EC2NodeClass, next to the condition (kubectl describe shows both) and the provider's warn log.
  const priceFallbackAnnounced = new Set<string>();
  function announcePriceFallback(ncl: KubeObject, status: unknown): void {
    const c = (
      (status as { conditions?: Array<{ type: string; status: string; message?: string }> })?.conditions ?? []
    ).find((x) => x.type === PRICES_CONDITION);
    const name = ncl.metadata.name!;
    if (c?.status !== "False") {
      priceFallbackAnnounced.delete(name);
      return;
    }
    if (priceFallbackAnnounced.has(name)) return;
    priceFallbackAnnounced.add(name);
    log.warn({ EC2NodeClass: { name }, message: c.message }, "using fallback on-demand prices");
    events.publish({
      involved: { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", name, uid: ncl.metadata.uid },
      type: "Warning",
      reason: PRICE_FALLBACK_EVENT,
      message: `EC2NodeClass ${name}: ${c.message ?? "on-demand prices are a fallback"}`,
    });
  }

  async function reconcileNodeClass(name: string): Promise<void> {
    const ncl = state.nodeClasses.get(name);
    if (!ncl || ncl.metadata.deletionTimestamp || !cloud.resolveNodeClass) return;
    let res = await cloud.resolveNodeClass(ncl as unknown as EC2NodeClassLike);
    if (cloud.getInstanceTypes)
      res = await validateNodeClass(res, ncl, () => cloud.getInstanceTypes!(ncl as never), clock.now());
    announcePriceFallback(ncl, res.status);
    if (JSON.stringify(res.status) === JSON.stringify(ncl.status ?? {})) return;
    try {
      const out = await client.patchStatus<KubeObject>(Kinds.EC2NodeClass, name, res.status);
      const wasReady = (ncl.status?.conditions ?? []).some(
        (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True",
      );
      state.apply("EC2NodeClass", out, "MODIFIED");
      if (res.ready && !wasReady && state.pendingPods().length) batcher.trigger();
      if (!res.ready) {
        log.error({ EC2NodeClass: { name }, message: res.message }, "ec2nodeclass not ready");
        events.publish({
          involved: { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", name, uid: ncl.metadata.uid },
          type: "Warning",
          reason: "NodeClassNotReady",
          message: `EC2NodeClass ${name} is not ready: ${res.message}`,
        });
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  // 2. Route watch events.
  function onEvent(kind: KindName, obj: KubeObject, phase: Phase): void {
    if (kind === "Event" || !obj?.metadata?.name) return;
    const change = state.apply(kind, obj, phase);
    if (!change) return;
    const cur = change.obj;
    switch (kind) {
      case "Pod": {
        if (phase !== "DELETED" && isProvisionable(cur)) batcher.trigger();
        if (phase !== "DELETED") observePodTimes(metrics, cur, change.previous, clock.now());
        // consolidateAfter counts from the last pod bound to / removed from a node (Karpenter's lastPodEventTime).
        const node = cur.spec?.nodeName as string | undefined;
        const prevNode = change.previous?.spec?.nodeName as string | undefined;
        if (phase === "DELETED" && prevNode) disruption.recordPodEvent(prevNode);
        else if (
          node &&
          (node !== prevNode ||
            (cur.metadata.deletionTimestamp && !change.previous?.metadata.deletionTimestamp) ||
            (isTerminal(cur) && !isTerminal(change.previous)))
        )
          disruption.recordPodEvent(node);
        break;
      }
      case "Node": {
        if (phase === "DELETED") disruption.forgetNode(change.key);
        const nc = state.nodeClaimForNode(cur) ?? state.nodeClaimForNode(change.previous ?? cur);
        if (nc) lifecycle.add(nc.metadata.name!);
        break;
      }
      case "NodeClaim": {
        if (phase !== "DELETED") lifecycle.add(change.key);
        const pool = cur.metadata.labels?.["karpenter.sh/nodepool"];
        if (pool) counter.add(pool);
        if (phase === "DELETED" || (cur.metadata.deletionTimestamp && !change.previous?.metadata.deletionTimestamp))
          enqueueStatic(pool);
        if (phase === "DELETED" && state.pendingPods().length) batcher.trigger();
        // Its EC2NodeClass may be waiting for the last NodeClaim to go.
        if (phase === "DELETED") {
          const cls = (change.previous ?? cur).spec?.nodeClassRef?.name as string | undefined;
          if (cls && state.nodeClasses.get(cls)?.metadata.deletionTimestamp) nodeClassTermination.add(cls);
        }
        // A NodeClaim started deleting: provision for its pods now, before the drain evicts them (pre-spin).
        if (phase !== "DELETED" && cur.metadata.deletionTimestamp && !change.previous?.metadata.deletionTimestamp)
          batcher.trigger();
        break;
      }
      case "NodePool":
        overlayQueue.add("all");
        if (phase !== "DELETED") hashes.add(`NodePool/${change.key}`);
        if (phase !== "DELETED") counter.add(change.key);
        if (phase !== "DELETED") enqueueStatic(change.key);
        if (state.pendingPods().length) batcher.trigger();
        break;
      case "NodeOverlay":
        overlayQueue.add("all");
        break;
      case "EC2NodeClass":
        overlayQueue.add("all");
        if (phase !== "DELETED") hashes.add(`EC2NodeClass/${change.key}`);
        if (phase !== "DELETED") nodeClassTermination.add(change.key);
        if (
          phase !== "DELETED" &&
          (phase === "ADDED" || cur.metadata.generation !== change.previous?.metadata.generation)
        )
          nodeClasses.add(change.key);
        // NodePools mirror their node class's readiness (NodeClassReady → Ready).
        for (const [name, np] of state.nodePools)
          if (np.spec.template.spec.nodeClassRef?.name === change.key) counter.add(name);
        break;
      default:
        break;
    }
  }

  // 3. Kick everything once, then the periodic loops. Overlays are evaluated first: the first provisioning pass
  // after a restart must price as the previous process did.
  try {
    await overlays.reconcile();
  } catch (e) {
    log.error({ error: String((e as Error)?.message ?? e) }, "nodeoverlay evaluation failed; retrying");
    overlayQueue.add("all");
  }
  for (const name of state.nodeClaims.keys()) lifecycle.add(name);
  for (const name of state.nodePools.keys()) {
    counter.add(name);
    enqueueStatic(name);
  }
  for (const name of state.nodeClasses.keys()) {
    nodeClasses.add(name);
    nodeClassTermination.add(name);
    hashes.add(`EC2NodeClass/${name}`);
  }
  for (const name of state.nodePools.keys()) hashes.add(`NodePool/${name}`);
  if (state.pendingPods().length) batcher.trigger();

  const gcLog = log.child({ controller: "nodeclaim.garbagecollection" });
  const gc = async () => {
    try {
      await garbageCollect({
        client,
        state,
        cloud,
        clock,
        metrics,
        log: gcLog,
        gracePeriodMs: settings.gcGracePeriodMs,
      });
    } catch (e) {
      gcLog.error({ error: String((e as Error)?.message ?? e) }, "garbage collection failed");
    }
  };
  const timers: Record<string, TimerHandle | undefined> = {};
  let stopped = false;
  const every = (name: string, ms: number, fn: () => Promise<void> | void) => {
    const tick = () => {
      if (stopped) return;
      void Promise.resolve(fn()).finally(() => {
        if (!stopped) timers[name] = clock.setTimeout(tick, ms);
      });
    };
    timers[name] = clock.setTimeout(tick, ms);
  };
  every("gc", settings.gcIntervalMs, gc);
  every("disruption", settings.disruptionPollMs, () => disruption.tick());
  every("nodeclass", settings.nodeClassRefreshMs, () => {
    for (const n of state.nodeClasses.keys()) nodeClasses.add(n);
    overlayQueue.add("all"); // offerings change (spot prices, availability): re-check conflicts
    // ...and what each pool can launch: Ready=False "no instance type satisfies" clears (or appears) with the catalog
    // even when no node class status changed. The counter patches only what changed.
    for (const n of state.nodePools.keys()) counter.add(n);
  });
  // Karpenter's metrics.node / metrics.pod controllers (every 5 s there).
  every("metrics", 5_000, () => {
    metrics.clusterStateNodeCount.set(state.nodes.size);
    collectStateMetrics(metrics, state, { now: clock.now(), podsStatePerPod: settings.metricsPodsStatePerPod });
  });

  let interruption: RunningInterruption | undefined;
  const sqs = o.sqs ?? cloud.clients?.sqs;
  if (settings.interruptionQueue && sqs) {
    interruption = startInterruptionController(
      {
        client,
        state,
        metrics,
        events,
        log: log.child({ controller: "interruption" }),
        markUnavailable: cloud.unavailableOfferings
          ? (t, z, c, r) => cloud.unavailableOfferings!.markUnavailable(t, z, c, r)
          : undefined,
        onDisrupted: () => batcher.trigger(),
      },
      sqs,
      settings.interruptionQueue,
    );
  } else if (settings.interruptionQueue) {
    log.error(
      { queue: settings.interruptionQueue },
      "INTERRUPTION_QUEUE is set but the cloud provider has no SQS client; interruption handling is off",
    );
  }

  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (settings.metricsPort > 0) {
    try {
      metricsServer = await serveMetrics(metrics.registry, settings.metricsPort, settings.metricsBindAddress);
    } catch (e) {
      log.error(
        { port: settings.metricsPort, error: String((e as Error)?.message ?? e) },
        "metrics server failed to start; set METRICS_PORT to a free port (0 disables it)",
      );
    }
  }

  log.info(
    { "cluster-name": settings.clusterName, counts: state.counts(), "metrics-port": metricsServer?.port },
    "capsicum controllers started",
  );

  return {
    state,
    metrics,
    provisioner,
    disruption,
    log,
    metricsPort: metricsServer?.port,
    onEvent,
    gc,
    disrupt: () => disruption.tick(),
    async settle() {
      for (let i = 0; i < 20; i++) {
        await Promise.all([
          lifecycle.whenIdle(),
          counter.whenIdle(),
          nodeClasses.whenIdle(),
          staticPools.whenIdle(),
          hashes.whenIdle(),
          nodeClassTermination.whenIdle(),
          overlayQueue.whenIdle(),
          provisioning,
        ]);
        if (
          lifecycle.depth + counter.depth + nodeClasses.depth + staticPools.depth + hashes.depth + lifecycle.active ===
          0
        )
          return;
      }
    },
    async stop() {
      stopped = true;
      for (const t of Object.values(timers)) clock.clearTimeout(t);
      clock.clearTimeout(retryTimer);
      batcher.stop();
      disruption.stop();
      await Promise.all([
        lifecycle.shutdown(),
        counter.shutdown(),
        nodeClasses.shutdown(),
        staticPools.shutdown(),
        hashes.shutdown(),
        nodeClassTermination.shutdown(),
        overlayQueue.shutdown(),
        provisioning,
        interruption?.stop(),
        metricsServer?.close(),
      ]);
    },
  };
}

/** karpenter_pods_bound_duration_seconds / _startup_duration_seconds: creation → bound, creation → Running. */
function observePodTimes(metrics: Metrics, cur: KubeObject, prev: KubeObject | undefined, now: number): void {
  const created = Date.parse(cur.metadata.creationTimestamp ?? "");
  if (!Number.isFinite(created)) return;
  const secs = Math.max(0, (now - created) / 1000);
  if (cur.spec?.nodeName && !prev?.spec?.nodeName) metrics.podsBoundDuration.observe(secs);
  if (cur.status?.phase === "Running" && prev?.status?.phase !== "Running") metrics.podsStartupDuration.observe(secs);
}
