// Executes a validated command the way Karpenter's disruption queue does: taint the candidates
// (karpenter.sh/disrupted:NoSchedule) so nothing new lands on them, launch the replacements, wait until every
// replacement is Initialized, then delete the candidates' NodeClaims (the termination finalizer drains them).
// Evicted pods therefore always have somewhere to go. If a replacement fails or does not initialize in time, the
// command is rolled back: candidates are untainted and the launched replacements deleted.
// `advanceCommand` is one idempotent step; the controller calls it on each reconcile until done/failed.
import type { Command, SimulatedNodeClaim } from "./types";

/** Karpenter gives up on a command whose replacements never initialize (queue.go). */
export const REPLACEMENT_INITIALIZE_TIMEOUT_MS = 10 * 60_000;

export type ReplacementState = "pending" | "initialized" | "failed" | "gone";

export interface CommandDeps {
  /** Add karpenter.sh/disrupted:NoSchedule to these nodes (idempotent). */
  taint(nodeNames: string[]): Promise<void>;
  untaint(nodeNames: string[]): Promise<void>;
  /** Create a NodeClaim for a simulated replacement; returns its name. */
  createReplacement(replacement: SimulatedNodeClaim, index: number): Promise<string>;
  replacementState(nodeClaimName: string): ReplacementState;
  /** Delete a NodeClaim (NotFound counts as success). */
  deleteNodeClaim(name: string): Promise<void>;
}

export type ExecutionPhase = "tainting" | "launching" | "waiting" | "deleting" | "done" | "failed";

export interface CommandExecution {
  command: Command;
  phase: ExecutionPhase;
  startedAt: number;
  /** NodeClaim names of launched replacements, index-aligned with command.replacements. */
  replacementNames: string[];
  /** Why the command failed (rolled back). */
  error?: string;
}

export function startExecution(command: Command, now: Date): CommandExecution {
  return { command, phase: "tainting", startedAt: now.getTime(), replacementNames: [] };
}

async function rollback(deps: CommandDeps, ex: CommandExecution, error: string): Promise<CommandExecution> {
  await deps.untaint(ex.command.candidates.map((c) => c.node.name));
  for (const name of ex.replacementNames) await deps.deleteNodeClaim(name);
  return { ...ex, phase: "failed", error };
}

export async function advanceCommand(deps: CommandDeps, ex: CommandExecution, now: Date): Promise<CommandExecution> {
  const nodes = ex.command.candidates.map((c) => c.node.name);
  switch (ex.phase) {
    case "tainting":
      await deps.taint(nodes);
      return advanceCommand(deps, { ...ex, phase: "launching" }, now);
    case "launching": {
      const names = [...ex.replacementNames];
      try {
        for (let i = names.length; i < ex.command.replacements.length; i++)
          names.push(await deps.createReplacement(ex.command.replacements[i]!, i));
      } catch (err) {
        return rollback(
          deps,
          { ...ex, replacementNames: names },
          `launching replacement failed: ${(err as Error).message}`,
        );
      }
      return advanceCommand(deps, { ...ex, replacementNames: names, phase: "waiting" }, now);
    }
    case "waiting": {
      const states = ex.replacementNames.map((n) => deps.replacementState(n));
      const bad = states.findIndex((s) => s === "failed" || s === "gone");
      if (bad >= 0)
        return rollback(deps, ex, `replacement ${ex.replacementNames[bad]} ${states[bad]} before initializing`);
      if (states.some((s) => s === "pending")) {
        if (now.getTime() - ex.startedAt > REPLACEMENT_INITIALIZE_TIMEOUT_MS)
          return rollback(deps, ex, "replacements did not initialize within 10m");
        return ex;
      }
      return advanceCommand(deps, { ...ex, phase: "deleting" }, now);
    }
    case "deleting":
      for (const c of ex.command.candidates) await deps.deleteNodeClaim(c.node.nodeClaimName);
      return { ...ex, phase: "done" };
    default:
      return ex;
  }
}
