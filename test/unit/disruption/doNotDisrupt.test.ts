// karpenter.sh/do-not-disrupt as Karpenter v1.14 reads it (IsDoNotDisruptActive) and the Events it publishes:
// "true" protects for good, a positive Go duration until startTime + duration (no startTime: protected), anything
// else is ignored with an InvalidDoNotDisruptAnnotation Warning in Go's words.
import { doNotDisruptNotice, doNotDisruptState, podDoNotDisruptActive } from "../../../src/disruption/doNotDisrupt";

const START = "2026-03-02T12:00:00Z";
const pod = (value: string | undefined, startTime: string | null = START) => ({
  uid: "u1",
  annotations: value === undefined ? undefined : { "karpenter.sh/do-not-disrupt": value },
  startTime: startTime ?? undefined,
});
const at = (iso: string) => new Date(iso);

describe("do-not-disrupt", () => {
  it("protects for good with true, for a while with a duration, and fails safe without a start time", () => {
    expect(doNotDisruptState(pod(undefined), at(START))).toEqual({ kind: "none" });
    expect(doNotDisruptState(pod("true"), at(START))).toEqual({ kind: "always" });
    expect(doNotDisruptState(pod("5m"), at("2026-03-02T12:04:59Z"))).toEqual({ kind: "until", at: Date.parse("2026-03-02T12:05:00Z") });
    expect(doNotDisruptState(pod("5m"), at("2026-03-02T12:05:00Z"))).toEqual({ kind: "elapsed" });
    expect(podDoNotDisruptActive(pod("5m", null), at("2027-01-01T00:00:00Z"))).toBe(true);
    expect(podDoNotDisruptActive(pod("1h30m"), at("2026-03-02T13:29:00Z"))).toBe(true);
    expect(podDoNotDisruptActive(pod("1h30m"), at("2026-03-02T13:31:00Z"))).toBe(false);
  });

  it("ignores values Go's ParseDuration refuses or that are not positive, with its error", () => {
    const cases: Array<[string, string]> = [
      ["soon", 'failed to parse "soon" as a duration: time: invalid duration "soon"'],
      ["5", 'failed to parse "5" as a duration: time: missing unit in duration "5"'],
      ["5x", 'failed to parse "5x" as a duration: time: unknown unit "x" in duration "5x"'],
      ["Never", 'failed to parse "Never" as a duration: time: invalid duration "Never"'],
      ["0s", 'duration "0s" must be positive'],
      ["-5m", 'duration "-5m" must be positive'],
    ];
    for (const [value, error] of cases) {
      expect(doNotDisruptState(pod(value), at(START))).toEqual({ kind: "invalid", error });
      expect(podDoNotDisruptActive(pod(value), at(START))).toBe(false);
    }
  });

  it("publishes Karpenter's Events", () => {
    expect(doNotDisruptNotice(pod("soon"), at(START))).toEqual({
      type: "Warning",
      reason: "InvalidDoNotDisruptAnnotation",
      message: 'Invalid karpenter.sh/do-not-disrupt annotation: failed to parse "soon" as a duration: time: invalid duration "soon", ignoring annotation',
      dedupeValues: ["u1", 'failed to parse "soon" as a duration: time: invalid duration "soon"'],
    });
    expect(doNotDisruptNotice(pod("10m"), at(START))).toEqual({
      type: "Normal",
      reason: "DoNotDisruptUntil",
      message: "The karpenter.sh/do-not-disrupt grace period will elapse at 2026-03-02T12:10:00Z",
      dedupeValues: ["u1", "2026-03-02T12:10:00Z"],
    });
    expect(doNotDisruptNotice(pod("10m"), at("2026-03-02T12:10:00Z"))).toMatchObject({
      type: "Normal",
      reason: "DoNotDisruptGracePeriodElapsed",
      message: "The karpenter.sh/do-not-disrupt grace period has elapsed, pod is now disruptable",
    });
    expect(doNotDisruptNotice(pod("true"), at(START))).toBeUndefined();
    expect(doNotDisruptNotice(pod(undefined), at(START))).toBeUndefined();
  });
});
