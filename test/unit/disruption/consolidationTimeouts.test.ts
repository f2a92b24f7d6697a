// Consolidation's time limits, as Karpenter's: single-node consolidation walks candidates interleaved across
// NodePools and gives up past 3 minutes, remembering the pools it never reached so they go first next pass;
// multi-node consolidation's binary search stops after 1 minute with the best command found so far. The clock is
// the pass's monotonic one, advanced here by each scheduling simulation.
import { computeCommand } from "../../../src/disruption/disruptionController";
import { newConsolidationMemory, type ConsolidationMemory } from "../../../src/disruption/method";
import { multiNodeConsolidation } from "../../../src/disruption/methods/multiNodeConsolidation";
import { singleNodeConsolidation } from "../../../src/disruption/methods/singleNodeConsolidation";
import type { ClusterSnapshot, NodeInfo, Simulator } from "../../../src/disruption/types";
import { NOW, firstFitSimulator, node, nodePool, pod } from "./fixtures";

const GiB = 2 ** 30;

/** A simulator that takes `stepMs` of the pass's clock per simulation. */
function slowSimulator(stepMs: number): { sim: Simulator; clock: () => number; calls: () => number } {
  const inner = firstFitSimulator();
  let t = 0;
  return {
    sim: { simulate: (input) => ((t += stepMs), inner.simulate(input)) },
    clock: () => t,
    calls: () => inner.calls,
  };
}

// m5.xlarge nodes whose 3.5-vCPU pod fits nowhere else and on nothing cheaper: single-node rejects every one.
const stuck = (name: string, pool: string): NodeInfo =>
  node(name, { nodePoolName: pool, pods: [pod({ name: `${name}-pod` }, 3500, GiB)] });

function pools(...names: string[]): ClusterSnapshot["nodePools"] {
  return names.map((n) => nodePool(n));
}

describe("single-node consolidation order and timeout", () => {
  it("tries candidates round-robin across NodePools, each pool's best first", () => {
    const snapshot = {
      nodePools: pools("a", "b"),
      nodes: [stuck("a1", "a"), stuck("a2", "a"), stuck("a3", "a"), stuck("b1", "b"), stuck("b2", "b")],
    };
    const pass = computeCommand(snapshot, NOW, { simulator: firstFitSimulator(), methods: [singleNodeConsolidation] });
    expect(pass.command).toBeUndefined();
    expect(pass.rejections.map((r) => r.node)).toEqual(["a1", "b1", "a2", "b2", "a3"]);
    expect(pass.timeouts).toEqual([]);
  });

  it("gives up past its timeout, and the NodePools it never reached go first on the next pass", () => {
    const snapshot = {
      nodePools: pools("a", "b", "c"),
      nodes: [stuck("a1", "a"), stuck("a2", "a"), stuck("b1", "b"), stuck("c1", "c")],
    };
    const memory: ConsolidationMemory = newConsolidationMemory();
    const slow = slowSimulator(100_000); // 100 s a simulation against the 3-minute limit
    const first = computeCommand(snapshot, NOW, {
      simulator: slow.sim,
      methods: [singleNodeConsolidation],
      elapsedMs: slow.clock,
      memory,
    });
    expect(first.timeouts).toEqual(["single"]);
    expect(first.command).toBeUndefined();
    expect(slow.calls()).toBe(2); // a1 at 0 s, b1 at 100 s; at 200 s the pass is over its 180 s
    expect(first.rejections.map((r) => r.node)).toEqual(["a1", "b1"]);
    expect([...memory.unseenNodePools]).toEqual(["c"]);

    const fast = computeCommand(snapshot, NOW, {
      simulator: firstFitSimulator(),
      methods: [singleNodeConsolidation],
      memory,
    });
    expect(fast.timeouts).toEqual([]);
    expect(fast.rejections.map((r) => r.node)).toEqual(["c1", "a1", "b1", "a2"]);
    expect(memory.unseenNodePools.size).toBe(0); // a full pass saw every pool
  });

  it("a shorter configured timeout applies (settings)", () => {
    const snapshot = { nodePools: pools("a"), nodes: [stuck("a1", "a"), stuck("a2", "a")] };
    const slow = slowSimulator(10);
    const pass = computeCommand(snapshot, NOW, {
      simulator: slow.sim,
      methods: [singleNodeConsolidation],
      elapsedMs: slow.clock,
      settings: { singleNodeConsolidationTimeoutMs: 5 },
    });
    expect(pass.timeouts).toEqual(["single"]);
    expect(slow.calls()).toBe(1);
  });
});

describe("multi-node consolidation timeout", () => {
  // n1..n3: m5.2xlarge with a 1-vCPU pod each; n4 (cheapest, so last) holds a 3.9-vCPU pod nothing else can take,
  // so the whole prefix fails, [n1, n2] can be deleted onto n3, and [n1..n3] can be replaced by one m5.xlarge.
  const snapshot = {
    nodePools: pools("default"),
    nodes: [
      ...["n1", "n2", "n3"].map((n) =>
        node(n, {
          instanceType: "m5.2xlarge",
          pricePerHour: 0.384,
          allocatable: { cpu: 8000, memory: 32 * GiB },
          pods: [pod({ name: `${n}-pod` }, 1000, GiB)],
        }),
      ),
      node("n4", { pricePerHour: 0.1, pods: [pod({ name: "n4-pod", labels: { unschedulable: "true" } }, 3900, GiB)] }),
    ],
  };

  it("without a timeout the search finds the largest prefix", () => {
    const pass = computeCommand(snapshot, NOW, { simulator: firstFitSimulator(), methods: [multiNodeConsolidation] });
    expect(pass.timeouts).toEqual([]);
    expect(pass.command?.decision).toBe("replace");
    expect(pass.command!.candidates.map((c) => c.node.name)).toEqual(["n1", "n2", "n3"]);
  });

  it("out of time, it returns the best command found so far and reports the timeout", () => {
    const slow = slowSimulator(40_000); // 40 s a simulation against the 1-minute limit
    const pass = computeCommand(snapshot, NOW, {
      simulator: slow.sim,
      methods: [multiNodeConsolidation],
      elapsedMs: slow.clock,
    });
    expect(pass.timeouts).toEqual(["multi"]);
    expect(pass.command?.decision).toBe("delete");
    expect(pass.command!.candidates.map((c) => c.node.name)).toEqual(["n1", "n2"]);
  });

  it("a simulation still running at the deadline is cancelled and its answer dropped (Karpenter's timeout context)", () => {
    // Each simulation takes 40 s and then looks at `cancelled`, as the scheduler polls between pods: the second one
    // ([n1, n2], which would pass) ends past the minute, so nothing is returned, as Karpenter's DeadlineExceeded.
    const inner = firstFitSimulator();
    let t = 0;
    const sim: Simulator = {
      simulate: (input) => {
        t += 40_000;
        return input.cancelled?.() ? { unschedulable: [], newNodeClaims: [], cancelled: true } : inner.simulate(input);
      },
    };
    const pass = computeCommand(snapshot, NOW, { simulator: sim, methods: [multiNodeConsolidation], elapsedMs: () => t });
    expect(pass.timeouts).toEqual(["multi"]);
    expect(pass.command).toBeUndefined();
    expect(inner.calls).toBe(1); // only the first, full-prefix simulation finished
  });

  it("out of time before anything passed, it returns no command", () => {
    const slow = slowSimulator(70_000);
    const pass = computeCommand(snapshot, NOW, {
      simulator: slow.sim,
      methods: [multiNodeConsolidation],
      elapsedMs: slow.clock,
    });
    expect(pass.timeouts).toEqual(["multi"]);
    expect(pass.command).toBeUndefined();
    expect(slow.calls()).toBe(1);
  });
});

describe("consolidation skips a cluster state it already found nothing in (Karpenter's ConsolidationState)", () => {
  const snapshot = { nodePools: pools("a"), nodes: [stuck("a1", "a"), stuck("a2", "a"), stuck("a3", "a")] };
  const both = [multiNodeConsolidation, singleNodeConsolidation];

  it("runs no simulation again until the state changes, a candidate changes, or 5 minutes pass", () => {
    const memory = newConsolidationMemory();
    const sim = firstFitSimulator();
    const pass = (stateVersion: number, at = NOW, snap: ClusterSnapshot = snapshot) =>
      computeCommand(snap, at, { simulator: sim, methods: both, memory, stateVersion });

    expect(pass(7).command).toBeUndefined();
    const first = sim.calls;
    expect(first).toBeGreaterThan(0);
    expect(pass(7).rejections).toEqual([]); // nothing looked at again
    expect(sim.calls).toBe(first);

    pass(8); // any object changed
    expect(sim.calls).toBeGreaterThan(first);
    const second = sim.calls;

    pass(8, new Date(NOW.getTime() + 5 * 60_000)); // looked at again at least every 5 minutes
    expect(sim.calls).toBeGreaterThan(second);
    const third = sim.calls;

    // A fourth node (no object version given here changes) is another candidate set: looked at.
    pass(8, new Date(NOW.getTime() + 5 * 60_000), { ...snapshot, nodes: [...snapshot.nodes, stuck("a4", "a")] });
    expect(sim.calls).toBeGreaterThan(third);
  });

  it("without the state's version (capsicum plan, one-off passes) every pass looks again", () => {
    const memory = newConsolidationMemory();
    const sim = firstFitSimulator();
    computeCommand(snapshot, NOW, { simulator: sim, methods: both, memory });
    const first = sim.calls;
    computeCommand(snapshot, NOW, { simulator: sim, methods: both, memory });
    expect(sim.calls).toBe(2 * first);
  });

  it("does not count a state as looked at while a budget held candidates back", () => {
    const capped = { ...snapshot, nodePools: [nodePool("a", { budgets: [{ nodes: "1" }] })] };
    const memory = newConsolidationMemory();
    const sim = firstFitSimulator();
    computeCommand(capped, NOW, { simulator: sim, methods: [singleNodeConsolidation], memory, stateVersion: 3 });
    const first = sim.calls;
    expect(first).toBeGreaterThan(0);
    computeCommand(capped, NOW, { simulator: sim, methods: [singleNodeConsolidation], memory, stateVersion: 3 });
    expect(sim.calls).toBe(2 * first);
  });
});
