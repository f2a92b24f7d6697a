// A 5-field cron matcher (minute hour day-of-month month day-of-week, UTC) with the @-macros Karpenter's
// budget schedule accepts. Only "does it fire at minute t" is needed: budgets ask whether a firing happened
// within the last `duration`.

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface FieldSpec {
  min: number;
  max: number;
  names?: string[];
  nameBase?: number;
}
const FIELDS: FieldSpec[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 7, names: DAYS, nameBase: 0 }, // 7 = Sunday too
];

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Standard cron: when both day fields are restricted, a day matches if EITHER matches. */
  domRestricted: boolean;
  dowRestricted: boolean;
}

function parseValue(token: string, spec: FieldSpec, field: string, expr: string): number {
  const lower = token.toLowerCase();
  const idx = spec.names?.indexOf(lower) ?? -1;
  if (idx >= 0) return idx + (spec.nameBase ?? 0);
  if (!/^[0-9]+$/.test(token)) throw new Error(`budget schedule "${expr}": invalid ${field} value "${token}"`);
  const n = Number(token);
  if (n < spec.min || n > spec.max) {
    throw new Error(`budget schedule "${expr}": ${field} value ${n} out of range ${spec.min}-${spec.max}`);
  }
  return n;
}

function parseField(text: string, spec: FieldSpec, field: string, expr: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [rangePart, stepPart] = part.split("/");
    const step = stepPart === undefined ? 1 : Number(stepPart);
    if (!Number.isInteger(step) || step < 1)
      throw new Error(`budget schedule "${expr}": invalid step in ${field} "${part}"`);
    let lo: number;
    let hi: number;
    if (rangePart === "*" || rangePart === "?") {
      lo = spec.min;
      hi = spec.max;
    } else if (rangePart!.includes("-")) {
      const [a, b] = rangePart!.split("-");
      lo = parseValue(a!, spec, field, expr);
      hi = parseValue(b!, spec, field, expr);
      if (lo > hi) throw new Error(`budget schedule "${expr}": ${field} range "${rangePart}" is backwards`);
    } else {
      lo = parseValue(rangePart!, spec, field, expr);
      hi = stepPart === undefined ? lo : spec.max; // "5/15" means from 5 every 15
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a budget schedule; throws an error naming the field on malformed input. */
export function parseCron(expr: string): CronSchedule {
  const normalized = MACROS[expr.trim().toLowerCase()] ?? expr.trim();
  const parts = normalized.split(/\s+/);
  if (parts.length !== 5) {
    throw new Error(
      `budget schedule "${expr}": expected 5 fields (minute hour day-of-month month day-of-week) or @daily etc.`,
    );
  }
  const names = ["minute", "hour", "day-of-month", "month", "day-of-week"];
  const sets = parts.map((p, i) => parseField(p, FIELDS[i]!, names[i]!, expr));
  const dow = sets[4]!;
  if (dow.has(7)) {
    dow.delete(7);
    dow.add(0);
  }
  return {
    minutes: sets[0]!,
    hours: sets[1]!,
    daysOfMonth: sets[2]!,
    months: sets[3]!,
    daysOfWeek: dow,
    domRestricted: !parts[2]!.startsWith("*") && !parts[2]!.startsWith("?"),
    dowRestricted: !parts[4]!.startsWith("*") && !parts[4]!.startsWith("?"),
  };
}

/** Whether the schedule fires at the (UTC) minute containing `t`. */
export function firesAt(s: CronSchedule, t: Date): boolean {
  if (!s.minutes.has(t.getUTCMinutes()) || !s.hours.has(t.getUTCHours()) || !s.months.has(t.getUTCMonth() + 1))
    return false;
  const dom = s.daysOfMonth.has(t.getUTCDate());
  const dow = s.daysOfWeek.has(t.getUTCDay());
  if (s.domRestricted && s.dowRestricted) return dom || dow;
  return dom && dow;
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
