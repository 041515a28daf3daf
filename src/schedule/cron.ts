import cron from 'node-cron';

/**
 * A cron expression (5 fields, or 6 with seconds first) in a time zone, and the pure "when did it last
 * fire before now" that node-cron does not offer (it only looks forward). Field parsing is node-cron's own
 * (`parse`), so the two always agree on what an expression means; day of month and day of week are ANDed,
 * as node-cron does.
 */
export interface CronSchedule {
  expression: string;
  timezone: string;
  seconds: number[];
  minutes: number[];
  hours: number[];
  daysOfMonth: Set<number>;
  months: Set<number>;
  /** 0 = Sunday. */
  daysOfWeek: Set<number>;
}

/** Look back at most this far; a schedule that matched nothing in a year is as good as never. */
const MAX_DAYS_BACK = 366;

export function parseCron(expression: string, timezone = 'UTC'): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6)
    throw new Error(
      `"${expression}" has ${fields.length} fields; use 5 (minute hour day month weekday) or 6 (second first)`,
    );
  if (!cron.validate(expression)) throw new Error(`"${expression}" is not a valid cron expression`);
  if (!isTimeZone(timezone))
    throw new Error(`"${timezone}" is not a known time zone (use an IANA name such as Europe/Paris)`);
  const parsed = cron.parse(expression);
  const numbers = (values: (number | string)[], field: string): number[] => {
    const special = values.find((v) => typeof v !== 'number');
    if (special !== undefined)
      throw new Error(
        `"${expression}": the ${field} token "${special}" (L, W, #) is not supported here; list the days instead`,
      );
    return values as number[];
  };
  return {
    expression,
    timezone,
    seconds: [...parsed.second].sort((a, b) => b - a),
    minutes: [...parsed.minute].sort((a, b) => b - a),
    hours: [...parsed.hour].sort((a, b) => b - a),
    daysOfMonth: new Set(numbers(parsed.dayOfMonth, 'day-of-month')),
    months: new Set(parsed.month),
    daysOfWeek: new Set(numbers(parsed.dayOfWeek, 'day-of-week')),
  };
}

export function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock parts of an instant in a time zone. */
export function localParts(ms: number, timezone: string): LocalParts {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, Number(p.value)]));
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/**
 * The instant a wall-clock time names in a time zone. When a DST change repeats the time, node-cron's scheduler
 * fires at one of the two occurrences, chosen by the offset in force at the wall time read as UTC; we resolve it
 * the same way so the missed-run look-back names the very instant the scheduler fires at (tested against
 * node-cron around both DST changes in several zones).
 */
export function instantOf(local: LocalParts, timezone: string): number {
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  const offsetAt = (ms: number) => {
    const p = localParts(ms, timezone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - ms;
  };
  const byGuess = asUtc - offsetAt(asUtc);
  if (offsetAt(byGuess) === offsetAt(asUtc)) return byGuess;
  const byCandidate = asUtc - offsetAt(byGuess);
  const readsBack = (ms: number) => offsetAt(ms) === asUtc - ms;
  if (readsBack(byGuess)) return byGuess;
  if (readsBack(byCandidate)) return byCandidate;
  return Math.max(byGuess, byCandidate); // a skipped wall time: callers check the hour reads back
}

/** `YYYY-MM-DD` of an instant in a time zone (snapshot days follow the digest's zone). */
export function localDate(ms: number, timezone: string): string {
  const p = localParts(ms, timezone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The latest time at or before `before` (to the second) that the schedule fires at, or null within a year. */
export function previousRun(schedule: CronSchedule, before: Date): Date | null {
  const baseMs = Math.floor(before.getTime() / 1000) * 1000;
  const base = localParts(baseMs, schedule.timezone);
  let day = Date.UTC(base.year, base.month - 1, base.day);
  for (let i = 0; i < MAX_DAYS_BACK; i++, day -= 86_400_000) {
    const date = new Date(day);
    const [year, month, dom] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (!schedule.months.has(month) || !schedule.daysOfMonth.has(dom) || !schedule.daysOfWeek.has(date.getUTCDay()))
      continue;
    const found = lastTimeOnDay(schedule, { year, month, day: dom }, i === 0 ? base : null, baseMs);
    if (found !== null) return new Date(found);
  }
  return null;
}

function lastTimeOnDay(
  schedule: CronSchedule,
  date: { year: number; month: number; day: number },
  bound: LocalParts | null,
  baseMs: number,
): number | null {
  const boundSeconds = bound ? bound.hour * 3600 + bound.minute * 60 + bound.second : Infinity;
  for (const hour of schedule.hours) {
    if (hour * 3600 > boundSeconds) continue;
    for (const minute of schedule.minutes) {
      if (hour * 3600 + minute * 60 > boundSeconds) continue;
      for (const second of schedule.seconds) {
        if (hour * 3600 + minute * 60 + second > boundSeconds) continue;
        const local = { ...date, hour, minute, second };
        const ms = instantOf(local, schedule.timezone);
        // A wall-clock time skipped by a DST change does not exist: it maps to another local time.
        if (ms <= baseMs && localParts(ms, schedule.timezone).hour === hour) return ms;
      }
    }
  }
  return null;
}
