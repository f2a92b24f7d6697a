// The disruption controller loop over the cluster state (Karpenter's disruption.Controller): each tick marks
// drift on NodeClaims (lifecycle/driftMarking.ts) and persists their last pod event and Consolidatable condition
// (lifecycle/consolidatableMarking.ts), then either advances the one command in flight (queue.ts), or
// computes a new one, waits the validation delay, re-validates it against a fresh snapshot and hands it to the
// queue (taint, launch replacements, wait for them Initialized, delete the candidates' NodeClaims).
// Only one command is ever in flight; nodes in it count against budgets and are never re-picked.
import { involvedPod } from "../lifecycle/constants";
import type { NodePool } from "../apis/generated/nodepools";
import type { CloudProvider, InstanceType } from "../cloudprovider/types";
import type { TimerHandle } from "../kube/clock";
import type { EngineDeps } from "../kube/deps";
import { ConsolidatableMarker } from "../lifecycle/consolidatableMarking";
import { DriftMarker } from "../lifecycle/driftMarking";
import type { SchedulingInput } from "../scheduling/types";
import { isEmptyCandidate, isInitialized, isTerminal, isTerminating, selectCandidates } from "./candidates";
import { doNotDisruptNotice } from "./doNotDisrupt";
import { computeCommand, METHODS, type DisruptionPass } from "./disruptionController";
import { nodeClaimEvent, nodeEvent, nodePoolBudgetBlockedEvent } from "./events";
import type { CommandExecution } from "./orchestrator";
import { newConsolidationMemory, type ConsolidationMemory } from "./method";
import { cheapest } from "./pricing";
import { CommandQueue } from "./queue";
import { schedulerSimulator, type ScheduleFn } from "./schedulerSimulator";
import { buildSnapshot, type KubeObjectLike } from "./snapshot";
import { removeDisruptedTaint } from "./taints";
import { clearDisruptionReason } from "./disruptionReasonCondition";
import {
  DEFAULT_SETTINGS,
  type ClusterSnapshot,
  type Command,
  type DisruptionSettings,
  type NodePoolLike,
  type Simulator,
} from "./types";
import { validateCommand } from "./validation";

export interface DisruptionRunnerDeps extends EngineDeps {
  cloud: Pick<CloudProvider, "isDrifted">;
  /** Offerings (with prices) of a NodePool's instance types; prices the snapshot. */
  instanceTypes(nodePool: NodePool): Promise<InstanceType[]>;
  /** The provisioner's scheduler input for no pods: NodePools, instance types, daemonsets. */
  schedulingBase(): Promise<Omit<SchedulingInput, "pods" | "existingNodes">>;
  schedule: ScheduleFn;
  validationDelayMs: number;
  settings?: Partial<DisruptionSettings>;
}

type Phase = "idle" | "validating" | "executing";

export class DisruptionRunner {
  private readonly queue: CommandQueue;
  private readonly drift: DriftMarker;
  private readonly consolidatable: ConsolidatableMarker;
  private phase: Phase = "idle";
  private readonly lastPodEvent = new Map<string, number>();
  private orphanTaintsCleaned = false;
  private stopped = false;
  private sleeping?: { handle: TimerHandle; resolve: () => void };
  private readonly settings: DisruptionSettings;
  private readonly consolidationMemory: ConsolidationMemory = newConsolidationMemory();

  constructor(private readonly deps: DisruptionRunnerDeps) {
    this.settings = { ...DEFAULT_SETTINGS, ...deps.settings };
    this.queue = new CommandQueue(deps);
    this.drift = new DriftMarker(deps);
    this.consolidatable = new ConsolidatableMarker(deps);
    // As Karpenter: both series exist from the start, at 0.
    for (const t of ["multi", "single"]) deps.metrics.consolidationTimeouts.inc({ consolidation_type: t }, 0);
  }

  /** The command being executed, if any (for status and tests). */
  get inFlight(): CommandExecution | undefined {
    return this.queue.inFlight;
  }

  /** A pod was bound to, or removed from, `nodeName` (consolidateAfter counts from the last such event). */
  recordPodEvent(nodeName: string, at = this.deps.clock.now()): void {
    this.lastPodEvent.set(nodeName, Math.max(at, this.lastPodEvent.get(nodeName) ?? 0));
  }

  forgetNode(nodeName: string): void {
    this.lastPodEvent.delete(nodeName);
  }

  stop(): void {
    this.stopped = true;
    if (this.sleeping) {
      this.deps.clock.clearTimeout(this.sleeping.handle);
      this.sleeping.resolve();
    }
  }

  /** One pass. Never throws: failures are logged and the next tick retries. */
  async tick(): Promise<void> {
    const { state, log } = this.deps;
    if (this.stopped || !state.isSynced) return;
    try {
      if (!this.orphanTaintsCleaned) await this.cleanOrphanTaints();
      await this.drift.markDrift();
      await this.consolidatable.mark(this.lastPodEvent);
      if (this.queue.inFlight) {
        await this.advance();
        return;
      }
      await this.computeAndStart();
    } catch (err) {
      log.error({ error: String((err as Error)?.message ?? err) }, "disruption pass failed");
    }
  }

  // ---- snapshot -----------------------------------------------------------------------------------------

  async snapshot(): Promise<ClusterSnapshot> {
    const { state, clock } = this.deps;
    const now = new Date(clock.now());
    const nodePools = [...state.nodePools.values()].filter(
      (np) => !np.metadata.deletionTimestamp,
    ) as unknown as NodePool[];
    const prices = new Map<string, number>();
    for (const np of nodePools) {
      let types: InstanceType[] = [];
      try {
        types = await this.deps.instanceTypes(np);
      } catch {
        /* unpriced nodes are only ever deleted, never replaced */
      }
      for (const it of types)
        for (const o of it.offerings) {
          const k = `${it.name}|${o.zone}|${o.capacityType}`;
          if (!prices.has(k)) prices.set(k, o.price);
        }
    }
    const disrupting = new Set(this.queue.disrupting());
    const snap = buildSnapshot(
      {
        stateNodes: state.stateNodes(),
        pdbs: [...state.pdbs.values()] as unknown as KubeObjectLike[],
        nodePools: nodePools.map((np) => ({
          ...np,
          metadata: { ...np.metadata, name: np.metadata.name! },
        })) as unknown as NodePoolLike[],
        price: (t, z, c) => prices.get(`${t}|${z}|${c}`),
        disrupting,
      },
      now,
    );
    for (const n of snap.nodes) {
      const seen = this.lastPodEvent.get(n.name);
      if (seen !== undefined && (!n.lastPodEventTime || n.lastPodEventTime.getTime() < seen))
        n.lastPodEventTime = new Date(seen);
    }
    return snap;
  }

  private async simulator(): Promise<Simulator> {
    const base = await this.deps.schedulingBase();
    // Pods are simulated onto real (registered) nodes only, never onto NodeClaims still launching.
    return schedulerSimulator(this.deps.schedule, { ...base, inFlightNodeClaims: [] });
  }

  // ---- compute, validate, start -------------------------------------------------------------------------

  private async computeAndStart(): Promise<void> {
    const { clock, log, metrics } = this.deps;
    // Read before the snapshot: a change while it is built must not be taken as already looked at.
    const stateVersion = this.deps.state.changeVersion;
    const before = await this.snapshot();
    const now = new Date(clock.now());
    const simulator = await this.simulator();
    const pass = computeCommand(before, now, {
      simulator,
      settings: this.settings,
      memory: this.consolidationMemory,
      stateVersion,
    });
    for (const t of pass.timeouts) {
      metrics.consolidationTimeouts.inc({ consolidation_type: t });
      log.info({ consolidationType: t }, `${t}-node consolidation reached its timeout; abandoning this pass's search`);
    }
    // Karpenter labels each method's evaluation by its reason (lowercase) and consolidation type.
    for (const e of pass.evaluations)
      metrics.disruptionDecisionEvaluationDuration.observe(
        { reason: e.reason.toLowerCase(), consolidation_type: methodConsolidationType(e.method) },
        e.seconds,
      );
    for (const s of pass.scores) {
      const labels = { decision: s.approved ? "approved" : "rejected", nodepool: s.nodepool, policy: s.policy };
      metrics.consolidationMoves.inc(labels);
      if (s.score !== undefined) metrics.consolidationScore.observe(labels, s.score);
    }
    this.publishPass(before, now, pass);
    const cmd = pass.command;
    if (!cmd) return;

    log.info(
      {
        command: cmd.message,
        method: cmd.method,
        reason: cmd.reason,
        decision: cmd.decision,
        "validation-delay-ms": this.deps.validationDelayMs,
      },
      "computed disruption command, validating",
    );
    this.phase = "validating";
    try {
      await this.sleep(this.deps.validationDelayMs);
      if (this.stopped) return;
      const after = await this.snapshot();
      const verdict = validateCommand(cmd, before, after, new Date(clock.now()), {
        simulator: await this.simulator(),
        settings: this.settings,
      });
      if (!verdict.valid) {
        log.info({ command: cmd.message, reason: verdict.reason }, "abandoning disruption command, validation failed");
        metrics.disruptionFailedValidations.inc({ consolidation_type: consolidationType(cmd) }, cmd.candidates.length);
        for (const c of cmd.candidates)
          nodeClaimEvent(
            this.deps,
            c.node.nodeClaimName,
            "Normal",
            "ConsolidationRejected",
            `Disruption command abandoned: ${verdict.reason}`,
          );
        return;
      }
      // Re-bind the command to the fresh candidates (their pods and objects may have changed since).
      const fresh = new Map(after.nodes.map((n) => [n.name, n]));
      const command: Command = {
        ...cmd,
        candidates: cmd.candidates.map((c) => ({ ...c, node: fresh.get(c.node.name) ?? c.node })),
      };
      this.phase = "executing";
      this.announce(command);
      await this.queue.start(command);
      if (!this.queue.inFlight) this.phase = "idle";
    } finally {
      if (this.phase === "validating") this.phase = "idle";
    }
  }

  private publishPass(snapshot: ClusterSnapshot, now: Date, pass: DisruptionPass): void {
    const { metrics, log } = this.deps;
    for (const e of pass.errors) log.error({ error: e }, "disruption configuration error");
    for (const [pool, byReason] of Object.entries(pass.allowed)) {
      for (const [reason, n] of Object.entries(byReason))
        metrics.nodePoolsAllowedDisruptions.set({ nodepool: pool, reason: reason.toLowerCase() }, n);
    }
    // Nodes of each pool already disrupting or deleting: what its budgets are spending now.
    const consuming = new Map<string, number>();
    for (const n of snapshot.nodes)
      if (n.markedForDeletion) consuming.set(n.nodePoolName, (consuming.get(n.nodePoolName) ?? 0) + 1);
    for (const pool of Object.keys(pass.allowed))
      for (const reason of Object.keys(pass.allowed[pool]!))
        metrics.nodePoolsNodesConsumingBudgets.set(
          { nodepool: pool, reason: reason.toLowerCase() },
          consuming.get(pool) ?? 0,
        );
    const { candidates } = selectCandidates(snapshot, now, this.settings);
    metrics.disruptionEligibleNodes.set(
      { reason: "empty" },
      candidates.filter((c) => c.consolidatable && isEmptyCandidate(c)).length,
    );
    metrics.disruptionEligibleNodes.set({ reason: "underutilized" }, candidates.filter((c) => c.consolidatable).length);
    metrics.disruptionEligibleNodes.set(
      { reason: "drifted" },
      candidates.filter((c) => c.driftReason !== undefined).length,
    );
    // As Karpenter's BuildDisruptionBudgetMapping, run by each method evaluated that has candidates: every pool
    // whose active budgets allow none for that method's reason says so on the NodePool.
    const evaluated = new Set(pass.evaluations.map((e) => e.method));
    for (const method of METHODS) {
      if (!evaluated.has(method.name) || !candidates.some((c) => method.shouldDisrupt(c))) continue;
      for (const [pool, byReason] of Object.entries(pass.allowed))
        if (byReason[method.reason] === 0) nodePoolBudgetBlockedEvent(this.deps, pool, method.reason);
    }
    // What each pod's karpenter.sh/do-not-disrupt does (Karpenter publishes it while validating candidates).
    for (const n of snapshot.nodes) {
      if (n.unmanaged || n.markedForDeletion || !isInitialized(n)) continue;
      for (const p of n.pods) {
        if (isTerminal(p) || isTerminating(p)) continue;
        const notice = doNotDisruptNotice(p, now);
        if (notice)
          this.deps.events.publish({
            involved: involvedPod(p),
            ...notice,
          });
      }
    }
    for (const b of pass.blocked) {
      if (b.nodeClaim)
        nodeClaimEvent(this.deps, b.nodeClaim, "Normal", "DisruptionBlocked", `Cannot disrupt NodeClaim: ${b.reason}`);
      nodeEvent(this.deps, b.node, "Normal", "DisruptionBlocked", `Cannot disrupt Node: ${b.reason}`);
    }
    for (const r of pass.rejections) {
      if (r.method === "single-node-consolidation" || r.method === "multi-node-consolidation") {
        if (r.nodeClaim) nodeClaimEvent(this.deps, r.nodeClaim, "Normal", "Unconsolidatable", r.reason);
      }
    }
    if (!pass.command)
      log.debug(
        { messages: pass.messages, blocked: pass.blocked.length, rejections: pass.rejections.length },
        "no disruption command",
      );
  }

  private announce(cmd: Command): void {
    const { log, metrics } = this.deps;
    const replacementSummary = cmd.replacements.map((r) => {
      const o = r.options[0];
      return o
        ? `${r.nodePoolName}: ${o.instanceType}/${o.capacityType} from ${r.options.length} option(s), $${cheapest(r.options).toFixed(4)}/h`
        : r.nodePoolName;
    });
    log.info(
      {
        method: cmd.method,
        reason: cmd.reason,
        decision: cmd.decision,
        command: cmd.message,
        nodes: cmd.candidates.map((c) => c.node.name),
        nodeclaims: cmd.candidates.map((c) => c.node.nodeClaimName),
        replacements: replacementSummary,
        "savings-per-hour": Number(cmd.savingsPerHour.toFixed(4)),
      },
      "disrupting node(s)",
    );
    metrics.disruptionDecisions.inc({
      decision: cmd.decision,
      reason: cmd.reason.toLowerCase(),
      consolidation_type: consolidationType(cmd),
    });
    for (const pool of new Set(cmd.candidates.map((c) => c.node.nodePoolName)))
      metrics.disruptionDecisionsByNodePool.inc({
        nodepool: pool,
        decision: cmd.decision,
        reason: cmd.reason.toLowerCase(),
        consolidation_type: consolidationType(cmd),
      });
    const reason = cmd.replacements.length ? "DisruptionLaunching" : "DisruptionTerminating";
    for (const c of cmd.candidates) {
      nodeClaimEvent(
        this.deps,
        c.node.nodeClaimName,
        "Normal",
        reason,
        `Disrupting NodeClaim: ${cmd.reason}/${cmd.decision === "delete" ? "Delete" : "Replace"}: ${cmd.message}`,
      );
      nodeEvent(
        this.deps,
        c.node.name,
        "Normal",
        reason,
        `Disrupting Node: ${cmd.reason}/${cmd.decision === "delete" ? "Delete" : "Replace"}: ${cmd.message}`,
      );
    }
  }

  // ---- execution ----------------------------------------------------------------------------------------

  /** After a restart no command is in flight: a karpenter.sh/disrupted taint on a live NodeClaim's node is stale. */
  private async cleanOrphanTaints(): Promise<void> {
    const { state, client } = this.deps;
    for (const sn of state.stateNodes()) {
      const node = sn.node;
      if (!node || !sn.nodeClaim || !sn.hasDisruptedTaint() || sn.deleting()) continue;
      await removeDisruptedTaint(client, state, node.metadata.name);
      this.deps.log.info({ Node: { name: node.metadata.name } }, "removed stale disrupted taint");
    }
    // A stale DisruptionReason too (Karpenter clears it with the taint), so a later forced drain is not blamed on it.
    for (const nc of [...state.nodeClaims.values()])
      if (!nc.metadata.deletionTimestamp) await clearDisruptionReason({ client, state }, nc.metadata.name!);
    this.orphanTaintsCleaned = true;
  }

  private async advance(): Promise<void> {
    await this.queue.advance();
    if (!this.queue.inFlight) this.phase = "idle";
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const handle = this.deps.clock.setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { handle, resolve };
    });
  }
}

function consolidationType(cmd: Command | undefined): string {
  return cmd ? methodConsolidationType(cmd.method) : "";
}

/** Karpenter's ConsolidationType of a method: "empty", "multi", "single"; drift has none. */
function methodConsolidationType(method: Command["method"]): string {
  return method === "multi-node-consolidation"
    ? "multi"
    : method === "single-node-consolidation"
      ? "single"
      : method === "emptiness"
        ? "empty"
        : "";
}
