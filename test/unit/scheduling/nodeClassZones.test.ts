// Only the EC2NodeClass's zones are planned. The static catalog offers types in six us-east-1 zones, but a
// NodeClass whose subnets are in two can only launch there: planning a third zone made every launch fail, the
// NodeClaim got deleted and re-planned into the same zone (the 314-NodeClaim churn of issue 13).
import { restrictToZones } from "../../../src/cloudprovider/aws/catalog";
import { catalog, nodePool, pod, pods, run, ZONE } from "./helpers";

const SUBNET_ZONES = ["us-east-1a", "us-east-1b"];
const app = { app: "web" };
const spread = (minDomains?: number, when = "DoNotSchedule") => [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: when, labelSelector: { matchLabels: app }, minDomains }];
const launchable = restrictToZones(catalog, SUBNET_ZONES);
/** Every zone a planned NodeClaim could launch in: its options' offerings that its zone requirement allows. */
const zonesOfClaims = (r: ReturnType<typeof run>) => new Set(r.newNodeClaims.flatMap(c => {
  const req = c.requirements.find(x => x.key === ZONE);
  const allowed = (z: string) => !req || (req.operator === "In" ? req.values!.includes(z) : req.operator === "NotIn" ? !req.values!.includes(z) : true);
  return c.instanceTypeOptions.flatMap(t => t.offerings.filter(o => o.available && allowed(o.zone)).map(o => o.zone));
}));

describe("offerings restricted to the NodeClass's subnet zones", () => {
  it("the unrestricted catalog plans a 12-replica zone spread into zones with no subnet (the churn's cause)", () => {
    const r = run({ pods: pods(12, i => pod({ name: `w${i}`, labels: app, topologySpreadConstraints: spread() })) });
    const planned = new Set(r.newNodeClaims.map(c => c.zone));
    expect([...planned].some(z => !SUBNET_ZONES.includes(z!))).toBe(true);
  });

  it("restricted, the same spread places all 12 pods 6/6 in the two subnet zones and no claim can launch elsewhere", () => {
    const r = run({ instanceTypes: launchable, pods: pods(12, i => pod({ name: `w${i}`, labels: app, topologySpreadConstraints: spread() })) });
    expect(r.unschedulable).toEqual([]);
    const counts = new Map<string, number>();
    for (const c of r.newNodeClaims) counts.set(c.zone!, (counts.get(c.zone!) ?? 0) + c.pods.length);
    expect(Object.fromEntries(counts)).toEqual({ "us-east-1a": 6, "us-east-1b": 6 });
    expect([...zonesOfClaims(r)].sort()).toEqual(SUBNET_ZONES);
  });

  it("zone affinity to a zone without a subnet is unschedulable with a reason, creating no NodeClaim", () => {
    const p = pod({ name: "pinned", nodeSelector: { [ZONE]: "us-east-1c" } });
    const r = run({ instanceTypes: launchable, pods: [p] });
    expect(r.newNodeClaims).toEqual([]);
    expect(r.unschedulable).toHaveLength(1);
    expect(r.unschedulable[0]!.reason).toMatch(/zone|offering|instance type/i);
  });

  it("required node affinity across a subnet zone and a subnet-less one lands only in the subnet zone", () => {
    const ps = pods(4, i => pod({ name: `a${i}`, cpu: "2", affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: "In", values: ["us-east-1b", "us-east-1d"] }] }] } } } }));
    const r = run({ instanceTypes: launchable, pods: ps });
    expect(r.unschedulable).toEqual([]);
    expect([...zonesOfClaims(r)]).toEqual(["us-east-1b"]);
  });

  it("minDomains counts only subnet zones: 3 domains required, 2 exist, so at most maxSkew pods per zone", () => {
    const r = run({ instanceTypes: launchable, pods: pods(6, i => pod({ name: `m${i}`, labels: app, topologySpreadConstraints: spread(3) })) });
    const placed = r.newNodeClaims.reduce((n, c) => n + c.pods.length, 0);
    expect(placed).toBe(2);
    expect(new Set(r.newNodeClaims.map(c => c.zone))).toEqual(new Set(SUBNET_ZONES));
    expect(r.unschedulable).toHaveLength(4);
    expect(r.unschedulable[0]!.reason).toMatch(/topology spread/);
  });

  it("a NodePool's zone requirement narrows further: spread only over its subnet zones", () => {
    const np = nodePool("default", { requirements: [{ key: ZONE, operator: "In", values: ["us-east-1b", "us-east-1c"] }] });
    const r = run({ instanceTypes: launchable, nodePools: [np], pods: pods(3, i => pod({ name: `n${i}`, labels: app, topologySpreadConstraints: spread() })) });
    expect(r.unschedulable).toEqual([]);
    expect(new Set(r.newNodeClaims.map(c => c.zone))).toEqual(new Set(["us-east-1b"]));
    expect([...zonesOfClaims(r)]).toEqual(["us-east-1b"]);
  });

  it("restrictToZones drops types offered in none of the zones and keeps offerings' prices", () => {
    const only = restrictToZones(catalog, ["us-east-1e"]);
    expect(only.length).toBeGreaterThan(0);
    expect(only.length).toBeLessThan(catalog.length);
    expect(only.every(t => t.offerings.every(o => o.zone === "us-east-1e"))).toBe(true);
    expect(restrictToZones(catalog, [])).toEqual([]);
    expect(restrictToZones(catalog, SUBNET_ZONES)).toBe(launchable); // cached for the scheduler's per-array caches
  });
});
