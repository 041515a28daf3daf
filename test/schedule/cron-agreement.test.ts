import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { parseCron, previousRun } from '../../src/schedule/cron.js';

/**
 * One cron semantics: the look-back that decides a missed digest (previousRun) must name exactly the times
 * node-cron's scheduler fires at. node-cron only walks forward, so its own walk is the ground truth here.
 */
function nodeCronFires(expression: string, timezone: string, from: Date, until: Date): Date[] {
  const task = cron.createTask(expression, () => undefined, { timezone });
  // The task's matcher is what its runner uses to pick the next run; it is not in the type declarations.
  const matcher = (task as unknown as { timeMatcher: { getNextMatch(date: Date): Date } }).timeMatcher;
  const fires: Date[] = [];
  for (let next = matcher.getNextMatch(from); next < until && fires.length < 2_000; next = matcher.getNextMatch(next))
    fires.push(next);
  task.destroy();
  return fires;
}

const EXPRESSIONS = [
  '30 2 * * *',
  '0 2 * * *',
  '30 1 * * *',
  '0 3 * * *',
  '0 7 * * 1-5',
  '0 7 13 * 5',
  '15,45 0-3 * * *',
  '0 30 2 * * *',
  '*/20 1-3 * * *',
];
/** 2026's DST changes: spring forward and fall back in each zone (Sydney's are the other way round). */
const WINDOWS: [string, string][] = [
  ['Europe/Berlin', '2026-03-28T00:00:00Z'],
  ['Europe/Berlin', '2026-10-24T00:00:00Z'],
  ['America/New_York', '2026-03-07T00:00:00Z'],
  ['America/New_York', '2026-10-31T00:00:00Z'],
  ['Australia/Sydney', '2026-04-04T00:00:00Z'],
  ['Australia/Sydney', '2026-10-03T00:00:00Z'],
  ['Europe/London', '2025-10-25T00:00:00Z'],
  ['UTC', '2026-02-27T00:00:00Z'],
];

describe('previousRun agrees with node-cron around both DST changes', () => {
  for (const [timezone, start] of WINDOWS) {
    for (const expression of EXPRESSIONS) {
      it(`${expression} in ${timezone} from ${start.slice(0, 10)}`, () => {
        const from = new Date(start);
        const until = new Date(from.getTime() + 4 * 86_400_000);
        const fires = nodeCronFires(expression, timezone, from, until);
        const schedule = parseCron(expression, timezone);
        const disagreements: string[] = [];
        fires.forEach((fire, i) => {
          const atFire = previousRun(schedule, fire);
          if (atFire?.getTime() !== fire.getTime())
            disagreements.push(`at ${fire.toISOString()}: look-back says ${atFire?.toISOString()}`);
          const beforeNext = new Date((fires[i + 1] ?? until).getTime() - 1_000);
          const between = previousRun(schedule, beforeNext);
          if (between?.getTime() !== fire.getTime())
            disagreements.push(
              `at ${beforeNext.toISOString()}: look-back says ${between?.toISOString()}, node-cron fired last at ${fire.toISOString()}`,
            );
        });
        expect(disagreements).toEqual([]);
        if (!expression.includes('13 * 5')) expect(fires.length).toBeGreaterThan(0);
      });
    }
  }
});
