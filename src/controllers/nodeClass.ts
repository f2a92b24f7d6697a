// The node-class controllers (EC2NodeClass on AWS): nodeclass.status writes what the cloud resolves from the
// selectors (subnets, security groups, AMIs, instance profile, Ready) and announces a price fallback once;
// nodeclass.termination holds the karpenter.k8s.aws/termination finalizer until its NodeClaims are gone.
import { jsonEqual } from "../apis/jsonEqual";
import type { CloudProvider } from "../cloudprovider/types";
import { PRICE_FALLBACK_EVENT, PRICES_CONDITION } from "../cloudprovider/aws/pricing";
import { Kinds, KubeObject, isNotFound } from "../kube/client";
import type { EngineDeps } from "../kube/deps";
import { reconcileNodeClassTermination } from "../lifecycle/nodeClassTermination";
import { validateNodeClass } from "../provisioning/nodeClassValidation";
import { reconcileQueue, type Controller } from "./controller";

const PRICES_PENDING_RECHECK_MS = 5_000;

export function nodeClassStatus(
  deps: EngineDeps,
  o: { cloud: CloudProvider; refreshMs: number; onReady: () => void },
): Controller {
  const { client, state, clock, log, events } = deps;
  const { cloud } = o;

  // A price fallback (PricesResolved=False) is said once per process and node class: a Warning Event on the
  // EC2NodeClass, next to the condition (kubectl describe shows both) and the provider's warn log.
  const priceFallbackAnnounced = new Set<string>();
  function announcePriceFallback(ncl: KubeObject, c: { status: string; message?: string } | undefined): void {
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

  async function reconcile(name: string): Promise<void> {
    const ncl = state.nodeClasses.get(name);
    if (!ncl || ncl.metadata.deletionTimestamp || !cloud.resolveNodeClass) return;
    let res = await cloud.resolveNodeClass(ncl);
    res = await validateNodeClass(res, ncl, () => cloud.getInstanceTypes(ncl), clock.now());
    const prices = (
      (res.status as { conditions?: Array<{ type: string; status: string; message?: string }> })?.conditions ?? []
    ).find((x) => x.type === PRICES_CONDITION);
    announcePriceFallback(ncl, prices);
    // PricesResolved=Unknown until the Pricing API first answers: look again shortly rather than at the next refresh.
    if (prices?.status === "Unknown") clock.setTimeout(() => queue.add(name), PRICES_PENDING_RECHECK_MS);
    if (jsonEqual(res.status, ncl.status ?? {})) return;
    try {
      const out = await client.patchStatus<KubeObject>(Kinds.EC2NodeClass, name, res.status);
      const wasReady = (ncl.status?.conditions ?? []).some(
        (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True",
      );
      state.apply("EC2NodeClass", out, "MODIFIED");
      if (res.ready && !wasReady && state.pendingCount()) o.onReady();
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

  const queue = reconcileQueue("nodeclass.status", deps, reconcile, { baseDelayMs: 5000, maxDelayMs: 300_000 });
  return {
    name: "nodeclass.status",
    onChange({ kind, key, phase, obj, previous }) {
      if (kind !== "EC2NodeClass" || phase === "DELETED") return;
      if (phase === "ADDED" || obj.metadata.generation !== previous?.metadata.generation) queue.add(key);
    },
    start() {
      for (const n of state.nodeClasses.keys()) queue.add(n);
    },
    every: {
      ms: o.refreshMs,
      run: () => {
        for (const n of state.nodeClasses.keys()) queue.add(n);
      },
    },
    whenIdle: () => queue.whenIdle(),
    pending: () => queue.depth,
    stop: () => queue.shutdown(),
  };
}

/** EC2NodeClass finalizer (karpenter.k8s.aws/termination): waits for its NodeClaims, then cleans up in the cloud. */
export function nodeClassTermination(deps: EngineDeps, cloud: CloudProvider): Controller {
  const { state } = deps;
  const terminationDeps = {
    ...deps,
    log: deps.log.child({ controller: "nodeclass.termination" }),
    finalize: cloud.finalizeNodeClass ? (nc: KubeObject) => cloud.finalizeNodeClass!(nc) : undefined,
  };
  const queue = reconcileQueue(
    "nodeclass.termination",
    deps,
    async (key) => {
      const after = await reconcileNodeClassTermination(terminationDeps, key);
      return after === undefined ? undefined : { requeueAfterMs: after };
    },
    { maxDelayMs: 60_000 },
  );
  return {
    name: "nodeclass.termination",
    onChange({ kind, key, phase, obj, previous }) {
      if (kind === "EC2NodeClass" && phase !== "DELETED") queue.add(key);
      // Its EC2NodeClass may be waiting for the last NodeClaim to go.
      if (kind === "NodeClaim" && phase === "DELETED") {
        const cls = (previous ?? obj).spec?.nodeClassRef?.name as string | undefined;
        if (cls && state.nodeClasses.get(cls)?.metadata.deletionTimestamp) queue.add(cls);
      }
    },
    start() {
      for (const n of state.nodeClasses.keys()) queue.add(n);
    },
    whenIdle: () => queue.whenIdle(),
    stop: () => queue.shutdown(),
  };
}
