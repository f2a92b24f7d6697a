// A solve stopped part-way, as Karpenter's scheduling simulation under a context deadline (multi-node
// consolidation's 1-minute timeout cancels a simulation in progress): the pods it never tried are left
// unschedulable and the result says it is incomplete; a solve that is never cancelled is unchanged.
import { nodePool, pod, pods, run } from "./helpers";

const backlog = () => pods(6, (i) => pod({ name: `p${i}`, cpu: "1" }));

describe("a cancelled solve", () => {
  it("stops at the first poll that answers true: the pods after it are not tried", () => {
    let polls = 0;
    const r = run({ pods: backlog(), nodePools: [nodePool()], options: { cancelled: () => ++polls > 2 } });
    expect(r.cancelled).toBe(true);
    expect(r.unschedulable).toHaveLength(4);
    expect(r.unschedulable.every((u) => u.reason.includes("cancelled"))).toBe(true);
    expect(r.newNodeClaims.flatMap((c) => c.pods)).toHaveLength(2);
    expect(polls).toBe(3); // once it answered true it is not asked again
  });

  it("cancelled before the first pod: nothing is planned", () => {
    const r = run({ pods: backlog(), nodePools: [nodePool()], options: { cancelled: () => true } });
    expect(r.cancelled).toBe(true);
    expect(r.newNodeClaims).toEqual([]);
    expect(r.unschedulable).toHaveLength(6);
  });

  it("never cancelled: the same plan as without the option, and no cancelled flag", () => {
    const plain = run({ pods: backlog(), nodePools: [nodePool()] });
    const polled = run({ pods: backlog(), nodePools: [nodePool()], options: { cancelled: () => false } });
    expect(polled.cancelled).toBeUndefined();
    expect(polled).toEqual(plain);
  });
});
