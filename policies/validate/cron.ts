// Standard 5-field cron (minute hour day-of-month month day-of-week) or an @macro, as Karpenter budgets accept
// (robfig/cron standard parser, no seconds, no time zone). Returns a reason when invalid.

const MACROS = ["@annually", "@yearly", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const FIELDS: Array<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 0, max: 6, names: DAYS },
];

function parseValue(s: string, f: (typeof FIELDS)[number]): number | undefined {
  if (/^[0-9]+$/.test(s)) return Number(s);
  const i = f.names?.indexOf(s.toUpperCase()) ?? -1;
  if (i >= 0) return f.name === "month" ? i + 1 : i;
  return undefined;
}

function checkField(expr: string, f: (typeof FIELDS)[number]): string | undefined {
  for (const part of expr.split(",")) {
    const [range, step, ...rest] = part.split("/");
    if (rest.length > 0 || range === undefined || range === "") return `${f.name} field "${expr}" is malformed`;
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) return `${f.name} step "${step}" must be a positive integer`;
    if (range === "*" || range === "?") continue;
    const bounds = range.split("-");
    if (bounds.length > 2) return `${f.name} range "${range}" is malformed`;
    const nums = bounds.map((b) => parseValue(b, f));
    for (let i = 0; i < nums.length; i++) {
      const n = nums[i];
      if (n === undefined) return `${f.name} value "${bounds[i]}" is not a number${f.names ? " or name" : ""}`;
      if (n < f.min || n > f.max) return `${f.name} value ${n} is out of range ${f.min}-${f.max}`;
    }
    if (nums.length === 2 && nums[0]! > nums[1]!) return `${f.name} range "${range}" goes backwards`;
  }
  return undefined;
}

export function cronError(schedule: string): string | undefined {
  const s = schedule.trim();
  if (s.startsWith("@"))
    return MACROS.includes(s) ? undefined : `unknown macro "${s}"; use one of ${MACROS.join(", ")}`;
  if (/^(TZ|CRON_TZ)=/.test(s)) return "time zones are not supported in budget schedules (they use UTC)";
  const parts = s.split(/\s+/);
  if (parts.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`;
  for (let i = 0; i < 5; i++) {
    const err = checkField(parts[i]!, FIELDS[i]!);
    if (err) return err;
  }
  return undefined;
}
