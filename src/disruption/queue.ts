// The disruption orchestration queue (Karpenter's orchestration.Queue): executes the one validated command in
// flight through the orchestrator's state machine — taint the candidates, launch replacements, wait for them to
// be Initialized, delete the candidates' NodeClaims (their termination finalizer drains) — or rolls it back.
import { createHash } from "node:crypto";
import { Kinds } from "../kube/client";
import type { EngineDeps } from "../kube/deps";
import { Condition, getCondition } from "../lifecycle/conditions";
import { createNodeClaim } from "../provisioning/createNodeClaim";
import { countNodeClaimDisrupted } from "./disruptedMetric";
import type { NewNodeClaim } from "../scheduling/types";
import { nodeClaimEvent } from "./events";
import {
  advanceCommand,
  startExecution,
  type CommandDeps,
  type CommandExecution,
  type ReplacementState,
} from "./orchestrator";
import { addDisruptedTaint, removeDisruptedTaint } from "./taints";
import { clearDisruptionReason, markDisruptionReason } from "./disruptionReasonCondition";
import type { Command } from "./types";

export class CommandQueue {
  private execution?: CommandExecution;

  constructor(private readonly deps: Pick<EngineDeps, "client" | "state" | "clock" | "log" | "metrics" | "events">) {}

  /** The command being executed, if any. */
  get inFlight(): CommandExecution | undefined {
    return this.execution;
  }

  /** Names of the nodes the command in flight disrupts (they count against budgets and are never re-picked). */
  disrupting(): string[] {
    const ex = this.execution;
    return ex && ex.phase !== "done" && ex.phase !== "failed" ? ex.command.candidates.map((c) => c.node.name) : [];
  }

  /** Starts executing a validated command and advances it as far as it goes now. */
  async start(command: Command): Promise<void> {
    this.execution = startExecution(command, new Date(this.deps.clock.now()));
    await this.advance();
  }

  /** Runs the command in flight as far as it goes now (taint, launch, wait for readiness, delete). */
  async advance(): Promise<void> {
    const ex = this.execution;
    if (!ex) return;
    const { clock, log } = this.deps;
    const next = await advanceCommand(this.commandDeps(ex), ex, new Date(clock.now()));
    this.execution = next;
    if (next.phase === "waiting" && ex.phase !== "waiting") {
      for (const c of next.command.candidates)
        nodeClaimEvent(
          this.deps,
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
    } else if (next.phase === "failed") {
      log.error(
        {
          method: next.command.method,
          nodeclaims: next.command.candidates.map((c) => c.node.nodeClaimName),
          error: next.error,
        },
        "disruption command failed, rolled back",
      );
      const cmd = next.command;
      this.deps.metrics.disruptionQueueFailures.inc({
        decision: cmd.decision,
        reason: cmd.reason.toLowerCase(),
        consolidation_type:
          cmd.method === "multi-node-consolidation"
            ? "multi"
            : cmd.method === "single-node-consolidation"
              ? "single"
              : cmd.method === "emptiness"
                ? "empty"
                : "",
      });
      for (const c of next.command.candidates)
        nodeClaimEvent(
          this.deps,
          c.node.nodeClaimName,
          "Warning",
          "DisruptionFailed",
          `Disruption failed: ${next.error}`,
        );
      this.execution = undefined;
    }
  }

  private commandDeps(ex: CommandExecution): CommandDeps {
    const { client, state, metrics, log } = this.deps;
    const commandId = createHash("sha256")
      .update(`${ex.startedAt}|${ex.command.candidates.map((c) => c.node.nodeClaimName).join(",")}`)
      .digest("hex");
    const nodeClaimOf = (node: string) => ex.command.candidates.find((c) => c.node.name === node)?.node.nodeClaimName;
    return {
      taint: async (names) => {
        for (const n of names) {
          await addDisruptedTaint(client, state, n, log);
          const nc = nodeClaimOf(n);
          if (nc) await markDisruptionReason({ client, state }, nc, ex.command.reason, this.deps.clock.now());
        }
      },
      untaint: async (names) => {
        for (const n of names) {
          await removeDisruptedTaint(client, state, n);
          const nc = nodeClaimOf(n);
          if (nc) await clearDisruptionReason({ client, state }, nc);
        }
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
          countNodeClaimDisrupted(metrics, ex.command.reason.toLowerCase(), nc);
          nodeClaimEvent(
            this.deps,
            name,
            "Normal",
            "DisruptionTerminating",
            `Disrupting NodeClaim: ${ex.command.reason}`,
          );
        }
      },
    };
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
