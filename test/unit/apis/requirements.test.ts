import { Requirement, Requirements, RequirementError } from "../../../src/apis/requirements";

const reqs = (...r: Array<{ key: string; operator: string; values?: string[]; minValues?: number }>) => Requirements.fromNodeSelector(r);

describe("requirement algebra", () => {
  it("In ∩ In keeps common values", () => {
    const r = Requirement.from({ key: "k", operator: "In", values: ["a", "b"] }).intersect(Requirement.from({ key: "k", operator: "In", values: ["b", "c"] }));
    expect(r.sortedValues()).toEqual(["b"]);
    expect(r.operator()).toBe("In");
  });
  it("NotIn ∩ In removes excluded values", () => {
    const r = Requirement.from({ key: "k", operator: "NotIn", values: ["a"] }).intersect(Requirement.from({ key: "k", operator: "In", values: ["a", "b"] }));
    expect(r.sortedValues()).toEqual(["b"]);
  });
  it("Gt and Lt bound integer values; Gte/Lte are inclusive", () => {
    const gt = Requirement.from({ key: "cpu", operator: "Gt", values: ["4"] });
    expect(gt.has("4")).toBe(false);
    expect(gt.has("8")).toBe(true);
    expect(gt.has("abc")).toBe(false);
    expect(Requirement.from({ key: "cpu", operator: "Gte", values: ["4"] }).has("4")).toBe(true);
    expect(Requirement.from({ key: "cpu", operator: "Lte", values: ["4"] }).has("4")).toBe(true);
    expect(Requirement.from({ key: "cpu", operator: "Lt", values: ["4"] }).has("4")).toBe(false);
    const both = gt.intersect(Requirement.from({ key: "cpu", operator: "Lt", values: ["5"] }));
    expect(both.isEmpty()).toBe(true);
    const inBounded = Requirement.from({ key: "cpu", operator: "In", values: ["2", "8"] }).intersect(gt);
    expect(inBounded.sortedValues()).toEqual(["8"]);
  });
  it("Exists ∩ DoesNotExist is empty", () => {
    expect(Requirement.exists("k").intersect(Requirement.doesNotExist("k")).isEmpty()).toBe(true);
  });
  it("minValues takes the max when intersecting", () => {
    const r = Requirement.from({ key: "k", operator: "In", values: ["a", "b", "c"], minValues: 2 }).intersect(Requirement.from({ key: "k", operator: "Exists", minValues: 3 }));
    expect(r.minValues).toBe(3);
  });
  it("bad operators and values name the field and the fix", () => {
    expect(() => reqs({ key: "k", operator: "Gt", values: ["x"] })).toThrow(RequirementError);
    expect(() => reqs({ key: "k", operator: "Gt", values: ["x"] })).toThrow(/requirements\[0\]\.values.*integer/);
    expect(() => reqs({ key: "k", operator: "Foo" })).toThrow(/one of In, NotIn/);
    expect(() => reqs({ key: "k", operator: "In", values: [] })).toThrow(/Exists/);
  });
  it("compatibility: undefined custom labels are denied, well-known allowed, NotIn tolerated", () => {
    const pool = reqs({ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] });
    expect(pool.compatible(reqs({ key: "team", operator: "In", values: ["a"] }))).toMatch(/team.*does not have known values/);
    expect(pool.compatible(reqs({ key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a"] }))).toBeUndefined();
    expect(pool.compatible(reqs({ key: "team", operator: "NotIn", values: ["a"] }))).toBeUndefined();
    expect(pool.compatible(reqs({ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }))).toMatch(/capacity-type/);
  });
  it("aliases normalise to stable keys", () => {
    const r = reqs({ key: "failure-domain.beta.kubernetes.io/zone", operator: "In", values: ["z"] });
    expect(r.get("topology.kubernetes.io/zone")?.has("z")).toBe(true);
  });
  it("matchLabels checks concrete node labels", () => {
    const r = reqs({ key: "a", operator: "In", values: ["1"] }, { key: "b", operator: "DoesNotExist" });
    expect(r.matchLabels({ a: "1" })).toBeUndefined();
    expect(r.matchLabels({ a: "1", b: "x" })).toMatch(/b/);
    expect(r.matchLabels({})).toMatch(/a=<absent>/);
  });
});
