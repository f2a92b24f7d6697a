// Budget schedules: the one cron parser (admission and the disruption engine both call it). Karpenter parses
// `TZ=UTC <schedule>` with robfig/cron's standard parser: 5 fields (minute hour day-of-month month
// day-of-week, day-of-week 0-6, names case-insensitive, `?` = `*`, `N/step` = N-max/step) or one of the
// @-macros below (case-sensitive; no @every), always UTC, so a user TZ= prefix leaves 6 fields and fails.
// Everything here is a single left-to-right pass: schedules arrive in admission requests, so no input may
// make parsing super-linear (the CRD's regex pattern backtracks catastrophically in a JS engine).

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
export const CRON_MACROS = Object.keys(MACROS);

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}
const nameMap = (names: string[], base: number) => Object.fromEntries(names.map((n, i) => [n, i + base]));
const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: nameMap(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1),
  },
  { name: "day-of-week", min: 0, max: 6, names: nameMap(["sun", "mon", "tue", "wed", "thu", "fri", "sat"], 0) },
];

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** robfig/cron: a day field written as `*` / `?` (step 1) is a wildcard; if either day field is one, both
   * must match, otherwise a day matches when EITHER field matches. */
  domWildcard: boolean;
  dowWildcard: boolean;
}

/** The parse result: a schedule, or the reason it is invalid (never a throw). */
export type CronParse = { schedule: CronSchedule; error?: undefined } | { schedule?: undefined; error: string };

const isDigits = (s: string) => s.length > 0 && [...s].every((c) => c >= "0" && c <= "9");

function parseValue(token: string, spec: FieldSpec): number | string {
  const named = spec.names?.[token.toLowerCase()];
  if (named !== undefined) return named;
  if (!isDigits(token)) return `${spec.name} value "${token}" is not a number${spec.names ? " or name" : ""}`;
  return Number(token);
}

function parseField(text: string, spec: FieldSpec): { values: Set<number>; wildcard: boolean } | string {
  const values = new Set<number>();
  let wildcard = false;
  for (const part of text.split(",")) {
    const slash = part.split("/");
    if (slash.length > 2) return `${spec.name} field "${text}" has too many slashes`;
    const [range, stepText] = slash as [string, string | undefined];
    if (stepText !== undefined && (!isDigits(stepText) || Number(stepText) < 1))
      return `${spec.name} step "${stepText}" must be a positive integer`;
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") {
      [lo, hi] = [spec.min, spec.max];
      if (step === 1) wildcard = true;
    } else {
      const bounds = range.split("-");
      if (bounds.length > 2) return `${spec.name} range "${range}" has too many hyphens`;
      const parsed = bounds.map((b) => parseValue(b, spec));
      const bad = parsed.find((v): v is string => typeof v === "string");
      if (bad) return bad;
      [lo, hi] = parsed.length === 2 ? (parsed as [number, number]) : [parsed[0] as number, parsed[0] as number];
      if (parsed.length === 1 && stepText !== undefined) hi = spec.max; // "5/15": from 5 every 15
      for (const v of parsed as number[])
        if (v < spec.min || v > spec.max) return `${spec.name} value ${v} is out of range ${spec.min}-${spec.max}`;
      if (lo > hi) return `${spec.name} range "${range}" goes backwards`;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, wildcard };
}

/** Parses a budget schedule with Karpenter's semantics. */
export function parseCron(expr: string): CronParse {
  const s = expr.trim();
  if (s.startsWith("TZ=") || s.startsWith("CRON_TZ="))
    return { error: "time zones are not supported in budget schedules (they use UTC)" };
  if (s.startsWith("@")) {
    const macro = MACROS[s];
    if (!macro) return { error: `unknown macro "${s}"; use one of ${CRON_MACROS.join(", ")}` };
    return parseCron(macro);
  }
  const parts = s.split(/[ \t\n\r\f\v]+/).filter((p) => p !== "");
  if (parts.length !== 5)
    return { error: `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
  const fields = [];
  for (let i = 0; i < 5; i++) {
    const f = parseField(parts[i]!, FIELDS[i]!);
    if (typeof f === "string") return { error: f };
    fields.push(f);
  }
  const [min, hour, dom, month, dow] = fields as [
    (typeof fields)[0],
    (typeof fields)[0],
    (typeof fields)[0],
    (typeof fields)[0],
    (typeof fields)[0],
  ];
  return {
    schedule: {
      minutes: min.values,
      hours: hour.values,
      daysOfMonth: dom.values,
      months: month.values,
      daysOfWeek: dow.values,
      domWildcard: dom.wildcard,
      dowWildcard: dow.wildcard,
    },
  };
}

/** Whether the schedule fires at the (UTC) minute containing `t`. */
export function firesAt(s: CronSchedule, t: Date): boolean {
  if (!s.minutes.has(t.getUTCMinutes()) || !s.hours.has(t.getUTCHours()) || !s.months.has(t.getUTCMonth() + 1))
    return false;
  const dom = s.daysOfMonth.has(t.getUTCDate());
  const dow = s.daysOfWeek.has(t.getUTCDay());
  return s.domWildcard || s.dowWildcard ? dom && dow : dom || dow;
}

/**
 * True when the schedule fired at some minute f with now - duration < f <= now, i.e. a window
 * [f, f + duration) that contains now (Karpenter: schedule.Next(now - duration) is not after now).
 */
export function isWindowActive(s: CronSchedule, durationMs: number, now: Date): boolean {
  const minuteMs = 60_000;
  const latest = Math.floor(now.getTime() / minuteMs) * minuteMs;
  const earliestExclusive = now.getTime() - durationMs;
  for (let t = latest; t > earliestExclusive; t -= minuteMs) {
    if (firesAt(s, new Date(t))) return true;
  }
  return false;
}

/** Karpenter's CRD pattern for `budgets[].schedule` (the apiserver evaluates it with RE2). */
export const BUDGET_SCHEDULE_PATTERN =
  "^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\\s(.+)\\s(.+)\\s(.+)\\s(.+))$";

const LINE_TERMINATORS = new Set(["\n", "\r", "\u2028", "\u2029"]);
const WHITESPACE = /^\s$/;

/**
 * BUDGET_SCHEDULE_PATTERN decided in one pass, as RE2 would: a JS RegExp takes seconds on an 80-character
 * string of spaces. Alternative 1 is a macro prefix; alternative 2 (unanchored start) is a suffix of five
 * non-empty runs of non-line-terminators separated by single whitespace characters, simulated as an NFA.
 */
export function matchesBudgetSchedulePattern(s: string): boolean {
  if (CRON_MACROS.some((m) => s.startsWith(m))) return true;
  // inRun[i]: inside run i (0-4) with at least one character; afterSep[i]: just read separator i (0-3).
  let inRun = [false, false, false, false, false];
  let afterSep = [false, false, false, false];
  for (const c of s) {
    const dot = !LINE_TERMINATORS.has(c);
    const ws = WHITESPACE.test(c);
    const run = [dot, ...[1, 2, 3, 4].map((i) => dot && (inRun[i]! || afterSep[i - 1]!))];
    afterSep = [0, 1, 2, 3].map((i) => ws && inRun[i]!);
    inRun = run;
  }
  return inRun[4]!;
}
