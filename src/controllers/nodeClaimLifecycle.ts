// nodeclaim.lifecycle (Karpenter's nodeclaim/lifecycle + node/termination): one reconcile per NodeClaim, queued
// when the NodeClaim or its Node changes.
import type { Drainer } from "../lifecycle/finalize";
import { reconcileNodeClaim } from "../lifecycle/nodeClaimLifecycle";
import type { EngineDeps } from "../kube/deps";
import type { CloudProvider, CreateOptions } from "../cloudprovider/types";
import type { NodeOverlayController } from "../provisioning/nodeOverlays";
import type { Settings } from "../settings";
import { reconcileQueue, type Controller } from "./controller";

export interface NodeClaimLifecycleController extends Controller {
  add(nodeClaim: string): void;
}

export function nodeClaimLifecycle(
  deps: EngineDeps,
  o: {
    cloud: CloudProvider;
    drain: Drainer;
    settings: Settings;
    overlays: () => NodeOverlayController;
    random?: () => number;
  },
): NodeClaimLifecycleController {
  const name = "nodeclaim.lifecycle";
  const lifecycleDeps = {
    ...deps,
    cloud: o.cloud,
    drain: o.drain,
    registrationTtlMs: o.settings.registrationTtlMs,
    overlayCapacity: (pool: string, type: string) => o.overlays().evaluation?.capacityFor(pool, type),
    // As Karpenter AWS's Create: the launch chooses among the pool's instance types with its NodeOverlays applied.
    overlayLaunch: (pool: string): CreateOptions | undefined => {
      const ev = o.overlays().evaluation;
      const np = deps.state.nodePools.get(pool);
      if (!ev || !np || !ev.touches(pool)) return undefined;
      const labels = np.spec.template.metadata?.labels;
      return { instanceTypes: (types) => ev.apply({ name: pool, labels }, types) as typeof types };
    },
    random: o.random,
    log: deps.log.child({ controller: name }),
  };
  const queue = reconcileQueue(name, deps, (key) => reconcileNodeClaim(lifecycleDeps, key), {
    concurrency: o.settings.reconcileConcurrency,
    maxDelayMs: 60_000,
    withMetrics: true,
  });
  return {
    name,
    add: (n) => queue.add(n),
    onChange({ kind, key, phase, obj, previous }) {
      if (kind === "NodeClaim" && phase !== "DELETED") queue.add(key);
      if (kind === "Node") {
        const nc = deps.state.nodeClaimForNode(obj) ?? deps.state.nodeClaimForNode(previous ?? obj);
        if (nc) queue.add(nc.metadata.name!);
      }
      // A detached volume may be what a terminating NodeClaim waits for.
      if (kind === "VolumeAttachment" && phase === "DELETED") {
        const node = deps.state.nodes.get(obj.spec?.nodeName ?? "");
        const nc = node && deps.state.nodeClaimForNode(node);
        if (nc?.metadata.deletionTimestamp) queue.add(nc.metadata.name!);
      }
    },
    start() {
      for (const n of deps.state.nodeClaims.keys()) queue.add(n);
    },
    whenIdle: () => queue.whenIdle(),
    pending: () => queue.depth + queue.active,
    stop: () => queue.shutdown(),
  };
}
