import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChartData } from '../../src/charts/data.js';
import { findMetric } from '../../src/charts/metrics.js';
import { STATEMENT_COUNTERS, type Counters, type Snapshot, type StatementReading } from '../../src/db/counters.js';
import type { Target } from '../../src/db/targets.js';
import { statementDeltas } from '../../src/engine/history-delta.js';
import { windowWhole } from '../../src/engine/history-totals.js';
import { captureSnapshot, takeSnapshot } from '../../src/schedule/history/capture.js';
import { readHistorySnapshot, writeHistorySnapshot } from '../../src/state/history.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { testTarget } from '../support/engine.js';
import { appAndState } from '../support/history.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { startCluster, type Cluster } from '../../src/embedded/cluster.js';

/** Rows returned count in pg_stat_statements' `rows`: a run of 1000 rows then runs of 1 make it go down alone. */
const ROWS = 'SELECT g FROM generate_series(1, $1::int) AS g';
const OTHER = 'SELECT count(*) FROM pg_class WHERE relpages >= $1::int';
const LATE = 'SELECT $1::int + 1 AS late';

/**
 * The query-time charts read the statement arrays their own way (columns, a page ahead); these are the figures
 * `--since` gives for the same stored snapshots read one by one (windowWhole over readHistorySnapshot: every
 * top-level statement, the "all others" bucket included; test/history/others.test.ts checks it against
 * pg_stat_statements), over a window holding each case of the delta rules, taken of a real server.
 */
describe.each([14, 18] as const)(
  'query-time charts count each interval as --since counts a window, PostgreSQL %i',
  (major) => {
    let server: TestServer;
    let app: pg.Client;
    let state: pg.Pool;
    let target: Target;
    /** Queryids of ROWS and LATE, read before pg_stat_statements_reset() forgets them. */
    let rowsId: string;
    let lateId: string;

    const runTimes = async (text: string, times: number, value: number) => {
      for (let i = 0; i < times; i++) await app.query(text, [value]);
    };
    /** Its constants are normalized ($1, $2), so the text is matched up to them. */
    const queryIdOf = async (pattern: string) =>
      (
        await app.query<{ id: string }>('SELECT queryid::text AS id FROM pg_stat_statements WHERE query LIKE $1', [
          pattern,
        ])
      ).rows[0]!.id;

    beforeAll(async () => {
      server = await startTestServer(major, { embedded: true });
      ({ app, state } = await appAndState((database) => server.url(database)));
      target = testTarget(server.url('app'), { name: 'app' });

      await runTimes(ROWS, 1, 1000);
      await runTimes(OTHER, 1, 0);
      await takeSnapshot(target, state);
      await runTimes(ROWS, 5, 1000);
      await runTimes(OTHER, 3, 0);
      await takeSnapshot(target, state);
      // Evicted and re-added, as far as its counters tell: more calls than before, fewer rows (1.11+: a new stats_since).
      rowsId = await queryIdOf('SELECT g FROM generate_series(%');
      await app.query('SELECT pg_stat_statements_reset(0, 0, $1::bigint)', [rowsId]);
      await runTimes(ROWS, 8, 1);
      await runTimes(LATE, 2, 1);
      lateId = await queryIdOf('%AS late');
      await takeSnapshot(target, state);
      await runTimes(ROWS, 2, 1);
      await runTimes(OTHER, 1, 0);
      await takeSnapshot(target, state);
      await app.query('SELECT pg_stat_statements_reset()');
      await runTimes(OTHER, 2, 0);
      await takeSnapshot(target, state);
      // A snapshot without pg_stat_statements (as a target without it is stored): no interval on either side of it.
      const { snapshot } = await captureSnapshot(target, state);
      await writeHistorySnapshot(state, { ...snapshot, statements: { unavailable: 'not-preloaded' } }, new Map());
      await runTimes(OTHER, 4, 0);
      await takeSnapshot(target, state);
      await runTimes(OTHER, 1, 0);
      await takeSnapshot(target, state);
    }, 120_000);

    afterAll(async () => {
      await app?.end();
      await Promise.all([target?.close(), state?.end()]);
      await server?.stop();
    });

    const storedSnapshots = () => storedSnapshotsOf(state, 'app');

    it('the window holds every case of the rules, counted from zero where PostgreSQL restarted the counters', async () => {
      const intervals = expectedIntervals(await storedSnapshots());
      // 8 snapshots, one without statements: the two intervals beside it are left out.
      expect(intervals).toHaveLength(5);
      const rowsDelta = (i: number) =>
        intervals[i]!.found.deltas.find((d) => d.queryId === rowsId && d.toplevel !== false);
      expect(rowsDelta(0)).toMatchObject({ calls: 5, rows: 5000, baseline: 'counted' });
      // Reset alone: 8 calls since, more than the 6 before, but its rows went down: all 8 count, not 3.
      expect(rowsDelta(1)).toMatchObject({ calls: 8, rows: 8, baseline: 'reset' });
      expect(rowsDelta(2)).toMatchObject({ calls: 2, baseline: 'counted' });
      expect(intervals[1]!.found.deltas.find((d) => d.queryId === lateId)).toMatchObject({
        calls: 2,
        baseline: major >= 17 ? 'new' : 'absent',
      });
      expect(intervals[3]!.found.reset).toBe(true);
      expect(intervals[3]!.found.deltas.every((d) => d.baseline === 'reset')).toBe(true);
      for (const i of intervals) expect(i.found.deltas.every((d) => d.calls > 0 && d.totalMs >= 0)).toBe(true);
    });

    for (const days of [7, 30] as const)
      it(`query-time and query-mean over ${days} days are exactly those intervals' sums`, () =>
        expectChartsEqualWholes(state, 'app', days));
  },
);

/** The stored snapshots one by one, oldest first, as `--since` reads one. */
async function storedSnapshotsOf(state: pg.Pool, target: string): Promise<Snapshot[]> {
  const { rows } = await state.query<{ id: string }>(
    'SELECT id::text AS id FROM pgmedic.history_snapshots WHERE target = $1 ORDER BY taken_at, id',
    [target],
  );
  return Promise.all(rows.map(async (r) => (await readHistorySnapshot(state, r.id))!));
}

/** Each interval between two snapshots with statements: its deltas (statementDeltas) and its whole (windowWhole). */
function expectedIntervals(snapshots: Snapshot[]) {
  return snapshots.slice(1).flatMap((now, i) => {
    const base = snapshots[i]!;
    if (!('entries' in base.statements) || !('entries' in now.statements)) return [];
    const found = statementDeltas(base.statements, base.takenAt, now.statements as StatementReading);
    const whole = windowWhole(base.statements, base.takenAt, now.statements as StatementReading);
    if (!whole.known) throw new Error(`the interval to ${now.takenAt.toISOString()} is unknown: ${whole.reason}`);
    return [{ day: now.takenAt.toISOString(), found, ...whole.total }];
  });
}

async function expectChartsEqualWholes(state: pg.Pool, target: string, days: 7 | 30): Promise<void> {
  const intervals = expectedIntervals(await storedSnapshotsOf(state, target));
  const total = (await readChartData(state, target, findMetric('query-time')!, days))!;
  const mean = (await readChartData(state, target, findMetric('query-mean')!, days))!;
  expect(total.series).toEqual([
    { name: 'total time', points: intervals.map((i) => ({ day: i.day, value: i.totalMs })) },
  ]);
  expect(mean.series).toEqual([
    {
      name: 'mean time per call',
      points: intervals.filter((i) => i.calls > 0).map((i) => ({ day: i.day, value: i.totalMs / i.calls })),
    },
  ]);
}

/** 70 snapshots an hour apart: more than the pages of 24 the charts read two at a time. */
const MANY = 70;

/**
 * Statement `i` of snapshot `n` (each queryid twice, for two users): most keep counting, some leave the kept entries
 * for the "all others" bucket and come back, one's rows go down every 9 snapshots while its calls and time go up
 * (counted from zero), and pg_stat_statements is reset at 50.
 */
function manyStatements(n: number): StatementReading {
  // Snapshots since the counters last started: pg_stat_statements_reset() at 50.
  const counting = n < 50 ? n + 1 : n - 49;
  const all = Array.from({ length: 40 }, (_, i) => i).map((i) => {
    const counters = Object.fromEntries(
      STATEMENT_COUNTERS.map((c) => [c, counting * (i + 1) * (c === 'totalMs' ? 1.25 : 2) + (i % 5)]),
    ) as Counters;
    if (i === 3) counters.rows = n % 9;
    return {
      queryId: String(-9_000_000_000_000 + (i % 20) * 7919),
      userId: String(10 + Math.floor(i / 20)),
      dbId: String(16384 + (i % 2)),
      toplevel: i % 4 !== 0,
      statsSince: null,
      ...counters,
    };
  });
  const kept = (i: number) => (i + n) % 7 !== 0;
  const entries = all.filter((_, i) => kept(i)).reverse();
  const bucket = (left: typeof all) => ({
    entries: left.length,
    ...(Object.fromEntries(STATEMENT_COUNTERS.map((c) => [c, left.reduce((sum, e) => sum + e[c], 0)])) as Counters),
  });
  const others = all.filter((_, i) => !kept(i));
  return {
    extensionVersion: '1.9',
    entries,
    others: { ...bucket(others), nested: bucket(others.filter((e) => !e.toplevel)) },
    statsReset: n < 50 ? '1700000000' : '1800000000',
    dealloc: 0,
  };
}

describe('query-time charts over more snapshots than a page', () => {
  let cluster: Cluster;
  let state: pg.Pool;

  beforeAll(async () => {
    cluster = await startCluster({ major: 18 });
    state = createStatePool(cluster.url());
    await migrateStateDatabase(state);
    const end = Date.now();
    for (let n = 0; n < MANY; n++) {
      const snapshot: Snapshot = {
        target: 'many',
        takenAt: new Date(end - (MANY - 1 - n) * 3_600_000),
        serverVersionNum: 140000,
        inRecovery: false,
        postmasterStart: '1700000000',
        statements: n === 30 ? { unavailable: 'not-installed' } : manyStatements(n),
        databases: [],
        checkpoints: {
          source: 'pg_stat_bgwriter',
          timed: 0,
          requested: 0,
          buffersWritten: 0,
          writeTimeMs: 0,
          syncTimeMs: 0,
          statsReset: null,
        },
        relations: [],
        replication: null,
      };
      await writeHistorySnapshot(state, snapshot, new Map());
    }
  }, 120_000);

  afterAll(async () => {
    await state?.end();
    await cluster?.stop();
  });

  it('gives every interval of the window exactly as windowWhole does, across the pages', async () => {
    const intervals = expectedIntervals(await storedSnapshotsOf(state, 'many'));
    expect(intervals).toHaveLength(MANY - 3);
    // Statement 3's rows went from 8 to 0 at snapshot 9: its calls count from zero, all 10 × 4 × 2 + 3 of them.
    const third = (i: number) =>
      intervals[i]!.found.deltas.find((d) => d.queryId === String(-9_000_000_000_000 + 3 * 7919) && d.userId === '10');
    expect(third(8)).toMatchObject({ baseline: 'reset', calls: 83 });
    expect(third(7)).toMatchObject({ baseline: 'counted', calls: 8 });
    expect(intervals.flatMap((i) => i.found.deltas.map((d) => d.baseline))).toEqual(
      expect.arrayContaining(['counted', 'reset', 'absent']),
    );
    await expectChartsEqualWholes(state, 'many', 7);
  });
});
