import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowFindings } from '../../commands/slow-queries/since.js';
import type { Target } from '../../src/db/targets.js';
import { startCluster } from '../../src/embedded/cluster.js';
import { plural } from '../../src/report/format.js';
import { renderText } from '../../src/report/text.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { stateHistory } from '../../src/state/history-reader.js';
import { slowQueries, statementsWorld } from '../support/history.js';

type Ready = Extract<WindowFindings, { state: 'ready' }>;

/** pg_stat_statements.max at its floor, so that a workload of distinct statements makes it evict entries. */
const MAX = 100;

describe('the window’s whole when pg_stat_statements evicts entries (PostgreSQL 18, pg_monitor role)', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let world: Awaited<ReturnType<typeof statementsWorld>>;
  let state: pg.Pool;
  let monitor: Target;
  let app: pg.Client;

  const dealloc = async () =>
    Number((await app.query('SELECT /* pgmedic:test */ dealloc FROM pg_stat_statements_info')).rows[0].dealloc);

  beforeAll(async () => {
    cluster = await startCluster({ major: 18, settings: { 'pg_stat_statements.max': MAX } });
    world = await statementsWorld((database) => cluster.url(database));
    ({ app, state, monitor } = world);
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await cluster?.stop();
  });

  it('says how often entries were evicted and gives the totals as lower bounds ("at least")', async () => {
    await app.query('SELECT pg_stat_statements_reset()');
    await takeSnapshot(monitor, state, { statements: 5 });
    const before = await dealloc();
    // Distinct statements (each a different expression tree), more than pg_stat_statements may hold.
    for (let i = 1; i <= 3 * MAX; i++) await app.query(`SELECT ${Array(i).fill('1').join(' + ')}`);
    const evicted = (await dealloc()) - before;
    expect(evicted).toBeGreaterThan(0);
    const result = await slowQueries(monitor, ['--since', '1h'], stateHistory(state));
    // pgmedic's own statements enter the full pg_stat_statements too, and may evict once more before its reading.
    const evictedByNow = (await dealloc()) - before;
    const whole = (result.findings as Ready).whole;
    if (!whole.known) throw new Error(whole.reason);
    expect(whole.evicted).toBeGreaterThanOrEqual(evicted);
    expect(whole.evicted).toBeLessThanOrEqual(evictedByNow);
    // What the window really ran is more than pg_stat_statements still counts.
    expect(whole.total.calls).toBeGreaterThan(0);
    expect(whole.total.calls).toBeLessThan(3 * MAX);
    const text = renderText(result.report, '', { color: false });
    expect(text).toContain('All other statements: at least ');
    expect(text).toContain(
      `pg_stat_statements evicted its least-used entries ${plural(whole.evicted!, 'time')} within the window`,
    );
    expect(result.summary).toMatch(/cover at most \d+\.\d% of the window's statement time \(at least /);
  });
});
