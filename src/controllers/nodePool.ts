// The NodePool controllers: nodepool.counter (status resources/nodes, NodeClassReady → Ready, NodeRegistrationHealthy), nodepool.static
// (spec.replicas of static NodePools), and the drift-hash annotations of NodePools and node classes
// (nodepool.hash / nodeclass.hash).
import type { NodePool } from "../apis/generated/nodepools";
import type { CloudProvider, InstanceType } from "../cloudprovider/types";
import type { EngineDeps } from "../kube/deps";
import { reconcileNodeClassHash, reconcileNodePoolHash } from "../disruption/hashController";
import { forgetNodePoolMetrics, updateNodePoolStatus } from "../provisioning/nodePoolCounter";
import { isStaticNodePool, reconcileStaticNodePool } from "../provisioning/staticProvisioner";
import type { Settings } from "../settings";
import { reconcileQueue, type Controller } from "./controller";

type InstanceTypes = (np: NodePool) => Promise<InstanceType[]>;

export interface NodePoolCounter extends Controller {
  /** Recompute every pool's status (its catalog changed: NodeOverlays, offerings). */
  addAll(): void;
}

export function nodePoolCounter(deps: EngineDeps, instanceTypes: InstanceTypes, refreshMs: number): NodePoolCounter {
  const { state, clock } = deps;
  const queue = reconcileQueue(
    "nodepool.counter",
    deps,
    async (key) => {
      await updateNodePoolStatus(
        { ...deps, now: () => clock.now(), instanceTypes: (np) => instanceTypes(np as never) as Promise<never> },
        key,
      );
    },
    { maxDelayMs: 30_000 },
  );
  const addAll = () => {
    for (const n of state.nodePools.keys()) queue.add(n);
  };
  return {
    name: "nodepool.counter",
    addAll,
    onChange({ kind, key, phase, obj }) {
      if (kind === "NodeClaim") {
        const pool = obj.metadata.labels?.["karpenter.sh/nodepool"];
        if (pool) queue.add(pool);
      }
      if (kind === "NodePool" && phase !== "DELETED") queue.add(key);
      if (kind === "NodePool" && phase === "DELETED") {
        void forgetNodePoolMetrics(deps.metrics, key);
        if (obj.metadata.uid) state.nodePoolHealth.forget(obj.metadata.uid);
      }
      // NodePools mirror their node class's readiness (NodeClassReady → Ready).
      if (kind === "EC2NodeClass")
        for (const [name, np] of state.nodePools) if (np.spec.template.spec.nodeClassRef?.name === key) queue.add(name);
    },
    start: addAll,
    // What each pool can launch changes with the offerings: Ready=False "no instance type satisfies" clears (or
    // appears) with the catalog even when no node class status changed. The counter patches only what changed.
    every: { ms: refreshMs, run: addAll },
    whenIdle: () => queue.whenIdle(),
    pending: () => queue.depth,
    stop: () => queue.shutdown(),
  };
}

/** Static NodePools (spec.replicas): one pass per pool at a time keeps the count without duplicates. */
export function staticNodePools(
  deps: EngineDeps,
  o: { instanceTypes: InstanceTypes; settings: Settings; random?: () => number; onCreated: (n: string) => void },
): Controller {
  const { state } = deps;
  const staticDeps = {
    ...deps,
    log: deps.log.child({ controller: "static.provisioning" }),
    instanceTypes: o.instanceTypes,
    random: o.random,
    enabled: o.settings.featureGates.StaticCapacity ?? false,
    onCreated: o.onCreated,
  };
  const queue = reconcileQueue(
    "nodepool.static",
    deps,
    async (key) => {
      await reconcileStaticNodePool(staticDeps, key);
    },
    { concurrency: 1, maxDelayMs: 60_000 },
  );
  const enqueue = (pool: string | undefined) => {
    if (pool && isStaticNodePool(state.nodePools.get(pool) as never)) queue.add(pool);
  };
  return {
    name: "nodepool.static",
    onChange({ kind, key, phase, obj, previous }) {
      if (
        kind === "NodeClaim" &&
        (phase === "DELETED" || (obj.metadata.deletionTimestamp && !previous?.metadata.deletionTimestamp))
      )
        enqueue(obj.metadata.labels?.["karpenter.sh/nodepool"]);
      if (kind === "NodePool" && phase !== "DELETED") enqueue(key);
    },
    start() {
      for (const n of state.nodePools.keys()) enqueue(n);
    },
    whenIdle: () => queue.whenIdle(),
    pending: () => queue.depth,
    stop: () => queue.shutdown(),
  };
}

/** nodepool.hash / nodeclass.hash: Karpenter's drift-hash annotations on NodePools, node classes and NodeClaims. */
export function driftHashes(deps: EngineDeps, cloud: CloudProvider): Controller {
  const hashDeps = { client: deps.client, state: deps.state, log: deps.log.child({ controller: "nodepool.hash" }) };
  const queue = reconcileQueue(
    "hash",
    deps,
    async (key) => {
      const [kind, name] = key.split("/", 2) as [string, string];
      if (kind === "NodePool") await reconcileNodePoolHash(hashDeps, name);
      else if (cloud.nodeClassHashAnnotations)
        await reconcileNodeClassHash(hashDeps, name, (nc) => cloud.nodeClassHashAnnotations!(nc));
    },
    { maxDelayMs: 60_000 },
  );
  return {
    name: "hash",
    onChange({ kind, key, phase }) {
      if (phase === "DELETED") return;
      if (kind === "NodePool" || kind === "EC2NodeClass") queue.add(`${kind}/${key}`);
    },
    start() {
      for (const n of deps.state.nodeClasses.keys()) queue.add(`EC2NodeClass/${n}`);
      for (const n of deps.state.nodePools.keys()) queue.add(`NodePool/${n}`);
    },
    whenIdle: () => queue.whenIdle(),
    pending: () => queue.depth,
    stop: () => queue.shutdown(),
  };
}
