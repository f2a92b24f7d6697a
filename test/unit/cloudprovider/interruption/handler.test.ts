import { InterruptionHandler, type InterruptedNodeClaim, type InterruptionDeps, type QueueMessage } from "../../../../src/cloudprovider/aws/interruption/handler";
import { rebalance, scheduledChange, spotWarning, stateChange } from "./events";

const msg = (id: string, body: unknown): QueueMessage => ({ messageId: id, receiptHandle: `rh-${id}`, body: typeof body === "string" ? body : JSON.stringify(body) });

function setup(messages: QueueMessage[], claims: Record<string, InterruptedNodeClaim>) {
  const queue = [...messages];
  const log: string[] = [];
  const deps: InterruptionDeps = {
    receive: async () => queue.splice(0, 10),
    deleteMessage: async m => { log.push(`delete ${m.messageId}`); },
    nodeClaimForInstance: async id => claims[id],
    cordonAndDisrupt: async (nc, reason) => { log.push(`disrupt ${nc.name} ${reason}`); },
    markUnavailable: async (t, z, ct) => { log.push(`ice ${t}/${z}/${ct}`); },
  };
  return { deps, log, queue };
}
const spotClaim: InterruptedNodeClaim = { name: "nc-spot", instanceType: "m5.large", zone: "us-east-1a", capacityType: "spot" };

describe("InterruptionHandler", () => {
  it("marks the spot offering unavailable, disrupts the NodeClaim, then deletes the message", async () => {
    const { deps, log } = setup([msg("1", spotWarning)], { "i-1234567890abcdef0": spotClaim });
    const res = await new InterruptionHandler(deps).processBatch();
    expect(log).toEqual(["ice m5.large/us-east-1a/spot", "disrupt nc-spot SpotInterrupted", "delete 1"]);
    expect(res).toMatchObject({ received: 1, deleted: 1 });
  });
  it("cordons and drains on scheduled changes and stop/terminate state changes, but only records rebalance recommendations", async () => {
    const od = { name: "nc-od", instanceType: "m5.large", zone: "us-east-1b", capacityType: "on-demand" };
    const { deps, log } = setup([msg("a", scheduledChange), msg("b", stateChange("stopping")), msg("c", stateChange("terminated")), msg("d", rebalance)],
      { "i-abcd1111": od, "i-0aaaabbbbccccdddd": spotClaim });
    await new InterruptionHandler(deps).processBatch();
    // Messages are handled concurrently (as Karpenter, 10 at a time): each one's action precedes its delete.
    expect([...log].sort()).toEqual(["delete a", "delete b", "delete c", "delete d", "disrupt nc-od InstanceStopping", "disrupt nc-od InstanceTerminating", "disrupt nc-od InstanceUnhealthy"]);
    for (const [action, del] of [["disrupt nc-od InstanceUnhealthy", "delete a"], ["disrupt nc-od InstanceStopping", "delete b"], ["disrupt nc-od InstanceTerminating", "delete c"]])
      expect(log.indexOf(action)).toBeLessThan(log.indexOf(del));
  });
  it("handles up to 10 messages of a batch at once, not one after another", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `i-${String(i).padStart(8, "0")}`);
    const claims = Object.fromEntries(ids.map((id, i) => [id, { ...spotClaim, name: `nc-${i}` }]));
    const { deps } = setup(ids.map((id, i) => msg(String(i), stateChange("stopping", id))), claims);
    let inFlight = 0;
    let peak = 0;
    deps.cordonAndDisrupt = async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    };
    const res = await new InterruptionHandler(deps).processBatch();
    expect(res).toMatchObject({ received: 10, deleted: 10 });
    expect(peak).toBe(10);
  });
  it("keeps a message on the queue when its action fails, so a retry (or a restart) handles it", async () => {
    const { deps, log } = setup([msg("1", spotWarning), msg("2", stateChange("stopping"))], { "i-1234567890abcdef0": spotClaim, "i-abcd1111": spotClaim });
    let failures = 1;
    deps.cordonAndDisrupt = async (nc, reason) => {
      if (reason === "SpotInterrupted" && failures-- > 0) throw new Error("apiserver unavailable");
      log.push(`disrupt ${nc.name} ${reason}`);
    };
    const res = await new InterruptionHandler(deps).processBatch();
    expect(res.outcomes[0]).toMatchObject({ status: "failed", error: "apiserver unavailable" });
    expect(log).toEqual(["ice m5.large/us-east-1a/spot", "disrupt nc-spot InstanceStopping", "delete 2"]);
    // Redelivery of the same message succeeds and is harmless to repeat.
    const again = setup([msg("1", spotWarning)], { "i-1234567890abcdef0": spotClaim });
    await new InterruptionHandler(again.deps).processBatch();
    expect(again.log).toContain("delete 1");
  });
  it("a capacity reservation interruption marks the reservation unavailable, then cordons and drains (Karpenter's markUnavailableOfferings)", async () => {
    const crWarning = { ...stateChange("x"), "detail-type": "EC2 Capacity Reservation Instance Interruption Warning", detail: { "instance-id": "i-abcd1111" } };
    const reserved = { name: "nc-r", instanceType: "p5.48xlarge", zone: "us-east-1a", capacityType: "reserved", reservationID: "cr-1" };
    const { deps, log } = setup([msg("1", crWarning)], { "i-abcd1111": reserved });
    deps.markReservationUnavailable = (id) => log.push(`reservation ${id} unavailable`);
    await new InterruptionHandler(deps).processBatch();
    expect(log).toEqual(["reservation cr-1 unavailable", "disrupt nc-r CapacityReservationInstanceInterrupted", "delete 1"]);
  });
  it("deletes unknown, malformed and unmanaged-instance messages without acting", async () => {
    const { deps, log } = setup([msg("x", "garbage"), msg("y", { foo: 1 }), msg("z", spotWarning)], {});
    const res = await new InterruptionHandler(deps).processBatch();
    expect(log).toEqual(["delete x", "delete y", "delete z"]);
    expect(res.outcomes.map(o => o.status)).toEqual(["ignored", "ignored", "handled"]);
  });
  it("does not disrupt a NodeClaim that is already being deleted (duplicates are harmless)", async () => {
    const { deps, log } = setup([msg("1", stateChange("terminated")), msg("2", stateChange("terminated"))], { "i-abcd1111": { ...spotClaim, deleting: true } });
    await new InterruptionHandler(deps).processBatch();
    expect(log).toEqual(["delete 1", "delete 2"]);
  });
  it("survives a failing delete (the message is simply redelivered)", async () => {
    const { deps } = setup([msg("1", rebalance)], {});
    deps.deleteMessage = async () => { throw new Error("throttled"); };
    await expect(new InterruptionHandler(deps).processBatch()).resolves.toMatchObject({ received: 1, deleted: 0 });
  });
});
