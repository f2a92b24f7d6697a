import { jsonEqual } from "../../../src/apis/jsonEqual";

describe("jsonEqual", () => {
  it("ignores object key order at every depth, as the apiserver serves a custom resource's keys sorted", () => {
    const written = { type: "Ready", status: "True", nested: { z: 1, a: [{ y: 2, b: 3 }] } };
    const served = JSON.parse(JSON.stringify({ nested: { a: [{ b: 3, y: 2 }], z: 1 }, status: "True", type: "Ready" }));
    expect(JSON.stringify(written)).not.toBe(JSON.stringify(served));
    expect(jsonEqual(written, served)).toBe(true);
  });

  it("keeps array order significant", () => {
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual([{ a: 1 }], [{ a: 1 }, { a: 1 }])).toBe(false);
  });

  it("treats a key whose value is undefined as absent, as JSON does", () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual({ a: 1, b: null }, { a: 1 })).toBe(false);
  });

  it("tells different values, types and shapes apart", () => {
    expect(jsonEqual({ a: 1 }, { a: "1" })).toBe(false);
    expect(jsonEqual({ a: 1 }, { b: 1 })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual("x", "x")).toBe(true);
    expect(jsonEqual({ a: { b: [1, { c: true }] } }, { a: { b: [1, { c: false }] } })).toBe(false);
  });
});
