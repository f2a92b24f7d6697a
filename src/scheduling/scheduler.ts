// The scheduling simulation (Karpenter provisioning/scheduling/scheduler.go): pods sorted by cpu then memory
// (descending) are placed on (1) existing nodes, (2) in-flight NodeClaims, (3) NodeClaims planned in this run,
// (4) a new NodeClaim from the highest-weight compatible NodePool. A planned NodeClaim keeps every instance type
// that still fits all its pods; the cheapest is launched. Preferences are relaxed one at a time on failure.
// Pure, synchronous and deterministic. The placement rules live on the objects: NodeTarget (existingNode.ts),
// ClaimTarget (nodeClaim.ts), NodeClaimTemplate (nodeClaimTemplate.ts), Topology (topology.ts).
import * as L from "../apis/labels";
import { isReservedOfferingError, ReservationManager } from "./reservations";
import type { ResourceMap } from "../apis/quantity";
import { mergeClaims, spill } from "./claimImprovement";
import { buildNodeTargets, usageByNodePool, type NodeTarget } from "./existingNode";
import { ClaimTarget } from "./nodeClaim";
import { NodeClaimTemplate } from "./nodeClaimTemplate";
import { compilePod, type PodCtx, type PodVolumes } from "./podContext";
import { isDaemonSetPod, podKey } from "./pods";
import { equivalenceClass, topologyClass, zoneClass } from "./podClasses";
import { dropPreferences, relax, relaxableCopy } from "./preferences";
import { SolveContext } from "./solveContext";
import { Topology, type NamespaceLabels } from "./topology";
import { DomainGroups } from "./topologyFilter";
import { effectiveZone } from "./effectiveZone";
import { hasClaimVolumes, podVolumeUsage, validatePodVolumes, VolumeError, volumeRequirements } from "./volumes";
import type {
  ExistingAssignment,
  NewNodeClaim,
  Pod,
  SchedulingInput,
  SchedulingResult,
  UnschedulablePod,
} from "./types";

/** The reason left on pods a cancelled solve never tried. */
const CANCELLED = "scheduling simulation cancelled before this pod was tried";

export const DEFAULT_MAX_INSTANCE_TYPES = 60;

export function schedule(input: SchedulingInput): SchedulingResult {
  return new Scheduler(input).run();
}

interface QueuedPod {
  pod: Pod;
  key: string;
  requests: ResourceMap;
  /** `requests.cpu` and `requests.memory` (0 when absent), read once for the sort's comparisons. */
  cpu: number;
  memory: number;
  vol?: PodVolumes;
}

// Per pod object, as its requests and classes are (pods are replaced, never mutated): one key string per pod
// rather than one per pod per batch, so the queue's sort and dedupe compare and hash strings they have seen.
const keyByPod = new WeakMap<Pod, string>();
function queueKey(p: Pod): string {
  let k = keyByPod.get(p);
  if (k === undefined) keyByPod.set(p, (k = podKey(p)));
  return k;
}

/** Why a pod was not placed; `deferred`: a ReservedOfferingError (strict mode), retried in a later solve. */
interface Failure {
  reason: string;
  deferred: boolean;
}

/** A pod being tried: its current (possibly relaxed) form, and whether that is already a private copy. */
interface Attempt {
  q: QueuedPod;
  pod: Pod;
  copied: boolean;
}

function sortPods(pods: QueuedPod[]): void {
  pods.sort((a, b) => b.cpu - a.cpu || b.memory - a.memory || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Namespace labels for pod (anti-)affinity namespaceSelectors: the input's Namespaces, plus the
 * kubernetes.io/metadata.name label the apiserver sets on every namespace (enough when none are passed).
 */
function namespaceLabels(input: SchedulingInput): NamespaceLabels {
  const known = new Map((input.namespaces ?? []).map((n) => [n.metadata.name ?? "", n.metadata.labels ?? {}]));
  const cache = new Map<string, Record<string, string>>();
  return (ns) => {
    let l = cache.get(ns);
    if (!l) cache.set(ns, (l = { ...known.get(ns), "kubernetes.io/metadata.name": ns }));
    return l;
  };
}

class Scheduler {
  private readonly maxTypes: number;
  private readonly templates: NodeClaimTemplate[] = [];
  private readonly nodes: NodeTarget[];
  private readonly claims: ClaimTarget[] = [];
  private readonly ctx: SolveContext;
  private readonly unschedulable: UnschedulablePod[] = [];
  private claimSeq = 0;
  /** Set once `options.cancelled` answers true: every later attempt is skipped. */
  private stopped = false;

  constructor(private readonly input: SchedulingInput) {
    this.maxTypes = input.options?.maxInstanceTypes ?? DEFAULT_MAX_INSTANCE_TYPES;
    const domains = new Map<string, Set<string>>();
    const pools = new DomainGroups();
    const addDomain = (k: string, v: string): void => {
      if (!domains.has(k)) domains.set(k, new Set());
      domains.get(k)!.add(v);
    };
    const usage = usageByNodePool(input);
    for (const np of [...input.nodePools].sort(
      (a, b) =>
        (b.spec.weight ?? 0) - (a.spec.weight ?? 0) || ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1),
    )) {
      if (np.spec.replicas !== undefined && np.spec.replicas !== null) continue; // static NodePools are not scheduled into
      const tpl = new NodeClaimTemplate(np, input, usage.get(np.metadata.name ?? ""));
      this.templates.push(tpl);
      const poolDomain = (k: string, v: string): void => {
        addDomain(k, v);
        pools.insert(k, v, tpl.taints);
      };
      for (const z of tpl.offered.zones) poolDomain(L.LabelTopologyZone, z);
      for (const ct of tpl.offered.capacityTypes) poolDomain(L.LabelCapacityType, ct);
      for (const r of tpl.requirements.values())
        if (!r.complement && r.key !== L.LabelTopologyZone && r.key !== L.LabelCapacityType)
          r.values.forEach((v) => poolDomain(r.key, v));
    }
    const topology = new Topology(domains, pools, namespaceLabels(input));
    const reservations = new ReservationManager(
      this.templates.map((t) => t.types),
      input.options?.reservedOfferingMode,
    );
    this.ctx = new SolveContext(topology, input.options, reservations);
    this.nodes = buildNodeTargets(input, topology, addDomain);
  }

  run(): SchedulingResult {
    const policy = this.input.options?.preferencePolicy ?? "Respect";
    const queue: QueuedPod[] = [];
    for (const p of this.input.pods) {
      if (p.spec.nodeName || isDaemonSetPod(p)) continue;
      // One malformed pod must not block the others: it becomes unschedulable with the parse error as reason.
      const key = queueKey(p);
      try {
        const vol = this.podVolumes(p);
        if (typeof vol === "string") {
          this.unschedulable.push({ pod: p, key, reason: vol });
          continue;
        }
        const requests = this.ctx.requestsOf(p);
        queue.push({ pod: p, key, requests, cpu: requests.cpu ?? 0, memory: requests.memory ?? 0, vol });
      } catch (e) {
        this.unschedulable.push({ pod: p, key, reason: (e as Error).message });
      }
    }
    sortPods(queue);
    // Like Karpenter, build every pending pod's topology groups up front so that pods placed early are counted
    // (and their domain pinned) for groups whose owners are scheduled later. Equivalent pods (same namespace,
    // labels and topology terms) create the same groups: one of them registers them.
    const registered = new Set<number>();
    for (const q of queue) {
      const eq = topologyClass(q.pod);
      if (eq === undefined) continue; // no spread or pod (anti-)affinity terms: no groups
      if (registered.has(eq)) continue;
      registered.add(eq);
      try {
        this.ctx.topology.podTopology(q.pod);
      } catch {
        /* reported when the pod is tried */
      }
    }
    const byZone = this.pendingByEffectiveZone(queue);
    const seen = new Set<string>();
    const fresh: Attempt[] = [];
    for (const q of queue) {
      if (seen.has(q.key)) continue;
      seen.add(q.key);
      fresh.push(
        policy === "Ignore" ? { q, pod: dropPreferences(q.pod), copied: true } : { q, pod: q.pod, copied: false },
      );
    }
    // Karpenter's scheduling queue: a pod that fails is tried again after the others for as long as the batch makes
    // progress, so a pod whose affinity target (or spread peer) is placed later in the batch still schedules.
    let pass = this.placeAll(fresh);
    const errors = [...pass.errors];
    while (!this.stopped && pass.failed.some((f) => f.at < pass.placed)) {
      pass = this.placeAll(pass.failed);
      errors.push(...pass.errors);
    }
    for (const f of [...pass.failed, ...errors])
      this.unschedulable.push({
        pod: f.q.pod,
        key: f.q.key,
        reason: f.reason,
        ...("deferred" in f && f.deferred ? { deferred: true } : {}),
      });
    if (this.stopped) return { ...this.result(), pendingPodsByEffectiveZone: byZone, cancelled: true };
    if (this.input.options?.improve !== false) {
      for (const cl of [...this.claims]) {
        const split = spill(cl, this.ctx, () => this.nextName(cl.template, ++this.claimSeq));
        if (split) this.claims.push(split);
      }
      mergeClaims(this.claims, this.ctx);
    }
    return { ...this.result(), pendingPodsByEffectiveZone: byZone };
  }

  /** Pending pods per effective zone, before anything of this solve is placed (equivalent pods computed once). */
  private pendingByEffectiveZone(queue: QueuedPod[]): Record<string, number> {
    const out: Record<string, number> = {};
    const memo = new Map<number, string>();
    for (const q of queue) {
      if (q.pod.status?.phase !== "Pending") continue; // pods of draining nodes are running, not pending
      const eq = zoneClass(q.pod);
      let zone = memo.get(eq);
      if (zone === undefined) {
        try {
          zone = effectiveZone(q.pod, q.vol, this.ctx.topology);
        } catch {
          continue; // a malformed term: the pod is reported unschedulable when it is tried
        }
        memo.set(eq, zone);
      }
      out[zone] = (out[zone] ?? 0) + 1;
    }
    return out;
  }

  /**
   * One pass over `pods` in order, each relaxed until it places or nothing is left to relax. Returns how many
   * placed, the pods that did not (with their relaxed copy and how many had placed when they failed) and the pods
   * whose spec could not be read (never retried).
   */
  private placeAll(pods: Attempt[]): {
    placed: number;
    failed: Array<Attempt & Failure & { at: number }>;
    errors: Array<{ q: QueuedPod; reason: string }>;
  } {
    // Pods with the same namespace, labels and spec meet exactly the same checks, and a failed attempt changes
    // nothing: while no pod was placed since one of them failed, the others fail for the same reason. So the
    // backlog a NodePool at its limits leaves costs one evaluation per Deployment in every batch, not one per pod.
    const failedEq = new Map<number, Failure & { placed: number }>();
    const failed: Array<Attempt & Failure & { at: number }> = [];
    const errors: Array<{ q: QueuedPod; reason: string }> = [];
    let placed = 0;
    const cancelled = this.input.options?.cancelled;
    for (const a of pods) {
      const { q } = a;
      if (this.stopped || (cancelled && (this.stopped = cancelled()))) {
        failed.push({ q, pod: a.pod, copied: a.copied, reason: CANCELLED, deferred: false, at: placed });
        continue;
      }
      const eq = failedEq.size > 0 ? equivalenceClass(q.pod) : undefined; // memoised: cheap after the first batch
      const same = eq === undefined ? undefined : failedEq.get(eq);
      if (same && same.placed === placed) {
        // A literal, not `{ ...a }`: object spread was the costliest line of a batch over a limit-blocked backlog.
        failed.push({ q, pod: a.pod, copied: a.copied, reason: same.reason, deferred: same.deferred, at: placed });
        continue;
      }
      let { pod, copied } = a;
      let failure: Failure | undefined;
      try {
        failure = this.tryPod(compilePod(pod, q.requests, this.ctx.topology, q.vol));
        // A reserved offering error is not relaxed (Karpenter's trySchedule): the pod may fit a reservation later.
        while (failure !== undefined && !failure.deferred) {
          if (!copied) {
            pod = relaxableCopy(pod);
            copied = true;
          }
          if (relax(pod) === undefined) break;
          failure = this.tryPod(compilePod(pod, q.requests, this.ctx.topology, q.vol));
        }
      } catch (e) {
        errors.push({ q, reason: (e as Error).message }); // names the pod: not shared with its equivalents
        continue;
      }
      if (failure === undefined) placed++;
      else {
        failed.push({ q, pod, copied, reason: failure.reason, deferred: failure.deferred, at: placed });
        failedEq.set(eq ?? equivalenceClass(q.pod), { placed, reason: failure.reason, deferred: failure.deferred });
      }
    }
    return { placed, failed, errors };
  }

  /**
   * The pod's volume topology and claims, or why it is ignored (Karpenter's Validate: a missing claim, PV or
   * StorageClass, an Immediate class's unbound claim... kube-scheduler would never place it either).
   */
  private podVolumes(p: Pod): PodVolumes | string | undefined {
    const src = this.input.volumes;
    if (!src || !hasClaimVolumes(p)) return undefined;
    const invalid = validatePodVolumes(p, src);
    if (invalid) return `ignoring pod, ${invalid}`;
    try {
      return { alts: volumeRequirements(p, src), usage: podVolumeUsage(p, src) };
    } catch (e) {
      if (e instanceof VolumeError) return `ignoring pod, ${e.message}`;
      throw e;
    }
  }

  private nextName(tpl: NodeClaimTemplate, seq: number): string {
    return `${this.input.options?.namePrefix ?? ""}${tpl.name}-${String(seq).padStart(4, "0")}`;
  }

  /** Places the pod somewhere; returns undefined on success or why it could not be placed. */
  private tryPod(c: PodCtx): Failure | undefined {
    for (const n of this.nodes) if (n.add(c, this.ctx.topology) === undefined) return undefined;
    const claimReasons: string[] = [];
    for (const cl of this.claims) {
      const r = cl.add(c, this.ctx);
      if (r === undefined) return undefined;
      if (claimReasons.length < 1) claimReasons.push(r);
    }
    const reasons: string[] = [];
    for (const tpl of this.templates) {
      const opened = ClaimTarget.open(tpl, c, this.ctx, this.nextName(tpl, this.claimSeq + 1));
      if (typeof opened !== "string") {
        this.claimSeq++;
        this.claims.push(opened);
        return undefined;
      }
      reasons.push(`NodePool "${tpl.name}": ${opened}`);
      // Strict mode: a pool with a compatible reservation it cannot take now is not fallen back from to a
      // lower-weight pool (Karpenter's addToNewNodeClaim); the decision waits for a later solve.
      if (isReservedOfferingError(opened)) return { reason: reasons.join("; "), deferred: true };
    }
    if (this.templates.length === 0)
      return {
        reason: "no NodePool can provision nodes (none defined, or all are static with spec.replicas)",
        deferred: false,
      };
    return { reason: reasons.join("; "), deferred: false };
  }

  private result(): SchedulingResult {
    const out: NewNodeClaim[] = [];
    let total = 0;
    // Each claim is pinned to the reservations it held as packing ended (Karpenter's FinalizeScheduling); one that
    // held none (fallback mode) is priced and launched in its other capacity types.
    for (const cl of this.claims) {
      if (cl.pods.length === 0) continue;
      const nc = cl.toNewNodeClaim(this.maxTypes, this.ctx.reservations);
      total += nc.pricePerHour;
      out.push(nc);
    }
    const existing: ExistingAssignment[] = this.nodes
      .filter((n) => n.newPods.length > 0)
      .map((n) => ({ name: n.name, kind: n.kind, pods: n.newPods }));
    return {
      newNodeClaims: out,
      existingNodes: existing,
      unschedulable: this.unschedulable,
      totalPricePerHour: Math.round(total * 1e6) / 1e6,
    };
  }
}
