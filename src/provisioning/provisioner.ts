// The provisioning pass (Karpenter's provisioner.Schedule + CreateNodeClaims): on each closed batch window it
// snapshots the cluster state, runs the pure scheduler over existing nodes, in-flight NodeClaims, daemonsets and
// NodePools, creates one NodeClaim per planned node, nominates the pods (events), and tells unschedulable pods
// why. The state is the duplicate guard: in-flight NodeClaims are capacity the scheduler fills first, and on a
// restart the state is rebuilt from the apiserver (isSynced) before the first pass runs.
import { randomUUID } from "node:crypto";
import { isReschedulable } from "../apis/pods";
import type { NodeClaim } from "../apis/generated/nodeclaims";
import type { NodePool } from "../apis/generated/nodepools";
import type { InstanceType } from "../cloudprovider/types";
import { ClusterState, podKey } from "../kube/clusterState";
import { KubeObject, isInvalid } from "../kube/client";
import type { SchedulingInput, SchedulingOptions, SchedulingResult, Pod } from "../scheduling/types";
import { createNodeClaim } from "./createNodeClaim";
import { buildSchedulingInput } from "./schedulingInput";
import type { EngineDeps } from "../kube/deps";
import type { InvolvedObject } from "../kube/events";
import { mapConcurrently } from "../kube/parallelize";

/** NodeClaims of one batch created at once (bounds the burst on the apiserver and the admission webhook). */
const CREATE_CONCURRENCY = 32;

export interface ProvisionerDeps extends EngineDeps {
  schedule: (input: SchedulingInput) => SchedulingResult;
  /** Instance types (with offerings/availability) a NodePool can launch; usually via its EC2NodeClass. */
  instanceTypes: (nodePool: NodePool) => Promise<InstanceType[]>;
  random?: () => number;
  /** How long capacity the scheduler planned pods onto stays nominated (not a disruption candidate). */
  nominationWindowMs?: number;
  /** MIN_VALUES_POLICY, for provisioning and disruption's replacement simulation alike. */
  minValuesPolicy?: SchedulingOptions["minValuesPolicy"];
}

export interface ProvisionResult {
  created: string[];
  unschedulable: Array<{ pod: string; reason: string }>;
  skipped?: string;
  /** Pods of draining nodes this pass planned for: the pass must re-run while they wait (nominations expire). */
  deletingNodePods?: number;
}

type Cond = { type: string; status: string };
const isReadyCond = (o: { status?: { conditions?: Cond[] } } | undefined): boolean =>
  !!o?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");

export class Provisioner {
  private running?: Promise<ProvisionResult>;
  private again = false;

  constructor(private readonly deps: ProvisionerDeps) {}

  /** Runs one pass; a call while a pass runs schedules exactly one more pass afterwards (never two at once). */
  async provision(): Promise<ProvisionResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let res: ProvisionResult;
      do {
        this.again = false;
        res = await this.passOnce();
      } while (this.again);
      return res;
    })();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /** Builds the scheduler input from the current cluster state (exported for the disruption simulator and tests). */
  async schedulingInput(
    pods: KubeObject[],
  ): Promise<{ input: SchedulingInput; nodePools: NodePool[]; skippedPools: string[] }> {
    const { state } = this.deps;
    const nodePools: NodePool[] = [];
    const skippedPools: string[] = [];
    for (const np of [...state.nodePools.values()].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))) {
      if (np.metadata.deletionTimestamp || np.spec.replicas !== undefined) continue; // static pools are not scheduled into
      const nc = state.nodeClasses.get(np.spec.template.spec.nodeClassRef.name);
      if (!nc || !isReadyCond(nc as never)) {
        skippedPools.push(np.metadata.name!);
        continue;
      }
      nodePools.push(np);
    }
    // One bad NodeClass (e.g. kubelet.kubeReserved.cpu "10%") must not stop every other pool: its pools are
    // skipped with a Warning Event naming the error, the rest are scheduled as usual.
    const byPool: Record<string, InstanceType[]> = {};
    for (const np of [...nodePools]) {
      try {
        byPool[np.metadata.name!] = await this.deps.instanceTypes(np);
      } catch (e) {
        nodePools.splice(nodePools.indexOf(np), 1);
        skippedPools.push(np.metadata.name!);
        this.nodeClassFailed(np, e as Error);
      }
    }
    // Registered nodes (managed or not) first, then the NodeClaims still in flight, from the one pairing.
    const paired = state.stateNodes();
    const existingNodes = paired
      .filter((sn) => sn.node)
      .map((sn) => ({
        node: sn.node as never,
        pods: sn.pods() as unknown as Pod[],
        markedForDeletion: sn.markedForDeletion(),
        taints: sn.schedulingTaints(),
        allocatable: sn.allocatable(),
      }));
    const inFlightNodeClaims = paired
      .filter((sn) => sn.inFlight())
      .map((sn) => ({ nodeClaim: sn.nodeClaim as never, markedForDeletion: sn.deleting() }));
    // deps.instanceTypes already has the NodeOverlays in force applied (the controller's NodeOverlayController).
    const input = buildSchedulingInput({
      pods: pods as unknown as Pod[],
      nodePools: nodePools as never,
      catalogs: byPool,
      existingNodes,
      inFlightNodeClaims,
      daemonSets: [...state.daemonSets.values()] as never,
      volumes: state.volumeSources(),
      namespaces: [...state.namespaces.values()] as SchedulingInput["namespaces"],
      options: { minValuesPolicy: this.deps.minValuesPolicy ?? "Strict" },
    });
    return { input, nodePools, skippedPools };
  }

  /** Karpenter's MarkPodSchedulingDecisions; a pod's first decision observes the time since it was first seen. */
  private markDecisions(errored: string[], placed: string[]): void {
    const { state, clock, metrics } = this.deps;
    for (const s of state.podSchedulingTimes.markDecisions(clock.now(), errored, placed))
      metrics.podsSchedulingDecisionDuration.observe(s);
  }

  private nodeClassFailed(np: NodePool, e: Error): void {
    const ref = np.spec.template.spec.nodeClassRef;
    const message = `NodePool ${np.metadata.name} skipped: EC2NodeClass ${ref.name} is invalid: ${e.message}`;
    const published = this.deps.events.publish({
      involved: { apiVersion: "karpenter.k8s.aws/v1", kind: ref.kind, name: ref.name },
      type: "Warning",
      reason: "NodeClassNotReady",
      message,
    });
    if (published)
      this.deps.log.error({ NodePool: { name: np.metadata.name }, EC2NodeClass: { name: ref.name } }, message);
  }

  private async passOnce(): Promise<ProvisionResult> {
    const { state, log, metrics, events, clock } = this.deps;
    if (!state.isSynced) return { created: [], unschedulable: [], skipped: "cluster state not synced" };
    // Pods of nodes whose NodeClaim is being deleted are scheduled too (Karpenter's deleting-node pods), so their
    // capacity is launched while the node drains instead of after the pods turn Pending.
    const draining = deletingNodePods(state);
    const drainingByKey = new Map(draining.map((p) => [podKey(p), p]));
    const drainingKeys = new Set(drainingByKey.keys());
    // Ordered by key for determinism, in plain code-unit order (localeCompare per comparison grew with the
    // backlog). The state's key strings are sorted as they are: no key or wrapper object is built per pod per batch.
    const keys = [...state.pendingPodKeys(), ...drainingKeys].sort();
    const pending = keys.map((k) => drainingByKey.get(k) ?? state.pods.get(k)!);
    if (pending.length === 0) {
      metrics.schedulerUnschedulablePods.set({ controller: "provisioner" }, 0);
      metrics.schedulerIgnoredPods.set(0);
      return { created: [], unschedulable: [] };
    }

    // Karpenter's queue depth is per simulation (scheduling_id): the pods queued for it, 0 once it has drained. Only
    // this pass sets the gauge, so dropping the previous simulation's series is a reset.
    const queue = { controller: "provisioner", scheduling_id: randomUUID() };
    metrics.schedulerQueueDepth.reset();
    metrics.schedulerQueueDepth.set(queue, pending.length);
    const { input, nodePools, skippedPools } = await this.schedulingInput(pending);
    if (nodePools.length === 0) {
      const why =
        state.nodePools.size === 0
          ? "no nodepools found"
          : `no ready nodepools (nodeclass not ready for: ${skippedPools.join(", ")})`;
      for (const p of pending)
        events.publish({
          involved: podRef(p),
          type: "Warning",
          reason: "FailedScheduling",
          message: `Failed to schedule pod, ${why}`,
        });
      log.error({ pods: pending.length }, `could not schedule pods, ${why}`);
      metrics.schedulerUnschedulablePods.set({ controller: "provisioner" }, pending.length);
      metrics.schedulerQueueDepth.set(queue, 0);
      this.markDecisions(pending.filter((p) => !drainingKeys.has(podKey(p))).map(podKey), []);
      return { created: [], unschedulable: pending.map((p) => ({ pod: podKey(p), reason: why })) };
    }
    const t0 = clock.now();
    const started = process.hrtime.bigint();
    // Karpenter's provisioner disables reserved-capacity fallback (disruption's simulations, built from the same
    // input, keep it): a pod whose compatible reservations are all taken by this solve's NodeClaims waits.
    const result = this.deps.schedule({ ...input, options: { ...input.options, reservedOfferingMode: "Strict" } });
    metrics.schedulerQueueDepth.set(queue, 0);
    metrics.schedulerPendingPodsByEffectiveZone.reset(); // only this pass sets it: the previous solve's zones go
    for (const [zone, n] of Object.entries(result.pendingPodsByEffectiveZone ?? {}))
      metrics.schedulerPendingPodsByEffectiveZone.set({ controller: "provisioner", zone }, n);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.schedulingDuration.observe({ controller: "provisioner" }, seconds);
    // A deferred decision (reserved capacity taken in this solve) is not an unschedulable pod (Karpenter's
    // ReservedOfferingErrors): not counted, no FailedScheduling event; the periodic re-plan tries it again.
    const deferred = result.unschedulable.filter((u) => u.deferred);
    const unschedulable = result.unschedulable.filter((u) => !u.deferred);
    if (deferred.length)
      log.debug(
        { Pods: deferred.slice(0, 5).map((u) => u.key), count: deferred.length },
        "deferring scheduling decision for provisionable pod(s) to future simulation due to limited reserved offering capacity",
      );
    metrics.schedulerUnschedulablePods.set({ controller: "provisioner" }, unschedulable.length);
    // Karpenter's ignored pods: those its Validate rejects (a missing claim, PV or StorageClass...).
    metrics.schedulerIgnoredPods.set(result.unschedulable.filter((u) => u.reason.startsWith("ignoring pod")).length);
    metrics.provisionerSchedulingDuration.observe(seconds);
    // Pods of draining nodes are bound: Karpenter leaves them out of the marks (their times are in the past).
    const placed = [...result.newNodeClaims, ...result.existingNodes].flatMap((r) =>
      r.pods.map((p) => podKey(p as never)),
    );
    this.markDecisions(
      result.unschedulable.map((u) => u.key),
      placed.filter((k) => !drainingKeys.has(k)),
    );
    log.debug(
      { pods: pending.length, "duration-ms": clock.now() - t0, nodeclaims: result.newNodeClaims.length },
      "computed scheduling decision",
    );

    const poolByName = new Map(nodePools.map((np) => [np.metadata.name!, np]));
    const nominatedUntil = clock.now() + (this.deps.nominationWindowMs ?? 20_000);
    const created: string[] = [];
    const failed: Array<{ pod: string; reason: string }> = [];
    // Created concurrently, as Karpenter's CreateNodeClaims does (workqueue.ParallelizeUntil): one create after
    // another (each through the NodeClaim admission webhook) spread the basic shape's 18 NodeClaims over ~80 s.
    const plans = result.newNodeClaims.flatMap((plan) => {
      const np = poolByName.get(plan.nodePool);
      return np ? [{ plan, np }] : [];
    });
    const outcomes = await mapConcurrently(plans, CREATE_CONCURRENCY, ({ plan, np }) => this.createNodeClaim(plan, np));
    for (const [i, { plan }] of plans.entries()) {
      const nc = outcomes[i];
      if (typeof nc === "string") {
        // Reported as unschedulable so the pods are re-planned by the periodic retry, not forgotten.
        for (const p of plan.pods) failed.push({ pod: podKey(p as never), reason: nc });
        continue;
      }
      if (!nc) continue;
      created.push(nc.metadata.name!);
      const keys = plan.pods.map((p) => podKey(p as never));
      state.nominate(keys, nc.metadata.name!);
      state.nominateNodeClaim(nc.metadata.name!, keys, nominatedUntil);
      for (const p of plan.pods) {
        events.publish({
          involved: podRef(p as never),
          type: "Normal",
          reason: "Nominated",
          message: `Pod should schedule on: nodeclaim/${nc.metadata.name}`,
        });
      }
    }
    for (const a of result.existingNodes) {
      const claim = a.kind === "Node" ? state.stateNodeForNode(a.name)?.nodeClaimName : inFlightName(state, a.name);
      if (claim && a.pods.length)
        state.nominateNodeClaim(
          claim,
          a.pods.map((p) => podKey(p as never)),
          nominatedUntil,
        );
      for (const p of a.pods) {
        const target = a.kind === "Node" ? `node/${a.name}` : `nodeclaim/${inFlightName(state, a.name)}`;
        events.publish({
          involved: podRef(p as never),
          type: "Normal",
          reason: "Nominated",
          message: `Pod should schedule on: ${target}`,
        });
      }
    }
    // One message string per distinct reason (equivalent pods share theirs): the recorder's dedupe then looks the
    // same string up for each of the backlog's pods instead of a fresh copy per pod.
    const messages = new Map<string, string>();
    for (const u of unschedulable) {
      let message = messages.get(u.reason);
      if (message === undefined) messages.set(u.reason, (message = `Failed to schedule pod, ${u.reason}`));
      events.publish({ involved: podRef(u.pod as never), type: "Warning", reason: "FailedScheduling", message });
    }
    if (unschedulable.length) {
      log.error(
        { pods: unschedulable.length, example: `${unschedulable[0]!.key}: ${unschedulable[0]!.reason}` },
        "could not schedule pods",
      );
    }
    return {
      created,
      unschedulable: [...result.unschedulable.map((u) => ({ pod: u.key, reason: u.reason })), ...failed],
      deletingNodePods: draining.length,
    };
  }

  private async createNodeClaim(
    plan: SchedulingResult["newNodeClaims"][number],
    np: NodePool,
  ): Promise<NodeClaim | string | undefined> {
    try {
      return (await createNodeClaim(this.deps, plan, np, { reason: "provisioning" })).nodeClaim;
    } catch (e) {
      const reason = `failed creating nodeclaim: ${(e as Error).message}${isInvalid(e) ? invalidHint(np) : ""}`;
      this.deps.log.error(
        { NodePool: { name: np.metadata.name }, error: (e as Error).message },
        "failed creating nodeclaim",
      );
      this.deps.events.publish({
        involved: { apiVersion: "karpenter.sh/v1", kind: "NodePool", name: np.metadata.name!, uid: np.metadata.uid },
        type: "Warning",
        reason: "FailedCreatingNodeClaim",
        message: reason,
      });
      return reason;
    }
  }
}

/** What to change when the apiserver rejects the NodeClaim we built (422). */
function invalidHint(np: NodePool): string {
  const n = np.metadata.name!.length;
  if (n > 63)
    return ` (NodePool name is ${n} characters; its NodeClaims carry it as the karpenter.sh/nodepool label, whose value allows at most 63: rename the NodePool)`;
  return " (the NodePool's template produces an invalid NodeClaim: fix the field named above)";
}

/** The NodeClaim an in-flight placement names (by its own name, or the Node name it reported). */
function inFlightName(state: ClusterState, name: string): string {
  if (state.nodeClaims.has(name)) return name;
  return state.stateNodeForNode(name)?.nodeClaimName ?? name;
}

// Per pod object (the state replaces pods, never mutates them; the recorder copies what it sends): every batch
// publishes a FailedScheduling event for each pod of the backlog, nearly all of them duplicates it drops.
const podRefs = new WeakMap<KubeObject, InvolvedObject>();
function podRef(p: KubeObject): InvolvedObject {
  let ref = podRefs.get(p);
  if (!ref) {
    ref = {
      apiVersion: "v1",
      kind: "Pod",
      name: p.metadata.name!,
      namespace: p.metadata.namespace ?? "default",
      uid: p.metadata.uid,
    };
    podRefs.set(p, ref);
  }
  return ref;
}

/** Reschedulable pods (not daemonset/node-owned, not terminating or finished) on nodes whose NodeClaim is deleting, unbound. */
export function deletingNodePods(state: ClusterState): KubeObject[] {
  const out: KubeObject[] = [];
  for (const nc of state.nodeClaims.values()) {
    if (!nc.metadata.deletionTimestamp) continue;
    const sn = state.stateNodeForNodeClaim(nc.metadata.name!);
    if (!sn?.node) continue;
    for (const p of sn.pods()) {
      if (p.metadata.deletionTimestamp || !isReschedulable(p)) continue;
      const { nodeName: _n, ...spec } = p.spec ?? {};
      out.push({ ...p, spec });
    }
  }
  return out;
}
