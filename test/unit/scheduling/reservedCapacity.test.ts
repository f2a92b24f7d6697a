// Reserved capacity in the scheduler, modelled on Karpenter's scheduling suite ("Reserved Capacity") and its
// ReservationManager: a near-free reserved offering draws the plan to its instance type; each NodeClaim that holds a
// slot is pinned to `reserved` and the reservation id, a reservation never backs more NodeClaims than it has room
// for (the rest are planned on-demand), and a pool that does not allow `reserved` ignores it; reservation id/type
// requirements select offerings while bin-packing (a reserved offering has its reservation's labels, others none).
import { reservedOffering } from "../../../src/cloudprovider/aws/reservedOfferings";
import type { InstanceType } from "../../../src/cloudprovider/types";
import { catalog, nodePool, pod, pods, run } from "./helpers";

const CT = "karpenter.sh/capacity-type";
const RID = "karpenter.k8s.aws/capacity-reservation-id";

/** The catalog with a default ODCR for `type` in us-east-1a with `count` free slots. */
function withReservation(type: string, id: string, count: number, base: InstanceType[] = catalog): InstanceType[] {
  return base.map((it) => it.name !== type ? it : {
    ...it,
    offerings: [...it.offerings, reservedOffering(it, { id, availabilityZone: "us-east-1a", instanceType: type, ownerID: "012345678901", instanceMatchCriteria: "targeted", reservationType: "default", interruptible: false, state: "active" }, count, new Set(it.offerings.map((o) => o.zone)))],
  });
}
const pool = (cts: string[]) => nodePool("default", { requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, { key: CT, operator: "In", values: cts }] });
const req = (c: { requirements: Array<{ key: string; values?: string[] }> }, key: string) => c.requirements.find((r) => r.key === key)?.values;

describe("reserved capacity in the scheduler", () => {
  it("one big pod per node, two slots in an m5.4xlarge ODCR: two reserved NodeClaims pinned to it, the third on-demand", () => {
    const types = withReservation("m5.4xlarge", "cr-1", 2);
    const apart = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "big" } }, topologyKey: "kubernetes.io/hostname" }] } };
    const r = run({ instanceTypes: types, nodePools: [pool(["reserved", "on-demand"])], pods: pods(3, (i) => pod({ name: `big${i}`, cpu: "12", labels: { app: "big" }, affinity: apart })) });
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodeClaims).toHaveLength(3);
    const reserved = r.newNodeClaims.filter((c) => c.capacityType === "reserved");
    expect(reserved).toHaveLength(2);
    for (const c of reserved) {
      expect(req(c, CT)).toEqual(["reserved"]);
      expect(req(c, RID)).toEqual(["cr-1"]);
      expect(c.instanceType).toBe("m5.4xlarge");
      expect(c.pricePerHour).toBeLessThan(0.001);
    }
    const rest = r.newNodeClaims.find((c) => c.capacityType !== "reserved")!;
    expect(rest.capacityType).toBe("on-demand");
    expect(req(rest, RID)).toBeUndefined();
  });

  it("a NodePool that allows only spot and on-demand never plans into the reservation", () => {
    const types = withReservation("m5.4xlarge", "cr-1", 5);
    const r = run({ instanceTypes: types, nodePools: [pool(["spot", "on-demand"])], pods: [pod({ name: "p", cpu: "12" })] });
    expect(r.newNodeClaims[0]!.capacityType).toBe("spot");
    expect(req(r.newNodeClaims[0]!, RID)).toBeUndefined();
  });

  it("a reserved-only NodePool plans reserved and stays reserved even when the reservation is taken (the launch decides)", () => {
    const types = withReservation("m5.4xlarge", "cr-1", 1);
    const r = run({ instanceTypes: types, nodePools: [pool(["reserved"])], pods: pods(2, (i) => pod({ name: `r${i}`, cpu: "12" })) });
    expect(r.newNodeClaims.map((c) => c.capacityType)).toEqual(["reserved", "reserved"]);
    expect(r.newNodeClaims.map((c) => req(c, RID))).toEqual([["cr-1"], undefined]);
  });

  it("a reservation with no room is not offered: the pods go on-demand", () => {
    const types = withReservation("m5.4xlarge", "cr-1", 0);
    const r = run({ instanceTypes: types, nodePools: [pool(["reserved", "on-demand"])], pods: [pod({ name: "p", cpu: "12" })] });
    expect(r.newNodeClaims[0]!.capacityType).toBe("on-demand");
  });
});

describe("capacity-reservation requirements while bin-packing (offering labels, as Karpenter's offering requirements)", () => {
  const two = () => withReservation("m5.xlarge", "cr-2", 1, withReservation("m5.large", "cr-1", 1));
  const wants = (key: string, values: string[], name = "p") => pod({ name, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: "In", values }] }] } } } });

  it("a pod requiring one reservation is planned only on that reservation's offerings", () => {
    const r = run({ instanceTypes: two(), nodePools: [pool(["reserved", "on-demand"])], pods: [wants(RID, ["cr-2"])] });
    expect(r.unschedulable).toEqual([]);
    const [c] = r.newNodeClaims;
    expect(c).toMatchObject({ capacityType: "reserved", instanceType: "m5.xlarge" });
    expect(c!.instanceTypeOptions.map((t) => t.name)).toEqual(["m5.xlarge"]);
    expect(req(c!, RID)).toEqual(["cr-2"]);
  });

  it("with that reservation full the pod is unschedulable: no other offering carries its id (not planned on-demand)", () => {
    const full = withReservation("m5.xlarge", "cr-2", 0, withReservation("m5.large", "cr-1", 1));
    const r = run({ instanceTypes: full, nodePools: [pool(["reserved", "on-demand"])], pods: [wants(RID, ["cr-2"])] });
    expect(r.newNodeClaims).toEqual([]);
    expect(r.unschedulable.map((u) => u.key)).toEqual(["default/p"]);
  });

  it("a reservation-type requirement no reservation meets leaves the pod unschedulable", () => {
    const r = run({ instanceTypes: two(), nodePools: [pool(["reserved", "on-demand"])], pods: [wants("karpenter.k8s.aws/capacity-reservation-type", ["capacity-block"])] });
    expect(r.newNodeClaims).toEqual([]);
    expect(r.unschedulable).toHaveLength(1);
  });

  it("a pod that must avoid reservations (reservation-id DoesNotExist) cannot use a reserved-only NodePool; on-demand serves it", () => {
    const avoid = () => pod({ name: "p", affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: RID, operator: "DoesNotExist" }] }] } } } });
    const types = withReservation("m5.4xlarge", "cr-1", 5);
    const only = run({ instanceTypes: types, nodePools: [pool(["reserved"])], pods: [avoid()] });
    expect(only.newNodeClaims).toEqual([]);
    expect(only.unschedulable).toHaveLength(1);
    const both = run({ instanceTypes: types, nodePools: [pool(["reserved", "on-demand"])], pods: [avoid()] });
    expect(both.newNodeClaims.map((c) => [c.capacityType, req(c, RID)])).toEqual([["on-demand", undefined]]);
  });
});
