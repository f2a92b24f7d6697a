import { cachedExistence } from "../../../policies/lookups";

describe("cached EC2NodeClass existence lookup", () => {
  it("maps 404 to false, success to true, other errors to unknown, and caches within the TTL", async () => {
    let t = 0;
    const calls: string[] = [];
    const get = async (name: string) => {
      calls.push(name);
      if (name === "missing") throw Object.assign(new Error("nf"), { status: 404 });
      if (name === "broken") throw Object.assign(new Error("forbidden"), { status: 403 });
      return {};
    };
    const exists = cachedExistence(get, 1000, { now: () => t });
    expect(await exists("default")).toBe(true);
    expect(await exists("missing")).toBe(false);
    expect(await exists("broken")).toBeUndefined();
    await exists("default");
    expect(calls.filter(c => c === "default")).toHaveLength(1);
    t = 2000;
    await exists("default");
    expect(calls.filter(c => c === "default")).toHaveLength(2);
    await exists("broken");
    expect(calls.filter(c => c === "broken")).toHaveLength(2); // unknown results are not cached
  });
});
