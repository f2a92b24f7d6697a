import { parseDuration, requireDuration } from "../../../src/apis/duration";
import { podDoNotDisruptActive } from "../../../src/disruption/candidates";

describe("durations: Go's time.ParseDuration grammar plus Never", () => {
  it.each([
    ["30s", 30_000],
    ["1h30m", 5_400_000],
    ["720h", 2_592_000_000],
    ["500ms", 500],
    ["1.5h", 5_400_000],
    ["1h0.5m", 3_630_000],
    [".5s", 500],
    ["0", 0],
    ["+2m", 120_000],
    ["-1m", -60_000],
    ["1500us", 1.5],
    ["2000000ns", 2],
  ])("%s = %d ms", (text, ms) => {
    expect(parseDuration(text).ms).toBeCloseTo(ms, 6);
  });

  it('reads "Never" as no duration', () => {
    expect(parseDuration("Never")).toEqual({ ms: null });
  });

  it.each([
    ["", /empty/],
    ["10", /missing unit/],
    ["1hr", /unknown unit "hr"/],
    ["1 day", /unknown unit " day"/],
    ["h", /expected a number/],
    [".s", /expected a number/],
    ["never", /expected a number/],
  ])("rejects %j with the reason", (text, why) => {
    expect(parseDuration(text).error).toMatch(why);
  });

  it("requireDuration names the field", () => {
    expect(() => requireDuration("1hr", "spec.expireAfter")).toThrow(/spec\.expireAfter: invalid duration "1hr"/);
    expect(requireDuration("Never", "spec.expireAfter")).toBeNull();
  });

  it("honours a do-not-disrupt duration in any Go unit (the engine used to ignore 500ms or 1.5h)", () => {
    const pod = (v: string) =>
      ({ annotations: { "karpenter.sh/do-not-disrupt": v }, startTime: "2026-03-02T12:00:00Z" }) as never;
    expect(podDoNotDisruptActive(pod("1.5h"), new Date("2026-03-02T13:00:00Z"))).toBe(true);
    expect(podDoNotDisruptActive(pod("1.5h"), new Date("2026-03-02T13:31:00Z"))).toBe(false);
    expect(podDoNotDisruptActive(pod("500ms"), new Date("2026-03-02T12:00:00.200Z"))).toBe(true);
    expect(podDoNotDisruptActive(pod("5 minutes"), new Date("2026-03-02T12:00:01Z"))).toBe(false);
  });
});

describe("one grammar for the engine and the drift hash", () => {
  it("carries Go's integer nanoseconds, which the hash folds in", () => {
    expect(parseDuration("1h30m").ns).toBe(5_400_000_000_000n);
    expect(parseDuration("1.5s").ns).toBe(1_500_000_000n);
    expect(parseDuration("1500us").ns).toBe(1_500_000n);
    expect(parseDuration("-0").ns).toBe(0n);
    expect(parseDuration("Never").ns).toBeUndefined();
  });

  it("rejects what Go's time.ParseDuration rejects as out of range (the engine used to accept any size)", () => {
    expect(parseDuration("2562047h").error).toBeUndefined();
    expect(parseDuration("2562048h").error).toMatch(/out of range/);
    expect(parseDuration("-2562047h47m16.854775808s").ns).toBe(-(1n << 63n));
  });
});
