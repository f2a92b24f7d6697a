import { cachedExistence, cachedLoader, MAX_CACHED_KEYS } from "../../../policies/lookups";

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
    expect(calls.filter((c) => c === "default")).toHaveLength(1);
    t = 2000;
    await exists("default");
    expect(calls.filter((c) => c === "default")).toHaveLength(2);
    await exists("broken");
    expect(calls.filter((c) => c === "broken")).toHaveLength(2); // unknown results are not cached
  });
});

describe("lookups during a burst", () => {
  it("callers that ask while a lookup is in flight share its one request", async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = cachedLoader(async (ns: string) => {
      calls++;
      await gate;
      return `policy of ${ns}`;
    });
    const asked = Array.from({ length: 50 }, () => load("team-a"));
    release();
    expect(new Set(await Promise.all(asked))).toEqual(new Set(["policy of team-a"]));
    expect(calls).toBe(1);
    await load("team-a");
    expect(calls).toBe(1); // then cached
  });

  it("a failed lookup is shared by the callers waiting on it and not cached", async () => {
    let calls = 0;
    const load = cachedLoader(async () => {
      calls++;
      throw new Error("apiserver unavailable");
    });
    const r = await Promise.allSettled([load("x"), load("x")]);
    expect(r.map((x) => x.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    await expect(load("x")).rejects.toThrow("apiserver unavailable");
    expect(calls).toBe(2);
  });

  it("an absent object reported as undefined (the pooled client's 404) is false", async () => {
    const exists = cachedExistence(async () => undefined);
    expect(await exists("gone")).toBe(false);
  });

  it("keeps at most MAX_CACHED_KEYS entries, dropping the oldest", async () => {
    const loaded: string[] = [];
    const load = cachedLoader(async (k: string) => {
      loaded.push(k);
      return k;
    });
    for (let i = 0; i <= MAX_CACHED_KEYS; i++) await load(`ns-${i}`);
    loaded.length = 0;
    await load(`ns-${MAX_CACHED_KEYS}`); // newest: still cached
    await load("ns-1"); // still cached
    await load("ns-0"); // the oldest was dropped
    expect(loaded).toEqual(["ns-0"]);
  });
});
