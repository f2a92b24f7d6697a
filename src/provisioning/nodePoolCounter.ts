// NodePool status counter (Karpenter's nodepool/counter): status.resources = summed capacity of the pool's
// NodeClaims, status.nodes = their count (the NODES column and the scale subresource). Also the usage/limit
// gauges. Only patches when the numbers change, so it can run on every NodeClaim event.
import { formatResources, parseResources, ResourceMap } from "../apis/quantity";
import { jsonEqual } from "../apis/jsonEqual";
import { ClusterState } from "../kube/clusterState";
import { KubeClient, KubeObject, Kinds, isNotFound } from "../kube/client";
import type { Metrics } from "../metrics";
import { Condition, getCondition, sameConditions, setCondition } from "../lifecycle/conditions";
import { Requirements } from "../apis/requirements";
import { checkSatisfiable, type Req } from "../../policies/validate/satisfiability";
import type { CatalogInstanceType } from "../../policies/validate/types";
import { PRICES_CONDITION, PRICE_FALLBACK_REASON } from "../cloudprovider/types";
import type { NodePoolHealth } from "../kube/nodePoolHealth";

/** A NodePool's root Ready depends on these (Karpenter v1): the spec is usable and its node class is Ready. */
export const NODEPOOL_READY_DEPENDS_ON = ["ValidationSucceeded", "NodeClassReady"] as const;

/** Karpenter's NodePool conditions, from the pool's spec and its node class as the cluster state sees them. */
export function nodePoolConditions(
  np: KubeObject,
  state: ClusterState,
  now: number,
  catalog?: readonly CatalogInstanceType[],
): Condition[] {
  const set = (c: Condition[], type: string, ok: boolean | undefined, reason: string, message: string) =>
    setCondition(
      c,
      type,
      ok === undefined ? "Unknown" : ok ? "True" : "False",
      ok ? type : reason,
      ok ? "" : message,
      now,
      NODEPOOL_READY_DEPENDS_ON,
    );
  let conds: Condition[] = (np.status?.conditions as Condition[] | undefined) ?? [];
  let invalid = "";
  try {
    Requirements.fromNodeSelector(np.spec?.template?.spec?.requirements ?? [], "spec.template.spec.requirements");
  } catch (e) {
    invalid = (e as Error).message;
  }
  // What admission only warns about: requirements no instance type/offering of this cluster's catalog (its region,
  // its node class's zones) satisfies. The pool can launch nothing, so Ready=False says why (Argo CD: Degraded).
  if (!invalid && catalog && catalog.length > 0) {
    const sat = satisfiable((np.spec?.template?.spec?.requirements ?? []) as Req[], catalog);
    if (!sat.ok) invalid = `no instance type satisfies the requirements: ${sat.message}`;
  }
  conds = set(conds, "ValidationSucceeded", !invalid, "NodePoolValidationFailed", invalid);
  const ref = np.spec?.template?.spec?.nodeClassRef as { kind?: string; name?: string } | undefined;
  const nc = ref?.name ? state.nodeClasses.get(ref.name) : undefined;
  const ready = getCondition(nc?.status?.conditions as Condition[] | undefined, "Ready");
  conds = !nc
    ? set(
        conds,
        "NodeClassReady",
        false,
        "NodeClassNotFound",
        `${ref?.kind ?? "EC2NodeClass"} ${ref?.name ?? ""} not found`,
      )
    : set(
        conds,
        "NodeClassReady",
        ready ? ready.status === "True" : undefined,
        ready?.reason ? `NodeClass${ready.reason}` : "NodeClassNotReady",
        ready?.message || `${ref?.kind} ${ref?.name} is not ready`,
      );
  // No silent substitutes: a node class priced from the static table (PricesResolved=False) says so on the pools
  // that launch from it too, where consolidation's $/h comparisons happen. Informational: Ready is unaffected.
  const prices = getCondition(nc?.status?.conditions as Condition[] | undefined, PRICES_CONDITION);
  if (prices && prices.status !== "Unknown") {
    const ok = prices.status === "True";
    const message = `${ref?.kind ?? "EC2NodeClass"} ${ref?.name}: ${prices.message}`;
    conds = set(conds, PRICES_CONDITION, ok, prices.reason || PRICE_FALLBACK_REASON, message);
  } else if (getCondition(conds, PRICES_CONDITION)) {
    conds = conds.filter((c) => c.type !== PRICES_CONDITION);
  }
  if (nc) conds = registrationHealthy(conds, np, nc, state.nodePoolHealth, now);
  // Argo CD's NodePool health shows only Ready's message: carry the failing dependent's own words there
  // (Karpenter's "<Type>=False", then why: the validation failure, or the missing/unready node class).
  const failed = NODEPOOL_READY_DEPENDS_ON.map((t) => getCondition(conds, t)).find((c) => c?.status === "False");
  if (failed?.message)
    conds = conds.map((c) =>
      c.type === "Ready" && c.status === "False" ? { ...c, message: `${failed.type}=False: ${failed.message}` } : c,
    );
  return conds;
}

export const NODE_REGISTRATION_HEALTHY = "NodeRegistrationHealthy";

/**
 * Karpenter's nodepool.registrationhealth: NodeRegistrationHealthy is Unknown while nothing is known of the pool's
 * launches since its spec or its node class last changed (the condition's observedGeneration, the status'
 * nodeClassObservedGeneration); then the last launches say True or False (kube/nodePoolHealth.ts).
 */
export function registrationStale(np: KubeObject, nodeClass: KubeObject): boolean {
  const cur = getCondition(np.status?.conditions as Condition[] | undefined, NODE_REGISTRATION_HEALTHY);
  return (
    !cur ||
    cur.observedGeneration !== np.metadata.generation ||
    np.status?.nodeClassObservedGeneration !== nodeClass.metadata.generation
  );
}

function registrationHealthy(
  conds: Condition[],
  np: KubeObject,
  nodeClass: KubeObject,
  health: NodePoolHealth,
  now: number,
): Condition[] {
  const uid = np.metadata.uid ?? np.metadata.name!;
  let next: Pick<Condition, "status" | "reason" | "message">;
  const stale = registrationStale(np, nodeClass);
  const status = stale ? "Unknown" : health.status(uid);
  if (status === "Unknown" && !stale) return conds; // nothing launched since: keep what it says
  if (status === "Unknown") {
    next = { status: "Unknown", reason: "AwaitingReconciliation", message: "object is awaiting reconciliation" };
  } else if (status === "Healthy") {
    next = { status: "True", reason: NODE_REGISTRATION_HEALTHY, message: "" };
  } else {
    const f = health.lastFailure(uid);
    next = { status: "False", reason: f?.reason || "RegistrationFailed", message: f?.message ?? "" };
  }
  const out = setCondition(
    conds,
    NODE_REGISTRATION_HEALTHY,
    next.status,
    next.reason,
    next.message,
    now,
    NODEPOOL_READY_DEPENDS_ON,
  );
  return out.map((c) =>
    c.type === NODE_REGISTRATION_HEALTHY ? { ...c, observedGeneration: np.metadata.generation } : c,
  );
}

// The verdict per catalog array and requirements: catalogs are immutable (a change of offerings, prices or
// overlays is a new array), and the counter runs on every NodeClaim event of the pool, where re-checking the
// whole catalog was most of its cost while a batch creates and deletes NodeClaims.
const satisfiability = new WeakMap<readonly CatalogInstanceType[], Map<string, ReturnType<typeof checkSatisfiable>>>();
function satisfiable(reqs: Req[], catalog: readonly CatalogInstanceType[]): ReturnType<typeof checkSatisfiable> {
  let byReqs = satisfiability.get(catalog);
  if (!byReqs) satisfiability.set(catalog, (byReqs = new Map()));
  const key = JSON.stringify(reqs);
  let sat = byReqs.get(key);
  if (!sat) {
    if (byReqs.size >= 100) byReqs.clear();
    byReqs.set(key, (sat = checkSatisfiable(reqs, catalog)));
  }
  return sat;
}

export function nodePoolUsage(
  state: ClusterState,
  nodePool: string,
): { resources: Record<string, string>; nodes: number; raw: ResourceMap } {
  const sum: ResourceMap = {};
  let nodes = 0;
  for (const nc of state.nodeClaimsOfPool(nodePool)) {
    nodes++;
    const cap = parseResources(
      nc.status?.capacity as Record<string, string> | undefined,
      `NodeClaim ${nc.metadata.name} status.capacity`,
    );
    for (const [k, v] of Object.entries(cap)) sum[k] = (sum[k] ?? 0) + v;
  }
  return { resources: formatResources(sum), nodes, raw: sum };
}

/**
 * Karpenter's ClusterCost for one pool: the offering price (NodeOverlays applied) of each of its NodeClaims, by
 * the instance type, zone and capacity type it launched with. NodeClaims without those labels (not launched yet)
 * and offerings the catalog no longer has count 0, as Karpenter's.
 */
export function nodePoolCost(state: ClusterState, nodePool: string, catalog: readonly CatalogInstanceType[]): number {
  const byName = new Map(catalog.map((it) => [it.name, it]));
  let cost = 0;
  for (const nc of state.nodeClaimsOfPool(nodePool)) {
    const key = offeringKey(nc);
    if (!key) continue;
    const offering = byName
      .get(key.type)
      ?.offerings.find((o) => o.zone === key.zone && o.capacityType === key.capacityType);
    cost += offering?.price ?? 0;
  }
  return cost;
}

/** The offering a NodeClaim launched with, once it carries Karpenter's cost labels (NecessaryLabels). */
function offeringKey(nc: {
  metadata: { labels?: Record<string, string> };
}): { type: string; zone: string; capacityType: string } | undefined {
  const l = nc.metadata.labels ?? {};
  const type = l["node.kubernetes.io/instance-type"];
  const zone = l["topology.kubernetes.io/zone"];
  const capacityType = l["karpenter.sh/capacity-type"];
  return type && zone && capacityType ? { type, zone, capacityType } : undefined;
}

const hasLaunchedNodeClaims = (state: ClusterState, nodePool: string): boolean =>
  state.nodeClaimsOfPool(nodePool).some((nc) => offeringKey(nc) !== undefined);

/** A deleted NodePool's series go with it (Karpenter's metric store drops them on NotFound). */
export async function forgetNodePoolMetrics(metrics: Metrics, nodePool: string): Promise<void> {
  metrics.nodePoolsCost.remove({ nodepool: nodePool });
  for (const g of [metrics.nodePoolsUsage, metrics.nodePoolsLimit])
    for (const { labels } of (await g.get()).values)
      if (labels.nodepool === nodePool) g.remove(labels as { nodepool: string; resource_type: string });
}

export async function updateNodePoolStatus(
  deps: {
    client: KubeClient;
    state: ClusterState;
    metrics: Metrics;
    now?: () => number;
    /** The instance types the pool can launch (catalog of the region and node class); recomputed per call. */
    instanceTypes?: (np: KubeObject) => Promise<readonly CatalogInstanceType[]>;
  },
  name: string,
): Promise<boolean> {
  const np = deps.state.nodePools.get(name);
  if (!np) return false;
  const { resources, nodes, raw } = nodePoolUsage(deps.state, name);
  for (const [k, v] of Object.entries(raw))
    deps.metrics.nodePoolsUsage.set({ nodepool: name, resource_type: k }, k === "cpu" ? v / 1000 : v);
  for (const [k, v] of Object.entries(
    parseResources(np.spec.limits as Record<string, string> | undefined, `NodePool ${name} spec.limits`),
  )) {
    deps.metrics.nodePoolsLimit.set({ nodepool: name, resource_type: k }, k === "cpu" ? v / 1000 : v);
  }
  const cur = np.status ?? {};
  // NodeRegistrationHealthy's memory: forgotten when the pool or its class changed, else continued from the
  // condition after a restart.
  const ref = np.spec?.template?.spec?.nodeClassRef as { name?: string } | undefined;
  const nodeClass = ref?.name ? deps.state.nodeClasses.get(ref.name) : undefined;
  const uid = np.metadata.uid ?? name;
  if (nodeClass && registrationStale(np as KubeObject, nodeClass)) deps.state.nodePoolHealth.reset(uid);
  else if (!deps.state.nodePoolHealth.knows(uid))
    deps.state.nodePoolHealth.seed(
      uid,
      getCondition(cur.conditions as Condition[] | undefined, NODE_REGISTRATION_HEALTHY),
    );
  const nodeClassObservedGeneration = nodeClass?.metadata.generation ?? cur.nodeClassObservedGeneration;
  let catalog: readonly CatalogInstanceType[] | undefined;
  try {
    catalog = deps.instanceTypes ? await deps.instanceTypes(np as KubeObject) : undefined;
  } catch {
    catalog = undefined; // an unresolved catalog is the NodeClassReady condition's story, not a validation failure
    // As Karpenter's ClusterCost, whose GetInstanceTypes error fails adding a launched NodeClaim: one error per
    // attempt to price a pool that has launched NodeClaims (nothing to price otherwise).
    if (hasLaunchedNodeClaims(deps.state, name)) deps.metrics.nodePoolsCostTrackerErrors.inc({ nodepool: name });
  }
  // An unresolved catalog keeps the last cost: the pool's prices are unknown, not zero.
  if (catalog) deps.metrics.nodePoolsCost.set({ nodepool: name }, nodePoolCost(deps.state, name, catalog));
  const conditions = nodePoolConditions(np as KubeObject, deps.state, deps.now?.() ?? Date.now(), catalog);
  const same =
    (cur.nodes ?? 0) === nodes &&
    cur.nodeClassObservedGeneration === nodeClassObservedGeneration &&
    jsonEqual(formatResources(parseResources(cur.resources as Record<string, string> | undefined)), resources) &&
    sameConditions(cur.conditions as Condition[] | undefined, conditions);
  if (same && cur.resources !== undefined) return false;
  // Merge patch semantics: resources that dropped to zero must be removed explicitly.
  const resPatch: Record<string, string | null> = { ...resources };
  for (const k of Object.keys(cur.resources ?? {})) if (!(k in resources)) resPatch[k] = null;
  try {
    const out = await deps.client.patchStatus<KubeObject>(Kinds.NodePool, name, {
      resources: resPatch,
      nodes,
      conditions,
      ...(nodeClassObservedGeneration !== undefined ? { nodeClassObservedGeneration } : {}),
    });
    deps.state.apply("NodePool", out, "MODIFIED");
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  return true;
}
