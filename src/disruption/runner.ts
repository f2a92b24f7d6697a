// The disruption controller loop over the cluster state (Karpenter's disruption.Controller + orchestration queue):
// each tick marks drift on NodeClaims, then either advances the one command in flight, or computes a new one,
// waits the validation delay, re-validates it against a fresh snapshot and starts executing it (taint, launch
// replacements, wait for them Initialized, delete the candidates' NodeClaims; the termination finalizer drains).
// Only one command is ever in flight; nodes in it count against budgets and are never re-picked.
import { createHash } from "node:crypto";
import type { NodeClaim } from "../apis/generated/nodeclaims";
import type { NodePool } from "../apis/generated/nodepools";
import type { InstanceType } from "../cloudprovider/types";
import type { CloudProvider } from "../cloudprovider/types";
import type { Clock, TimerHandle } from "../kube/clock";
import { ClusterState } from "../kube/clusterState";
import { KubeClient, KubeObject, Kinds, isNotFound } from "../kube/client";
import type { EventRecorder } from "../kube/events";
import { Condition, getCondition, setCondition } from "../lifecycle/conditions";
import { involvedNodeClaim } from "../lifecycle/constants";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import { createNodeClaim } from "../provisioning/createNodeClaim";
import type { NewNodeClaim, SchedulingInput } from "../scheduling/types";
import { selectCandidates } from "./candidates";
import { computeCommand, type DisruptionPass } from "./disruptionController";
import { driftReason } from "./driftDetection";
import {
  advanceCommand,
  startExecution,
  type CommandDeps,
  type CommandExecution,
  type ReplacementState,
} from "./orchestrator";
import { cheapest } from "./pricing";
import { schedulerSimulator, type ScheduleFn } from "./schedulerSimulator";
import { buildSnapshot, type KubeObjectLike } from "./snapshot";
import { addDisruptedTaint, hasDisruptedTaint, removeDisruptedTaint } from "./taints";
import {
  DEFAULT_SETTINGS,
  type ClusterSnapshot,
  type Command,
  type DisruptionSettings,
  type NodeInfo,
  type NodePoolLike,
  type Simulator,
} from "./types";
import { validateCommand } from "./validation";

/** How long a cloud provider drift answer is reused (each answer may cost a DescribeInstances call). */
export const CLOUD_DRIFT_CACHE_MS = 60_000;

export interface DisruptionRunnerDeps {
  client: KubeClient;
  state: ClusterState;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  events: EventRecorder;
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
  private execution?: CommandExecution;
  private phase: Phase = "idle";
  private readonly lastPodEvent = new Map<string, number>();
  private readonly cloudDrift = new Map<string, { reason: string; at: number }>();
  private orphanTaintsCleaned = false;
  private stopped = false;
  private sleeping?: { handle: TimerHandle; resolve: () => void };
  private readonly settings: DisruptionSettings;

  constructor(private readonly deps: DisruptionRunnerDeps) {
    this.settings = { ...DEFAULT_SETTINGS, ...deps.settings };
  }

  /** The command being executed, if any (for status and tests). */
  get inFlight(): CommandExecution | undefined {
    return this.execution;
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
      await this.markDrift();
      if (this.execution) {
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
    const disrupting = new Set(
      this.execution && this.execution.phase !== "done" && this.execution.phase !== "failed"
        ? this.execution.command.candidates.map((c) => c.node.name)
        : [],
    );
    const snap = buildSnapshot(
      {
        nodes: [...state.nodes.values()] as unknown as KubeObjectLike[],
        nodeClaims: [...state.nodeClaims.values()] as unknown as KubeObjectLike[],
        pods: [...state.pods.values()] as unknown as KubeObjectLike[],
        pdbs: [...state.pdbs.values()] as unknown as KubeObjectLike[],
        nodePools: nodePools.map((np) => ({
          ...np,
          metadata: { ...np.metadata, name: np.metadata.name! },
        })) as unknown as NodePoolLike[],
        price: (t, z, c) => prices.get(`${t}|${z}|${c}`),
        disrupting,
        nominated: (nc) => state.isNodeClaimNominated(nc, now.getTime()),
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

  // ---- drift --------------------------------------------------------------------------------------------

  /** Sets (or clears) the NodeClaim `Drifted` condition: NodePool hash/requirements first, then the cloud's reason. */
  async markDrift(): Promise<void> {
    const { state, clock, client, log } = this.deps;
    const now = clock.now();
    for (const nc of [...state.nodeClaims.values()]) {
      if (nc.metadata.deletionTimestamp) continue;
      const conds = (nc.status?.conditions ?? []) as Condition[];
      if (getCondition(conds, "Launched")?.status !== "True") continue;
      const np = state.nodePools.get(nc.metadata.labels?.["karpenter.sh/nodepool"] ?? "");
      if (!np) continue;
      const node = state.nodeForProviderID(nc.status?.providerID);
      const info = {
        nodeClaimAnnotations: nc.metadata.annotations,
        labels: { ...(nc.metadata.labels ?? {}), ...(node?.metadata.labels ?? {}) },
      } as NodeInfo;
      let reason = driftReason(info, np as unknown as NodePoolLike, "");
      if (!reason) reason = await this.cloudDriftReason(nc, now);
      const cur = getCondition(conds, "Drifted");
      let next: Condition[] | undefined;
      if (reason && (cur?.status !== "True" || cur.reason !== reason)) {
        next = setCondition(conds, "Drifted", "True", reason, driftMessage(reason), now);
      } else if (!reason && cur) {
        next = conds.filter((c) => c.type !== "Drifted");
      }
      if (!next) continue;
      try {
        const out = await client.patchStatus<KubeObject>(Kinds.NodeClaim, nc.metadata.name!, { conditions: next });
        state.apply("NodeClaim", out, "MODIFIED");
        if (reason) log.info({ NodeClaim: { name: nc.metadata.name }, reason }, "marked nodeclaim drifted");
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    for (const name of this.cloudDrift.keys()) if (!state.nodeClaims.has(name)) this.cloudDrift.delete(name);
  }

  private async cloudDriftReason(nc: NodeClaim, now: number): Promise<string> {
    const name = nc.metadata.name!;
    const cached = this.cloudDrift.get(name);
    if (cached && now - cached.at < CLOUD_DRIFT_CACHE_MS) return cached.reason;
    let reason = "";
    try {
      reason = await this.deps.cloud.isDrifted(nc as never);
    } catch (err) {
      this.deps.log.debug({ NodeClaim: { name }, error: String((err as Error)?.message ?? err) }, "drift check failed");
      return cached?.reason ?? "";
    }
    this.cloudDrift.set(name, { reason, at: now });
    return reason;
  }

  // ---- compute, validate, start -------------------------------------------------------------------------

  private async computeAndStart(): Promise<void> {
    const { clock, log, metrics } = this.deps;
    const before = await this.snapshot();
    const now = new Date(clock.now());
    const simulator = await this.simulator();
    const started = process.hrtime.bigint();
    const pass = computeCommand(before, now, { simulator, settings: this.settings });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.disruptionDecisionEvaluationDuration.observe(
      { method: pass.command?.method ?? "none", consolidation_type: consolidationType(pass.command) },
      seconds,
    );
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
        for (const c of cmd.candidates)
          this.nodeClaimEvent(
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
      this.execution = startExecution(command, new Date(clock.now()));
      this.phase = "executing";
      this.announce(command);
      await this.advance();
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
    const { candidates } = selectCandidates(snapshot, now, this.settings);
    metrics.disruptionEligibleNodes.set(
      { reason: "empty" },
      candidates.filter((c) => c.consolidatable && c.reschedulablePods.length === 0).length,
    );
    metrics.disruptionEligibleNodes.set({ reason: "underutilized" }, candidates.filter((c) => c.consolidatable).length);
    metrics.disruptionEligibleNodes.set(
      { reason: "drifted" },
      candidates.filter((c) => c.driftReason !== undefined).length,
    );
    for (const b of pass.blocked) {
      if (b.nodeClaim)
        this.nodeClaimEvent(b.nodeClaim, "Normal", "DisruptionBlocked", `Cannot disrupt NodeClaim: ${b.reason}`);
      this.nodeEvent(b.node, "Normal", "DisruptionBlocked", `Cannot disrupt Node: ${b.reason}`);
    }
    for (const r of pass.rejections) {
      if (r.method === "single-node-consolidation" || r.method === "multi-node-consolidation") {
        if (r.nodeClaim) this.nodeClaimEvent(r.nodeClaim, "Normal", "Unconsolidatable", r.reason);
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
    const reason = cmd.replacements.length ? "DisruptionLaunching" : "DisruptionTerminating";
    for (const c of cmd.candidates) {
      this.nodeClaimEvent(
        c.node.nodeClaimName,
        "Normal",
        reason,
        `Disrupting NodeClaim: ${cmd.reason}/${cmd.decision === "delete" ? "Delete" : "Replace"}: ${cmd.message}`,
      );
      this.nodeEvent(
        c.node.name,
        "Normal",
        reason,
        `Disrupting Node: ${cmd.reason}/${cmd.decision === "delete" ? "Delete" : "Replace"}: ${cmd.message}`,
      );
    }
  }

  // ---- execution ----------------------------------------------------------------------------------------

  private async advance(): Promise<void> {
    const ex = this.execution;
    if (!ex) return;
    const { clock, log } = this.deps;
    const next = await advanceCommand(this.commandDeps(ex), ex, new Date(clock.now()));
    this.execution = next;
    if (next.phase === "waiting" && ex.phase !== "waiting") {
      for (const c of next.command.candidates)
        this.nodeClaimEvent(
          c.node.nodeClaimName,
          "Normal",
          "DisruptionWaitingReadiness",
          `Waiting on readiness to continue disruption (replacements ${next.replacementNames.join(", ")})`,
        );
    }
    if (next.phase === "done") {
      log.info(
        {
          method: next.command.method,
          nodeclaims: next.command.candidates.map((c) => c.node.nodeClaimName),
          replacements: next.replacementNames,
        },
        "disruption command executed, candidates deleted",
      );
      this.execution = undefined;
      this.phase = "idle";
    } else if (next.phase === "failed") {
      log.error(
        {
          method: next.command.method,
          nodeclaims: next.command.candidates.map((c) => c.node.nodeClaimName),
          error: next.error,
        },
        "disruption command failed, rolled back",
      );
      for (const c of next.command.candidates)
        this.nodeClaimEvent(c.node.nodeClaimName, "Warning", "DisruptionFailed", `Disruption failed: ${next.error}`);
      this.execution = undefined;
      this.phase = "idle";
    }
  }

  private commandDeps(ex: CommandExecution): CommandDeps {
    const { client, state, metrics, log } = this.deps;
    const commandId = createHash("sha256")
      .update(`${ex.startedAt}|${ex.command.candidates.map((c) => c.node.nodeClaimName).join(",")}`)
      .digest("hex");
    return {
      taint: async (names) => {
        for (const n of names) await addDisruptedTaint(client, state, n, log);
      },
      untaint: async (names) => {
        for (const n of names) await removeDisruptedTaint(client, state, n);
      },
      createReplacement: async (rep, index) => {
        const plan = rep.raw as NewNodeClaim | undefined;
        const np = plan ? state.nodePools.get(plan.nodePool) : undefined;
        if (!plan || !np) throw new Error(`replacement ${index}: nodepool ${rep.nodePoolName} not found`);
        // Deterministic names make a retried launch (after a crash or a failed step) find its own NodeClaim.
        const name = `${np.metadata.name}-${suffixFrom(commandId, index)}`;
        await createNodeClaim({ client, state, log, metrics }, restrictToOptions(plan, rep.options), np, {
          reason: ex.command.reason.toLowerCase(),
          name,
        });
        return name;
      },
      replacementState: (name): ReplacementState => {
        const nc = state.nodeClaims.get(name);
        if (!nc || nc.metadata.deletionTimestamp) return "gone";
        const conds = nc.status?.conditions as Condition[] | undefined;
        if (getCondition(conds, "Initialized")?.status === "True") return "initialized";
        if (
          getCondition(conds, "Launched")?.status === "False" &&
          getCondition(conds, "Launched")?.reason === "LaunchFailed"
        )
          return "failed";
        return "pending";
      },
      deleteNodeClaim: async (name) => {
        const nc = state.nodeClaims.get(name);
        await client.delete(Kinds.NodeClaim, name);
        const isCandidate = ex.command.candidates.some((c) => c.node.nodeClaimName === name);
        if (nc && isCandidate) {
          metrics.nodeClaimsDisrupted.inc({
            nodepool: nc.metadata.labels?.["karpenter.sh/nodepool"] ?? "",
            reason: ex.command.reason.toLowerCase(),
            capacity_type: nc.metadata.labels?.["karpenter.sh/capacity-type"] ?? "",
          });
          this.nodeClaimEvent(name, "Normal", "DisruptionTerminating", `Disrupting NodeClaim: ${ex.command.reason}`);
        }
      },
    };
  }

  /** After a restart no command is in flight: a karpenter.sh/disrupted taint on a live NodeClaim's node is stale. */
  private async cleanOrphanTaints(): Promise<void> {
    const { state, client } = this.deps;
    for (const node of [...state.nodes.values()]) {
      if (!hasDisruptedTaint(node as never)) continue;
      const nc = state.nodeClaimForNode(node);
      if (!nc || nc.metadata.deletionTimestamp || node.metadata.deletionTimestamp) continue;
      await removeDisruptedTaint(client, state, node.metadata.name);
      this.deps.log.info({ Node: { name: node.metadata.name } }, "removed stale disrupted taint");
    }
    this.orphanTaintsCleaned = true;
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

  private nodeClaimEvent(name: string, type: "Normal" | "Warning", reason: string, message: string): void {
    const nc = this.deps.state.nodeClaims.get(name);
    if (!nc) return;
    this.deps.events.publish({ involved: involvedNodeClaim(nc), type, reason, message });
  }

  private nodeEvent(name: string, type: "Normal" | "Warning", reason: string, message: string): void {
    const node = this.deps.state.nodes.get(name);
    if (!node) return;
    this.deps.events.publish({
      involved: { apiVersion: "v1", kind: "Node", name, uid: node.metadata.uid, namespace: "default" },
      type,
      reason,
      message,
    });
  }
}

function consolidationType(cmd: Command | undefined): string {
  if (!cmd) return "";
  return cmd.method === "multi-node-consolidation"
    ? "multi"
    : cmd.method === "single-node-consolidation"
      ? "single"
      : cmd.method === "emptiness"
        ? "empty"
        : "";
}

function driftMessage(reason: string): string {
  switch (reason) {
    case "NodePoolDrifted":
      return "NodePool template changed (karpenter.sh/nodepool-hash differs)";
    case "RequirementsDrifted":
      return "NodeClaim labels no longer satisfy the NodePool requirements";
    default:
      return `Cloud provider reports drift: ${reason}`;
  }
}

const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
function suffixFrom(hex: string, index: number): string {
  const digest = createHash("sha256").update(`${hex}/${index}`).digest();
  let s = "";
  for (let i = 0; i < 5; i++) s += ALPHABET[digest[i]! % ALPHABET.length];
  return s;
}

/**
 * Limits the replacement to the options the decision was priced on (strictly cheaper for consolidation), and to
 * their capacity type when they share one, so the launch cannot fall back to a pricier offering.
 */
export function restrictToOptions(
  plan: NewNodeClaim,
  options: Array<{ instanceType: string; capacityType: string }>,
): NewNodeClaim {
  if (options.length === 0) return plan;
  const allowed = new Set(options.map((o) => o.instanceType));
  const instanceTypeOptions = plan.instanceTypeOptions.filter((it) => allowed.has(it.name));
  const capacityTypes = [...new Set(options.map((o) => o.capacityType))];
  let requirements = plan.requirements;
  if (capacityTypes.length === 1) {
    requirements = [
      ...requirements.filter((r) => r.key !== "karpenter.sh/capacity-type"),
      { key: "karpenter.sh/capacity-type", operator: "In", values: capacityTypes },
    ];
  }
  return {
    ...plan,
    instanceTypeOptions: instanceTypeOptions.length ? instanceTypeOptions : plan.instanceTypeOptions,
    requirements,
  };
}
