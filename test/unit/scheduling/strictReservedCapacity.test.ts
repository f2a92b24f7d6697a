// The provisioner's strict reserved-offering mode, modelled on Karpenter's scheduling suite ("Reserved Capacity":
// "shouldn't fallback to on-demand or spot when compatible reserved offerings are available", "should correctly
// track reservations shared across nodepools", "... distinct reservations for the same instance pool", "... multiple
// reservations for the same instance pool", "shouldn't fallback to a lower weight NodePool if a reserved offering is
// available", "shouldn't relax preferences when a pod fails to schedule due to a reserved offering error"). In strict
// mode a pod whose compatible reservations are all held by this solve's NodeClaims is deferred (not relaxed, not sent
// to a lower-weight pool, not planned on-demand); fallback mode (disruption's) plans it in other capacity types.
import { reservedOffering } from "../../../src/cloudprovider/aws/reservedOfferings";
import type { InstanceType } from "../../../src/cloudprovider/types";
import type { SchedulingInput } from "../../../src/scheduling/types";
import { catalog, nodePool, pod, pods, run } from "./helpers";

const CT = "karpenter.sh/capacity-type";
const RID = "karpenter.k8s.aws/capacity-reservation-id";
const IT = "node.kubernetes.io/instance-type";
const NP = "karpenter.sh/nodepool";

/** The catalog with default ODCRs (type -> id, free slots) in us-east-1a. */
function withReservations(rs: Array<[type: string, id: string, count: number]>, base: InstanceType[] = catalog): InstanceType[] {
  return base.map((it) => {
    const mine = rs.filter(([t]) => t === it.name);
    if (!mine.length) return it;
    const zones = new Set(it.offerings.map((o) => o.zone));
    return { ...it, offerings: [...it.offerings, ...mine.map(([type, id, n]) => reservedOffering(it, { id, availabilityZone: "us-east-1a", instanceType: type, ownerID: "012345678901", instanceMatchCriteria: "targeted", reservationType: "default", interruptible: false, state: "active" }, n, zones))] };
  });
}
const cts = { key: CT, operator: "In", values: ["reserved", "on-demand"] };
const pool = (name: string, weight?: number) => nodePool(name, { weight, requirements: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }, cts] });
const req = (c: { requirements: Array<{ key: string; values?: string[] }> }, key: string) => c.requirements.find((r) => r.key === key)?.values;
const apart = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "test" } }, topologyKey: "kubernetes.io/hostname" }] } };
const onTypes = (...types: string[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: IT, operator: "In", values: types }] }] } } });
const strict = (input: Partial<SchedulingInput> & { pods: SchedulingInput["pods"] }) => run({ ...input, options: { ...input.options, reservedOfferingMode: "Strict" } });
const deferred = (r: ReturnType<typeof run>) => r.unschedulable.filter((u) => u.deferred).map((u) => u.key).sort();

describe("strict reserved-offering mode (Karpenter's provisioner: DisableReservedCapacityFallback)", () => {
  // 1.5 vCPU fits a c5.large or m5.large alone; two need an m5.xlarge, which has no reservation.
  const types = withReservations([["c5.large", "cr-c5", 1], ["m5.large", "cr-m5", 1]]);
  const three = () => pods(3, (i) => pod({ name: `p${i}`, cpu: "1500m", affinity: onTypes("c5.large", "m5.large", "m5.xlarge") }));

  it("does not fall back to on-demand while a compatible reservation exists: one NodeClaim holds both, the rest wait", () => {
    const r = strict({ instanceTypes: types, nodePools: [pool("default")], pods: three() });
    expect(r.newNodeClaims).toHaveLength(1);
    const [c] = r.newNodeClaims;
    expect(c!.capacityType).toBe("reserved");
    expect(req(c!, CT)).toEqual(["reserved"]);
    // Pessimistic: the launch may pick either type, so the claim holds both reservations.
    expect(req(c!, RID)).toEqual(["cr-c5", "cr-m5"]);
    expect(deferred(r)).toEqual(["default/p1", "default/p2"]);
    expect(r.unschedulable.every((u) => u.deferred)).toBe(true);
  });

  it("the same solve in fallback mode (disruption's) plans the others on-demand", () => {
    const r = run({ instanceTypes: types, nodePools: [pool("default")], pods: three() });
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodeClaims.map((c) => c.capacityType).sort()).toEqual(["on-demand", "on-demand", "reserved"]);
    for (const c of r.newNodeClaims.filter((x) => x.capacityType !== "reserved")) expect(req(c, RID)).toBeUndefined();
  });

  it("with the reservations full (launched earlier) the pods are planned on-demand, none deferred", () => {
    const full = withReservations([["c5.large", "cr-c5", 0], ["m5.large", "cr-m5", 0]]);
    const r = strict({ instanceTypes: full, nodePools: [pool("default")], pods: three() });
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodeClaims.every((c) => c.capacityType === "on-demand")).toBe(true);
  });

  it("tracks a reservation shared by two NodePools: one reserved NodeClaim, the other pod deferred", () => {
    const shared = withReservations([["m5.large", "cr-1", 1]]);
    const ps = pods(2, (i) => pod({ name: `p${i}`, labels: { app: "test" }, nodeSelector: { [NP]: `np-${i + 1}` }, affinity: { ...apart, ...onTypes("m5.large") } }));
    const r = strict({ instanceTypes: shared, nodePools: [pool("np-1"), pool("np-2")], pods: ps });
    expect(r.newNodeClaims).toHaveLength(1);
    expect(r.newNodeClaims[0]).toMatchObject({ capacityType: "reserved", nodePool: "np-1" });
    expect(req(r.newNodeClaims[0]!, RID)).toEqual(["cr-1"]);
    expect(deferred(r)).toEqual(["default/p1"]);
  });

  it("distinct reservations of two NodePools for the same type: both pods reserved, each in its own", () => {
    const ps = pods(2, (i) => pod({ name: `p${i}`, labels: { app: "test" }, nodeSelector: { [NP]: `np-${i + 1}` }, affinity: { ...apart, ...onTypes("m5.large") } }));
    const r = strict({
      instanceTypes: catalog, nodePools: [pool("np-1"), pool("np-2")], pods: ps,
      instanceTypesByNodePool: { "np-1": withReservations([["m5.large", "cr-1", 1]]), "np-2": withReservations([["m5.large", "cr-2", 1]]) },
    });
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodeClaims.map((c) => [c.nodePool, c.capacityType, req(c, RID)])).toEqual([["np-1", "reserved", ["cr-1"]], ["np-2", "reserved", ["cr-2"]]]);
  });

  it("two reservations for one type (1 + 2 slots), four pods apart: two reserved NodeClaims, two deferred", () => {
    const two = withReservations([["m5.large", "cr-a", 1], ["m5.large", "cr-b", 2]]);
    const ps = pods(4, (i) => pod({ name: `p${i}`, labels: { app: "test" }, affinity: { ...apart, ...onTypes("m5.large") } }));
    const r = strict({ instanceTypes: two, nodePools: [pool("default")], pods: ps });
    expect(r.newNodeClaims.map((c) => [c.capacityType, req(c, RID)])).toEqual([["reserved", ["cr-a", "cr-b"]], ["reserved", ["cr-b"]]]);
    expect(deferred(r)).toHaveLength(2);
  });

  it("does not fall back to a lower-weight NodePool with a free reservation while the higher one's is taken", () => {
    const ps = pods(2, (i) => pod({ name: `p${i}`, labels: { app: "test" }, affinity: { ...apart, ...onTypes("m5.large") } }));
    const input = {
      instanceTypes: catalog, nodePools: [pool("np-primary", 100), pool("np-fallback", 50)], pods: ps,
      instanceTypesByNodePool: { "np-primary": withReservations([["m5.large", "cr-primary", 1]]), "np-fallback": withReservations([["m5.large", "cr-fallback", 1]]) },
    };
    const r = strict(input);
    expect(r.newNodeClaims.map((c) => [c.nodePool, c.capacityType, req(c, RID)])).toEqual([["np-primary", "reserved", ["cr-primary"]]]);
    expect(deferred(r)).toEqual(["default/p1"]);
    expect(r.unschedulable[0]!.reason).toMatch(/np-primary.*could not be reserved/);
    // Fallback mode: the higher-weight pool still takes the pod, in its other capacity types.
    const f = run(input);
    expect(f.newNodeClaims.map((c) => [c.nodePool, c.capacityType])).toEqual([["np-primary", "reserved"], ["np-primary", "on-demand"]]);
  });

  it("does not relax a preference when the preferred NodePool's reservation is taken: the pod waits", () => {
    // np-1 sorts first: a relaxed pod (preference dropped) would take np-1's free reservation in this solve.
    const prefer = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: NP, operator: "In", values: ["np-2"] }] } }], requiredDuringSchedulingIgnoredDuringExecution: onTypes("m5.large").nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution } };
    const ps = pods(2, (i) => pod({ name: `p${i}`, labels: { app: "test" }, affinity: { ...apart, ...prefer } }));
    const input = {
      instanceTypes: catalog, nodePools: [pool("np-1"), pool("np-2")], pods: ps,
      instanceTypesByNodePool: { "np-1": withReservations([["m5.large", "cr-distinct", 1]]), "np-2": withReservations([["m5.large", "cr-2", 1]]) },
    };
    const r = strict(input);
    expect(r.newNodeClaims.map((c) => [c.nodePool, req(c, RID)])).toEqual([["np-2", ["cr-2"]]]);
    expect(deferred(r)).toEqual(["default/p1"]);
    // Fallback mode: no error, so the preferred pool plans the second pod on-demand.
    expect(run(input).newNodeClaims.map((c) => [c.nodePool, c.capacityType])).toEqual([["np-2", "reserved"], ["np-2", "on-demand"]]);
  });
});
