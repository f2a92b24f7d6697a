import { advanceCommand, startExecution, type CommandDeps, type ReplacementState } from "../../../src/disruption/orchestrator";
import { computeCommand } from "../../../src/disruption/disruptionController";
import { singleNodeConsolidation } from "../../../src/disruption/methods/singleNodeConsolidation";
import { NOW, firstFitSimulator, node, nodePool, pod } from "./fixtures";

const replaceCmd = computeCommand({ nodePools: [nodePool()], nodes: [node("old", { pods: [pod({}, 500)] })] }, NOW, { simulator: firstFitSimulator(), methods: [singleNodeConsolidation] }).command!;
const at = (ms: number) => new Date(NOW.getTime() + ms);

function fake() {
  const log: string[] = [];
  const states = new Map<string, ReplacementState>();
  const deps: CommandDeps = {
    taint: async n => { log.push(`taint ${n.join(",")}`); },
    untaint: async n => { log.push(`untaint ${n.join(",")}`); },
    createReplacement: async (_r, i) => { const name = `repl-${i}`; states.set(name, "pending"); log.push(`create ${name}`); return name; },
    replacementState: n => states.get(n) ?? "gone",
    deleteNodeClaim: async n => { log.push(`delete ${n}`); },
  };
  return { deps, log, states };
}

describe("command execution", () => {
  it("taints, launches the replacement, waits for it to initialize, and only then deletes the old NodeClaim", async () => {
    expect(replaceCmd.decision).toBe("replace");
    const { deps, log, states } = fake();
    let ex = await advanceCommand(deps, startExecution(replaceCmd, NOW), NOW);
    expect(ex.phase).toBe("waiting");
    expect(log).toEqual(["taint old", "create repl-0"]);
    ex = await advanceCommand(deps, ex, at(30_000));
    expect(ex.phase).toBe("waiting");
    states.set("repl-0", "initialized");
    ex = await advanceCommand(deps, ex, at(60_000));
    expect(ex.phase).toBe("done");
    expect(log).toEqual(["taint old", "create repl-0", "delete nc-old"]);
  });
  it("rolls back (untaint, delete replacement) when the replacement fails or times out", async () => {
    const a = fake();
    let ex = await advanceCommand(a.deps, startExecution(replaceCmd, NOW), NOW);
    a.states.set("repl-0", "failed");
    ex = await advanceCommand(a.deps, ex, at(1000));
    expect(ex).toMatchObject({ phase: "failed", error: "replacement repl-0 failed before initializing" });
    expect(a.log.slice(2)).toEqual(["untaint old", "delete repl-0"]);

    const b = fake();
    ex = await advanceCommand(b.deps, startExecution(replaceCmd, NOW), NOW);
    ex = await advanceCommand(b.deps, ex, at(10 * 60_000 + 1));
    expect(ex).toMatchObject({ phase: "failed", error: "replacements did not initialize within 10m" });
  });
  it("rolls back when launching fails", async () => {
    const { deps, log } = fake();
    deps.createReplacement = async () => { throw new Error("InsufficientCapacity"); };
    const ex = await advanceCommand(deps, startExecution(replaceCmd, NOW), NOW);
    expect(ex).toMatchObject({ phase: "failed", error: "launching replacement failed: InsufficientCapacity" });
    expect(log).toEqual(["taint old", "untaint old"]);
  });
  it("deletes straight away when there is nothing to launch", async () => {
    const del = computeCommand({ nodePools: [nodePool()], nodes: [node("empty")] }, NOW, { simulator: firstFitSimulator() }).command!;
    const { deps, log } = fake();
    const ex = await advanceCommand(deps, startExecution(del, NOW), NOW);
    expect(ex.phase).toBe("done");
    expect(log).toEqual(["taint empty", "delete nc-empty"]);
  });
});
