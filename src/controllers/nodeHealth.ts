// node.health (Karpenter's node repair, feature gate NodeRepair): registered only with the gate on and a cloud
// provider that declares repair policies, as Karpenter's NewControllers does. Reacts to Node condition changes
// (a new, removed or changed condition status or transition time) and wakes up when a toleration ends.
import type { CloudProvider } from "../cloudprovider/types";
import type { KubeObject } from "../kube/client";
import type { EngineDeps } from "../kube/deps";
import { reconcileNodeHealth } from "../lifecycle/nodeHealth";
import type { Settings } from "../settings";
import { reconcileQueue, type Controller } from "./controller";

type Cond = { type: string; status: string; lastTransitionTime?: string };

/** Karpenter's update predicate: the set of condition types, a status or a transition time changed. */
function conditionsChanged(cur: KubeObject, prev: KubeObject | undefined): boolean {
  const a = (prev?.status?.conditions ?? []) as Cond[];
  const b = (cur.status?.conditions ?? []) as Cond[];
  if (a.length !== b.length) return true;
  return a.some((o) => {
    const n = b.find((c) => c.type === o.type);
    return !n || n.status !== o.status || n.lastTransitionTime !== o.lastTransitionTime;
  });
}

export function nodeHealth(deps: EngineDeps, o: { cloud: CloudProvider; settings: Settings }): Controller[] {
  const policies = o.cloud.repairPolicies?.() ?? [];
  if (!o.settings.featureGates.NodeRepair || policies.length === 0) return [];
  const name = "node.health";
  const healthDeps = { ...deps, policies, log: deps.log.child({ controller: name }) };
  const queue = reconcileQueue(
    name,
    deps,
    async (key) => {
      const after = await reconcileNodeHealth(healthDeps, key);
      return after === undefined ? undefined : { requeueAfterMs: after };
    },
    { concurrency: o.settings.reconcileConcurrency, maxDelayMs: 5 * 60_000, withMetrics: true },
  );
  return [
    {
      name,
      onChange({ kind, key, phase, obj, previous }) {
        if (kind === "Node" && phase !== "DELETED" && (phase === "ADDED" || conditionsChanged(obj, previous)))
          queue.add(key);
      },
      start() {
        for (const n of deps.state.nodes.keys()) queue.add(n);
      },
      whenIdle: () => queue.whenIdle(),
      pending: () => queue.depth + queue.active,
      stop: () => queue.shutdown(),
    },
  ];
}
