// Static NodePools (Karpenter v1.14 `spec.replicas`): keeps exactly min(replicas, limits.nodes) live NodeClaims per
// pool, independent of pending pods. Scale-up builds NodeClaims from the pool template alone (every compatible
// instance type, cheapest first) through the shared nodeClaimFromPlan builder; scale-down deletes the extras that are
// cheapest to lose (not yet initialized, then fewest reschedulable pods). The cluster state is the only guard
// against duplicates: each created NodeClaim is applied to it before the next count, the work queue runs one pass per
// pool at a time, and after a restart the state is rebuilt from the apiserver before the first pass.
import { isReschedulable } from "../apis/pods";
import type { NodeClaim } from "../apis/generated/nodeclaims";
import type { NodePool } from "../apis/generated/nodepools";
import * as L from "../apis/labels";
import type { InstanceType } from "../cloudprovider/types";
import { ClusterState } from "../kube/clusterState";
import { KubeObject, Kinds, isNotFound } from "../kube/client";
import { countNodeClaimDisrupted } from "../disruption/disruptedMetric";
import { Requirement, Requirements } from "../apis/requirements";
import { cheapestOffering, sortByPrice, truncate, typeIncompatibility, valuesOf } from "../scheduling/instancetypes";
import { nodePoolRequirements } from "../scheduling/nodeClaimTemplate";
import type { NewNodeClaim, NodePool as SchedNodePool } from "../scheduling/types";
import { createNodeClaim } from "./createNodeClaim";
import { MAX_INSTANCE_TYPES } from "./nodeClaimFromPlan";
import type { EngineDeps } from "../kube/deps";

export interface StaticProvisionerDeps extends Pick<EngineDeps, "client" | "state" | "log" | "metrics" | "events"> {
  /** The pool's instance-type catalog (per EC2NodeClass). */
  instanceTypes: (np: NodePool) => Promise<InstanceType[]>;
  random?: () => number;
  /** Karpenter's StaticCapacity feature gate (default off): when false static pools are reported, not provisioned. */
  enabled?: boolean;
  /** Hands a created NodeClaim to its lifecycle (launch) without waiting for the watch event. */
  onCreated?: (nodeClaim: string) => void;
}

export interface StaticPassResult {
  created: string[];
  deleted: string[];
  desired: number;
  skipped?: string;
}

export const isStaticNodePool = (np: { spec?: { replicas?: number | null } } | undefined): boolean =>
  np?.spec?.replicas !== undefined && np?.spec?.replicas !== null;

/** min(replicas, limits.nodes): Karpenter caps a static pool's count at its node limit. */
export function desiredReplicas(np: NodePool): number {
  const replicas = Number(np.spec.replicas ?? 0);
  const limit = np.spec.limits?.nodes;
  if (limit === undefined || limit === null) return replicas;
  const n = Number(limit);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(
      `NodePool ${np.metadata.name} spec.limits.nodes: "${limit}" is not a node count; set a non-negative integer`,
    );
  return Math.min(replicas, Math.floor(n));
}

/**
 * The NodeClaim plan for one static node: the template's requirements, every compatible instance type with an
 * available offering (cheapest first, capacity type spot when allowed and offered, else on-demand), no pods.
 * Returns a reason string when no instance type fits the template.
 */
export function staticNodeClaimPlan(np: NodePool, catalog: InstanceType[]): NewNodeClaim | string {
  const { reqs, labels } = nodePoolRequirements(np as unknown as SchedNodePool);
  const compatible = catalog.filter((t) => typeIncompatibility(t, reqs) === undefined);
  if (compatible.length === 0)
    return `no instance type satisfies NodePool ${np.metadata.name} spec.template.spec.requirements`;
  const ct = valuesOf(compatible, L.LabelCapacityType, reqs).has(L.CapacityTypeSpot)
    ? L.CapacityTypeSpot
    : L.CapacityTypeOnDemand;
  const priced = new Requirements(reqs.values()).add(Requirement.in(L.LabelCapacityType, ct));
  const options = truncate(
    sortByPrice(
      compatible.filter((t) => cheapestOffering(t, priced) !== undefined),
      priced,
    ),
    reqs,
    MAX_INSTANCE_TYPES,
  );
  const cheapest = options[0]!;
  const offering = cheapestOffering(cheapest, priced)!;
  const tpl = np.spec.template.spec;
  return {
    name: np.metadata.name!,
    nodePool: np.metadata.name!,
    nodeClassRef: tpl.nodeClassRef as NewNodeClaim["nodeClassRef"],
    requirements: reqs
      .clone()
      .add(Requirement.in(L.LabelInstanceType, ...options.map((t) => t.name)))
      .toNodeSelector(),
    labels: { ...labels, ...reqs.singleValueLabels() },
    taints: (tpl.taints ?? []) as NewNodeClaim["taints"],
    startupTaints: (tpl.startupTaints ?? []) as NewNodeClaim["startupTaints"],
    instanceTypeOptions: options,
    instanceType: cheapest.name,
    capacityType: ct,
    pricePerHour: offering.price,
    requests: {},
    daemonOverhead: {},
    pods: [],
  };
}

const isInitialized = (nc: NodeClaim): boolean =>
  ((nc.status?.conditions ?? []) as Array<{ type: string; status: string }>).some(
    (c) => c.type === "Initialized" && c.status === "True",
  );

/** Pods that would have to move if the node went away (not daemonset/node-owned, not finished). */
function reschedulablePods(state: ClusterState, nc: NodeClaim): number {
  return (state.stateNodeForNodeClaim(nc.metadata.name!)?.pods() ?? []).filter(isReschedulable).length;
}

/** Scale-down order: uninitialized first, then fewest pods to move, then newest, then name (deterministic). */
export function scaleDownOrder(state: ClusterState, claims: NodeClaim[]): NodeClaim[] {
  const key = new Map(
    claims.map((nc) => [
      nc,
      {
        init: isInitialized(nc) ? 1 : 0,
        pods: reschedulablePods(state, nc),
        created: String(nc.metadata.creationTimestamp ?? ""),
      },
    ]),
  );
  return [...claims].sort((a, b) => {
    const ka = key.get(a)!,
      kb = key.get(b)!;
    return (
      ka.init - kb.init ||
      ka.pods - kb.pods ||
      (kb.created < ka.created ? -1 : kb.created > ka.created ? 1 : 0) ||
      (a.metadata.name! < b.metadata.name! ? -1 : 1)
    );
  });
}

/** One reconcile of one static NodePool (the work queue's handler, keyed by NodePool name). */
export async function reconcileStaticNodePool(deps: StaticProvisionerDeps, name: string): Promise<StaticPassResult> {
  const { state, client, log, events, metrics } = deps;
  const result: StaticPassResult = { created: [], deleted: [], desired: 0 };
  const np = state.nodePools.get(name) as NodePool | undefined;
  if (!state.isSynced) return { ...result, skipped: "cluster state not synced" };
  if (!np || np.metadata.deletionTimestamp || !isStaticNodePool(np))
    return { ...result, skipped: "not a live static NodePool" };
  const involved = { apiVersion: "karpenter.sh/v1", kind: "NodePool", name, uid: np.metadata.uid };
  if (deps.enabled === false) {
    const why =
      "NodePool sets spec.replicas but the StaticCapacity feature gate is off; set FEATURE_GATES=StaticCapacity=true to provision static NodePools";
    events.publish({ involved, type: "Warning", reason: "StaticCapacityDisabled", message: why });
    log.error({ NodePool: { name } }, why);
    return { ...result, skipped: why };
  }
  const desired = desiredReplicas(np);
  result.desired = desired;
  const live = state.nodeClaimsOfPool(name).filter((nc) => !nc.metadata.deletionTimestamp);
  if (desired < Number(np.spec.replicas) && live.length < Number(np.spec.replicas)) {
    events.publish({
      involved,
      type: "Warning",
      reason: "NodePoolLimitReached",
      message: `replicas ${np.spec.replicas} capped at limits.nodes ${desired}`,
    });
  }

  if (live.length < desired) {
    const catalog = await deps.instanceTypes(np);
    const plan = staticNodeClaimPlan(np, catalog);
    if (typeof plan === "string") {
      events.publish({ involved, type: "Warning", reason: "FailedProvisioning", message: plan });
      log.error({ NodePool: { name }, error: plan }, "could not provision static nodeclaims");
      return { ...result, skipped: plan };
    }
    for (let i = live.length; i < desired; i++) {
      const nc = await createOne(deps, np, plan);
      if (!nc) break; // the queue retries the pass; the count re-derives from the state
      result.created.push(nc);
    }
    if (result.created.length) {
      events.publish({
        involved,
        type: "Normal",
        reason: "ScaledUp",
        message: `Created ${result.created.length} nodeclaim(s) for replicas ${desired}: ${result.created.join(", ")}`,
      });
    }
  } else if (live.length > desired) {
    for (const nc of scaleDownOrder(state, live).slice(0, live.length - desired)) {
      try {
        await client.delete(Kinds.NodeClaim, nc.metadata.name!);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      // Mark it deleting in the state now so a retried pass does not pick another victim.
      const cur = await client.get<KubeObject>(Kinds.NodeClaim, nc.metadata.name!);
      if (cur) state.apply("NodeClaim", cur, "MODIFIED");
      else state.apply("NodeClaim", nc as unknown as KubeObject, "DELETED");
      result.deleted.push(nc.metadata.name!);
      countNodeClaimDisrupted(metrics, "static_scale_down", nc);
      log.info(
        { NodePool: { name }, NodeClaim: { name: nc.metadata.name }, replicas: desired },
        "deleting static nodeclaim (scale down)",
      );
    }
    events.publish({
      involved,
      type: "Normal",
      reason: "ScaledDown",
      message: `Deleting ${result.deleted.length} nodeclaim(s) for replicas ${desired}: ${result.deleted.join(", ")}`,
    });
  }
  return result;
}

async function createOne(deps: StaticProvisionerDeps, np: NodePool, plan: NewNodeClaim): Promise<string | undefined> {
  try {
    const { nodeClaim } = await createNodeClaim(deps, plan, np, {
      reason: "static",
      message: "created static nodeclaim",
    });
    deps.onCreated?.(nodeClaim.metadata.name!);
    return nodeClaim.metadata.name!;
  } catch (e) {
    if (/no free name/.test((e as Error).message)) return undefined;
    throw e;
  }
}
