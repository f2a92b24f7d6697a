import {
  BUDGET_SCHEDULE_PATTERN,
  firesAt,
  isWindowActive,
  matchesBudgetSchedulePattern,
  parseCron,
  type CronSchedule,
} from "../../../src/apis/cron";
import { validateNodePool } from "../../../policies/validate";
import { nodePool } from "../policies/fixtures";

function schedule(expr: string): CronSchedule {
  const r = parseCron(expr);
  if (!r.schedule) throw new Error(r.error);
  return r.schedule;
}

describe("budget cron schedules (robfig/cron standard parser, as Karpenter)", () => {
  it("matches lists, ranges, steps and names", () => {
    const s = schedule("*/15 8-10 * jan,mar *");
    expect(firesAt(s, new Date("2026-03-02T08:45:00Z"))).toBe(true);
    expect(firesAt(s, new Date("2026-03-02T08:46:00Z"))).toBe(false);
    expect(firesAt(s, new Date("2026-02-02T08:45:00Z"))).toBe(false);
    expect(firesAt(s, new Date("2026-03-02T11:00:00Z"))).toBe(false);
  });

  it("ORs day-of-month and day-of-week when both are restricted", () => {
    const s = schedule("0 0 1 * sun");
    expect(firesAt(s, new Date("2026-03-01T00:00:00Z"))).toBe(true); // the 1st (also a Sunday)
    expect(firesAt(s, new Date("2026-03-08T00:00:00Z"))).toBe(true); // a Sunday
    expect(firesAt(s, new Date("2026-04-01T00:00:00Z"))).toBe(true); // the 1st, Wednesday
    expect(firesAt(s, new Date("2026-03-09T00:00:00Z"))).toBe(false);
  });

  it("treats a stepped day-of-week (*/2) as a restriction, not a wildcard", () => {
    // robfig drops the wildcard bit when the step is > 1, so the day fields are ORed: the 1st OR Sun/Tue/Thu/Sat.
    const s = schedule("0 0 1 * */2");
    expect(firesAt(s, new Date("2026-04-01T00:00:00Z"))).toBe(true); // Wednesday the 1st
    expect(firesAt(s, new Date("2026-04-02T00:00:00Z"))).toBe(true); // Thursday
    expect(firesAt(s, new Date("2026-04-03T00:00:00Z"))).toBe(false); // Friday
  });

  it("rejects day-of-week 7 (Karpenter's parser allows 0-6; the engine used to read 7 as Sunday)", () => {
    expect(parseCron("0 0 * * 7").error).toBe("day-of-week value 7 is out of range 0-6");
    expect(parseCron("0 0 * * 5-7").error).toMatch(/out of range 0-6/);
  });

  it("expands the @-macros case-sensitively and rejects @every and time zones", () => {
    const daily = schedule("@daily");
    expect(firesAt(daily, new Date("2026-03-02T00:00:00Z"))).toBe(true);
    expect(firesAt(daily, new Date("2026-03-02T01:00:00Z"))).toBe(false);
    expect(firesAt(schedule("@weekly"), new Date("2026-03-01T00:00:00Z"))).toBe(true); // Sunday
    expect(firesAt(schedule("@hourly"), new Date("2026-03-01T05:00:00Z"))).toBe(true);
    expect(parseCron("@DAILY").error).toMatch(/unknown macro/);
    expect(parseCron("@every 1h").error).toMatch(/unknown macro/);
    expect(parseCron("TZ=Europe/Berlin 0 9 * * *").error).toMatch(/time zones are not supported/);
  });

  it("treats the window as [firing, firing + duration)", () => {
    const s = schedule("30 12 * * *");
    expect(isWindowActive(s, 10 * 60_000, new Date("2026-03-02T12:29:59Z"))).toBe(false);
    expect(isWindowActive(s, 10 * 60_000, new Date("2026-03-02T12:30:00Z"))).toBe(true);
    expect(isWindowActive(s, 10 * 60_000, new Date("2026-03-02T12:39:59Z"))).toBe(true);
    expect(isWindowActive(s, 10 * 60_000, new Date("2026-03-02T12:40:00Z"))).toBe(false);
  });

  it("names the field and the problem instead of throwing", () => {
    expect(parseCron("61 * * * *").error).toBe("minute value 61 is out of range 0-59");
    expect(parseCron("* * * * funday").error).toBe('day-of-week value "funday" is not a number or name');
    expect(parseCron("* * * *").error).toMatch(/expected 5 fields/);
    expect(parseCron("*/0 * * * *").error).toMatch(/step "0" must be a positive integer/);
    expect(parseCron("5-1 * * * *").error).toMatch(/goes backwards/);
  });
});

describe("the CRD schedule pattern without a backtracking regex", () => {
  it("agrees with the pattern on short inputs", () => {
    const re = new RegExp(BUDGET_SCHEDULE_PATTERN, "u");
    const alphabet = ["a", "1", " ", "\t", "\n", "*", "@", "\u00a0"];
    const samples = ["@daily", "@dailyx", "x@daily", "0 9 * * *", "a b c d", "a b c d e", "\n\na b c d e", "a b c\nd e f"];
    let seed = 7;
    for (let i = 0; i < 3000; i++) {
      let s = "";
      const n = (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 11;
      for (let j = 0; j < n; j++) s += alphabet[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % alphabet.length];
      samples.push(s);
    }
    for (const s of samples) expect([s, matchesBudgetSchedulePattern(s)]).toEqual([s, re.test(s)]);
  });

  it("rejects long malicious schedules at admission (the JS regex needed seconds for 80 characters)", () => {
    for (const schedule of [" ".repeat(200) + "\n", "a ".repeat(100) + "\n", "\t".repeat(300) + "\r"]) {
      const np = nodePool((p) => {
        p.spec.disruption.budgets = [{ nodes: "0", schedule, duration: "1h" }];
      });
      const r = validateNodePool(np);
      expect(r.allowed).toBe(false);
      expect(r.errors.map((e) => e.path)).toContain("spec.disruption.budgets[0].schedule");
    }
  });
});
