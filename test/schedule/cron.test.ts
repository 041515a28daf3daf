import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { instantOf, localDate, localParts, parseCron, previousRun } from '../../src/schedule/cron.js';

/** node-cron's own matcher is the ground truth for "does the expression fire at this instant". */
function matcher(expression: string, timezone: string): { firesAt(at: Date): boolean; destroy(): void } {
  const task = cron.createTask(expression, () => undefined, { timezone });
  return { firesAt: (at) => task.match(at), destroy: () => void task.destroy() };
}

const CASES: [string, string, string][] = [
  ['0 7 * * *', 'Europe/Paris', '2025-03-12T10:15:00Z'],
  ['0 7 * * *', 'Europe/Paris', '2025-03-12T05:59:59Z'],
  ['30 8 * * 1-5', 'America/New_York', '2025-03-09T12:00:00Z'], // a Sunday, DST starts that day
  ['*/5 * * * * *', 'UTC', '2025-06-01T00:00:03.900Z'],
  ['15,45 */2 1 * *', 'Asia/Tokyo', '2025-05-20T00:00:00Z'],
  ['0 0 29 2 *', 'UTC', '2025-01-10T00:00:00Z'],
  ['0 9 * * mon', 'Australia/Lord_Howe', '2025-10-08T00:00:00Z'],
  ['0 30 2 * * *', 'Europe/Berlin', '2025-03-30T03:00:00Z'], // 02:30 does not exist on that day in Berlin
];

describe('previousRun', () => {
  it.each(CASES)(
    '"%s" in %s before %s is a time node-cron fires at, with none later',
    (expression, timezone, before) => {
      const now = new Date(before);
      const previous = previousRun(parseCron(expression, timezone), now)!;
      expect(previous).not.toBeNull();
      expect(previous.getTime()).toBeLessThanOrEqual(now.getTime());
      const truth = matcher(expression, timezone);
      expect(truth.firesAt(previous)).toBe(true);
      // Nothing between the answer and `now` fires (checked second by second over the last hour at most).
      const from = Math.max(previous.getTime() + 1000, now.getTime() - 3600_000);
      const later: string[] = [];
      for (let ms = Math.floor(now.getTime() / 1000) * 1000; ms >= from; ms -= 1000)
        if (truth.firesAt(new Date(ms))) later.push(new Date(ms).toISOString());
      truth.destroy();
      expect(later).toEqual([]);
    },
  );

  it('gives the exact expected instants', () => {
    expect(previousRun(parseCron('0 7 * * *', 'Europe/Paris'), new Date('2025-03-12T10:15:00Z'))!.toISOString()).toBe(
      '2025-03-12T06:00:00.000Z',
    );
    expect(previousRun(parseCron('0 7 * * *', 'Europe/Paris'), new Date('2025-07-12T04:59:59Z'))!.toISOString()).toBe(
      '2025-07-11T05:00:00.000Z',
    );
    expect(previousRun(parseCron('*/5 * * * * *', 'UTC'), new Date('2025-06-01T00:00:03.900Z'))!.toISOString()).toBe(
      '2025-06-01T00:00:00.000Z',
    );
    expect(previousRun(parseCron('0 0 29 2 *', 'UTC'), new Date('2025-01-10T00:00:00Z'))!.toISOString()).toBe(
      '2024-02-29T00:00:00.000Z',
    );
    // A time exactly on the schedule counts as its own previous run.
    expect(previousRun(parseCron('0 7 * * *', 'UTC'), new Date('2025-01-01T07:00:00.000Z'))!.toISOString()).toBe(
      '2025-01-01T07:00:00.000Z',
    );
  });

  it('refuses what it cannot answer for, with the reason', () => {
    expect(() => parseCron('0 7 * *')).toThrow(/4 fields/);
    expect(() => parseCron('0 99 * * *')).toThrow(/not a valid cron/);
    expect(() => parseCron('0 7 * * *', 'Mars/Olympus')).toThrow(/time zone/);
    expect(() => parseCron('0 7 L * *')).toThrow(/not supported/);
  });

  it('converts between instants and wall clocks across a DST change', () => {
    // 01:30 happens twice that night; node-cron's scheduler fires at the second (GMT) one, and so do we.
    const ms = instantOf({ year: 2025, month: 10, day: 26, hour: 1, minute: 30, second: 0 }, 'Europe/London');
    expect(new Date(ms).toISOString()).toBe('2025-10-26T01:30:00.000Z');
    expect(localParts(ms, 'Europe/London')).toMatchObject({ hour: 1, minute: 30 });
    expect(localDate(Date.parse('2025-01-01T23:30:00Z'), 'Asia/Tokyo')).toBe('2025-01-02');
  });
});
