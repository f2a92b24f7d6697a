// Provisioning (Karpenter's provisioning controller and batcher): pending pods open a batch; a closed batch runs
// one provisioner pass; pods left unplaced are retried every 10 s. nodeoverlay keeps the NodeOverlay evaluation
// every NodePool's catalog goes through, so the watcher prices and fits exactly as `capsicum plan` does.
import type { NodePool } from "../apis/generated/nodepools";
import type { CloudProvider, InstanceType } from "../cloudprovider/types";
import { isProvisionable, podKey } from "../kube/clusterState";
import type { TimerHandle } from "../kube/clock";
import type { EngineDeps } from "../kube/deps";
import { Batcher } from "../provisioning/batcher";
import { NodeOverlayController } from "../provisioning/nodeOverlays";
import { deletingNodePods, Provisioner } from "../provisioning/provisioner";
import type { SchedulingInput, SchedulingResult } from "../scheduling/types";
import type { Settings } from "../settings";
import { reconcileQueue, type Controller } from "./controller";

export interface NodeOverlays extends Controller {
  readonly overlays: NodeOverlayController;
  /** A NodePool's instance types with the NodeOverlays in force applied. */
  instanceTypes(np: NodePool): Promise<InstanceType[]>;
}

export function nodeOverlays(
  deps: EngineDeps,
  o: {
    cloud: CloudProvider;
    settings: Settings;
    /** The evaluation in force changed (after the first one). */
    onChanged: () => void;
  },
): NodeOverlays {
  const { state, clock, log } = deps;
  // A NodePool whose EC2NodeClass does not exist can launch nothing (its NodeClassReady condition says why).
  const baseCatalog = async (np: NodePool): Promise<InstanceType[]> => {
    const ncl = state.nodeClasses.get(np.spec.template.spec.nodeClassRef.name);
    return ncl ? o.cloud.getInstanceTypes(ncl) : [];
  };
  const overlays = new NodeOverlayController({
    client: deps.client,
    state,
    log: log.child({ controller: "nodeoverlay" }),
    now: () => clock.now(),
    enabled: o.settings.featureGates.NodeOverlay ?? false,
    baseCatalog,
  });
  const queue = reconcileQueue(
    "nodeoverlay",
    deps,
    async () => {
      const before = overlays.evaluation;
      await overlays.reconcile();
      if (overlays.evaluation !== before) o.onChanged();
    },
    { concurrency: 1, maxDelayMs: 60_000 },
  );
  return {
    name: "nodeoverlay",
    overlays,
    instanceTypes: (np) => overlays.catalog(np),
    onChange({ kind }) {
      if (kind === "NodePool" || kind === "NodeOverlay" || kind === "EC2NodeClass") queue.add("all");
    },
    // Evaluated before anything else starts: the first provisioning pass after a restart must price as the
    // previous process did.
    async start() {
      try {
        await overlays.reconcile();
      } catch (e) {
        log.error({ error: String((e as Error)?.message ?? e) }, "nodeoverlay evaluation failed; retrying");
        queue.add("all");
      }
    },
    // Offerings change (spot prices, availability): re-check conflicts.
    every: { ms: o.settings.nodeClassRefreshMs, run: () => queue.add("all") },
    whenIdle: () => queue.whenIdle(),
    stop: () => queue.shutdown(),
  };
}

/** Cadence of the provisioning re-plan while pods wait (unschedulable, or on a draining node). */
const PROVISIONING_RETRY_MS = 10_000;

export interface Provisioning extends Controller {
  readonly provisioner: Provisioner;
  /** Opens (or extends) a provisioning batch. */
  trigger(): void;
}

export function provisioning(
  deps: EngineDeps,
  o: {
    settings: Settings;
    instanceTypes: (np: NodePool) => Promise<InstanceType[]>;
    schedule: (input: SchedulingInput) => SchedulingResult;
    random?: () => number;
  },
): Provisioning {
  const { state, clock, log } = deps;
  const provisioner = new Provisioner({
    ...deps,
    instanceTypes: o.instanceTypes,
    schedule: o.schedule,
    random: o.random,
    // Outlives the periodic re-plan below (10 s + a batch window), as Karpenter's 2 x BATCH_MAX_DURATION window
    // outlives its provisioner loop: capacity waiting for a PDB-blocked drain's pods stays nominated throughout.
    nominationWindowMs: PROVISIONING_RETRY_MS + 2 * o.settings.batchMaxMs,
    minValuesPolicy: o.settings.minValuesPolicy,
    log: log.child({ controller: "provisioner" }),
  });
  let running: Promise<unknown> = Promise.resolve();
  let retryTimer: TimerHandle | undefined;
  const batcher = new Batcher(
    () => {
      running = provisioner
        .provision()
        .then((res) => {
          // Pods we could not place are retried periodically (limits raised, NodeClass became ready, ICE expired);
          // pods of draining nodes are re-planned too, which keeps their capacity nominated until they move.
          if (res.unschedulable.length || res.skipped || res.deletingNodePods) {
            clock.clearTimeout(retryTimer);
            retryTimer = clock.setTimeout(() => {
              if (state.pendingCount() || deletingNodePods(state).length) batcher.trigger();
            }, PROVISIONING_RETRY_MS);
          }
        })
        .catch((err) => log.error({ error: String(err?.message ?? err) }, "provisioning failed"));
    },
    { idleMs: o.settings.batchIdleMs, maxMs: o.settings.batchMaxMs, clock },
  );
  const trigger = () => batcher.trigger();
  const triggerIfPending = () => {
    if (state.pendingCount()) trigger();
  };
  // Karpenter's AckPods: the first time the provisioner sees a pod pending (karpenter_pods_*_undecided/decision).
  const ack = (key: string) => state.podSchedulingTimes.ack(key, clock.now());
  return {
    name: "provisioning",
    provisioner,
    trigger,
    onChange({ kind, key, phase, obj, previous }) {
      if (kind === "Pod" && phase !== "DELETED" && isProvisionable(obj)) {
        ack(key);
        trigger();
      }
      if (kind === "NodeClaim") {
        if (phase === "DELETED") triggerIfPending();
        // A NodeClaim started deleting: provision for its pods now, before the drain evicts them (pre-spin).
        else if (obj.metadata.deletionTimestamp && !previous?.metadata.deletionTimestamp) trigger();
      }
      if (kind === "NodePool") triggerIfPending();
      // A claim bound, a StorageClass created, a CSINode's limits: pods held back by their volumes may fit now.
      if (
        kind === "PersistentVolumeClaim" ||
        kind === "PersistentVolume" ||
        kind === "StorageClass" ||
        kind === "CSINode" ||
        // A namespace labelled: pods whose affinity selects namespaces by label may fit now.
        kind === "Namespace"
      )
        triggerIfPending();
    },
    start() {
      for (const p of state.pendingPods()) ack(podKey(p));
      triggerIfPending();
    },
    whenIdle: () => running,
    stop() {
      clock.clearTimeout(retryTimer);
      batcher.stop();
      return running;
    },
  };
}
