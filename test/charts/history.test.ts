import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { altText } from '../../src/charts/alt-text.js';
import { digestCharts } from '../../src/charts/charts.js';
import { readChartData } from '../../src/charts/data.js';
import { findMetric } from '../../src/charts/metrics.js';
import { renderChart } from '../../src/charts/render.js';
import { chartValues, type ChartValue } from '../../src/charts/spec.js';
import type { Target } from '../../src/db/targets.js';
import type { Cluster } from '../../src/embedded/cluster.js';
import { runSnapshots } from '../../src/schedule/history/job.js';
import { dayOffset } from '../../src/schedule/trends/compare.js';
import { STANDBY_SELF } from '../../src/schedule/trends/history-series.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, waitFor } from '../support/clients.js';
import { testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { colours, decodePng } from '../support/png.js';
import { recordingLog } from '../support/schedule.js';
import { startStandby } from '../support/standby.js';

/** Runs of the marked statement between consecutive snapshots; pg_stat_statements is reset before the last. */
const RUNS = [3, 5, 4];
const MARKED = 'SELECT count(*) FROM generate_series(1, 2000) AS g WHERE g % $1 = 0';

const iso = (d: Date) => d.toISOString();
const sorted = (values: ChartValue[]) =>
  [...values].sort((a, b) => a.series.localeCompare(b.series) || a.day.localeCompare(b.day));

describe.each([14, 18] as const)('query-history charts, from snapshots the job took of PostgreSQL %i', (major) => {
  let server: TestServer;
  let standby: Cluster;
  let admin: pg.Client;
  let app: pg.Client;
  let state: pg.Pool;
  let targets: Target[];

  /** `at` is only the job's claim time; a snapshot is stamped with the server's clock. */
  const snapshotAll = (at: Date) =>
    runSnapshots(
      {
        statePool: state,
        targets,
        log: recordingLog(),
        instanceId: 'charts',
        retentionDays: 35,
        now: () => new Date(),
      },
      at,
    );

  beforeAll(async () => {
    server = await startTestServer(major, { embedded: true });
    admin = await connect(server.url());
    for (const name of ['app', 'state']) await admin.query(`CREATE DATABASE ${name}`);
    app = await connect(server.url('app'));
    await app.query('CREATE EXTENSION pg_stat_statements');
    state = createStatePool(server.url('state'));
    await migrateStateDatabase(state);
    standby = await startStandby(server.cluster!);
    const probe = await connect(standby.url());
    await waitFor(
      async () => (await probe.query("SELECT 1 FROM pg_database WHERE datname = 'app'")).rowCount,
      'replay',
    );
    await probe.end();
    targets = [testTarget(server.url('app'), { name: 'app' }), testTarget(standby.url(), { name: 'replica' })];
    const start = Date.parse('2030-06-01T00:00:00Z');
    await snapshotAll(new Date(start));
    for (const [i, runs] of RUNS.entries()) {
      if (i === 1)
        await app.query(
          'CREATE TABLE grown AS SELECT g, repeat(md5(g::text), 4) AS pad FROM generate_series(1, 20000) g',
        );
      if (i === 2) await app.query('SELECT pg_stat_statements_reset()');
      for (let n = 0; n < runs; n++) await app.query(MARKED, [n + 2]);
      await snapshotAll(new Date(start + (i + 1) * 15 * 60_000));
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all((targets ?? []).map((t) => t.close()));
    await state?.end();
    await app?.end();
    await admin?.end();
    await standby?.stop();
    await server?.stop();
  });

  /**
   * Ground truth from the stored arrays, in SQL: each top-level entry's change since the snapshot before, counted
   * from zero where pg_stat_statements was reset, the entry is new, or its counters went down (entries that ran
   * only), plus the change in the "all others" bucket's top-level part (all of it after a reset). Every statement
   * is kept here (far fewer than 500), so no entry moves between the kept ones and the bucket.
   */
  async function storedIntervals(target: string): Promise<{ at: string; totalMs: number; calls: number }[]> {
    const { rows } = await state.query<{ taken_at: Date; total_ms: number; calls: number }>(
      `WITH s AS (
         SELECT id, taken_at, statements_info->>'statsReset' AS reset,
                (statements_info #>> '{others,totalMs}')::float8 - coalesce((statements_info #>> '{others,nested,totalMs}')::float8, 0) AS others_ms,
                (statements_info #>> '{others,calls}')::float8 - coalesce((statements_info #>> '{others,nested,calls}')::float8, 0) AS others_calls
         FROM pgmedic.history_snapshots WHERE target = $1),
       w AS (
         SELECT s.*, lag(id) OVER o AS prev, lag(reset) OVER o AS prev_reset, lag(others_ms) OVER o AS prev_others_ms,
                lag(others_calls) OVER o AS prev_others_calls
         FROM s WINDOW o AS (ORDER BY taken_at, id)),
       e AS (SELECT st.snapshot_id, u.* FROM pgmedic.history_statements st,
               unnest(query_ids, user_ids, db_ids, toplevel, calls, total_ms) AS u(q, usr, db, top, calls, total_ms)),
       d AS (
         SELECT w.taken_at,
                CASE WHEN w.reset IS DISTINCT FROM w.prev_reset OR b.q IS NULL OR n.calls < b.calls OR n.total_ms < b.total_ms
                     THEN n.calls ELSE n.calls - b.calls END AS calls,
                CASE WHEN w.reset IS DISTINCT FROM w.prev_reset OR b.q IS NULL OR n.calls < b.calls OR n.total_ms < b.total_ms
                     THEN n.total_ms ELSE n.total_ms - b.total_ms END AS total_ms
         FROM w JOIN e n ON n.snapshot_id = w.id
         LEFT JOIN e b ON b.snapshot_id = w.prev AND b.q = n.q AND b.usr = n.usr AND b.db = n.db AND b.top IS NOT DISTINCT FROM n.top
         WHERE w.prev IS NOT NULL AND n.top IS NOT FALSE),
       kept AS (SELECT taken_at, sum(total_ms) AS total_ms, sum(calls) AS calls FROM d WHERE calls > 0 GROUP BY taken_at)
       SELECT w.taken_at,
              coalesce(k.total_ms, 0) + w.others_ms - CASE WHEN w.reset IS DISTINCT FROM w.prev_reset THEN 0 ELSE w.prev_others_ms END AS total_ms,
              (coalesce(k.calls, 0) + w.others_calls - CASE WHEN w.reset IS DISTINCT FROM w.prev_reset THEN 0 ELSE w.prev_others_calls END)::float8 AS calls
       FROM w LEFT JOIN kept k USING (taken_at) WHERE w.prev IS NOT NULL ORDER BY w.taken_at`,
      [target],
    );
    return rows.map((r) => ({ at: iso(r.taken_at), totalMs: Number(r.total_ms), calls: Number(r.calls) }));
  }

  it('stored what PostgreSQL counted: the marked statement ran as often as the test ran it, per interval', async () => {
    const { rows: ids } = await app.query<{ id: string }>(
      // Its constants are normalized ($2, $3), so the text is matched up to them.
      "SELECT queryid::text AS id FROM pg_stat_statements WHERE query LIKE 'SELECT count(*) FROM generate_series(%'",
    );
    const { rows } = await state.query<{ calls: string[] }>(
      `SELECT array_agg(coalesce((SELECT u.calls FROM unnest(st.query_ids, st.calls) AS u(q, calls) WHERE u.q = $1), 0)
                        ORDER BY s.taken_at)::text[] AS calls
       FROM pgmedic.history_snapshots s JOIN pgmedic.history_statements st ON st.snapshot_id = s.id
       WHERE s.target = 'app'`,
      [ids[0]!.id],
    );
    // Cumulative: 0, 3, 8, then 4 after the reset.
    expect(rows[0]!.calls.map(Number)).toEqual([0, 3, 8, 4]);
  });

  for (const days of [7, 30] as const) {
    it(`query-time and query-mean over ${days} days are the stored deltas, one point per interval, never negative`, async () => {
      const expected = await storedIntervals('app');
      expect(expected).toHaveLength(RUNS.length);
      const total = (await readChartData(state, 'app', findMetric('query-time')!, days))!;
      const mean = (await readChartData(state, 'app', findMetric('query-mean')!, days))!;
      // Sums of float8 in another order: equal to the last few bits.
      const close = (values: ChartValue[], series: string, value: (e: (typeof expected)[number]) => number) => {
        expect(values.map((v) => [v.day, v.series])).toEqual(expected.map((e) => [e.at, series]));
        for (const [i, v] of values.entries()) expect(v.value).toBeCloseTo(value(expected[i]!), 9);
      };
      close(chartValues(total), 'total time', (e) => e.totalMs);
      close(chartValues(mean), 'mean time per call', (e) => e.totalMs / e.calls);
      for (const v of [...chartValues(total), ...chartValues(mean)]) expect(v.value).toBeGreaterThanOrEqual(0);
      // After the reset the interval counts from zero: at least the marked statement's 4 runs.
      expect(expected.at(-1)!.calls).toBeGreaterThanOrEqual(RUNS[2]!);
      expect(total.days).toBe(days);
      expect(total.domain![1]).toBe(expected.at(-1)!.at);
    });
  }

  it('database-size is each database’s stored size at each snapshot, and shows the table the test created', async () => {
    const { rows } = await state.query<{ taken_at: Date; name: string; value: number }>(
      `SELECT s.taken_at, d->>'database' AS name, (d->>'sizeBytes')::float8 AS value
       FROM pgmedic.history_snapshots s, jsonb_array_elements(s.databases) d
       WHERE s.target = 'app' AND d->>'sizeBytes' IS NOT NULL`,
    );
    const expected = rows.map((r) => ({ day: iso(r.taken_at), series: r.name, value: Number(r.value) }));
    const data = (await readChartData(state, 'app', findMetric('database-size')!, 7))!;
    expect(sorted(chartValues(data))).toEqual(sorted(expected));
    const appSizes = data.series.find((s) => s.name === 'app')!.points.map((p) => p.value);
    expect(appSizes).toHaveLength(RUNS.length + 1);
    expect(appSizes.at(-1)! - appSizes[0]!).toBeGreaterThan(1024 * 1024);
  });

  it('replication-lag is the stored lag of each standby on the primary, and the standby’s own replay delay', async () => {
    const { rows } = await state.query<{ taken_at: Date; target: string; name: string; value: number }>(
      `SELECT s.taken_at, s.target, b->>'name' AS name, (b->>'lagBytes')::float8 AS value
       FROM pgmedic.history_snapshots s, jsonb_array_elements(s.replication->'standbys') b
       WHERE s.target = 'app'
       UNION ALL
       SELECT taken_at, target, $1, (replication->>'replayLagBytes')::float8
       FROM pgmedic.history_snapshots WHERE target = 'replica'`,
      [STANDBY_SELF],
    );
    for (const target of ['app', 'replica']) {
      const expected = rows
        .filter((r) => r.target === target)
        .map((r) => ({ day: iso(r.taken_at), series: r.name, value: Number(r.value) }));
      expect(expected).toHaveLength(RUNS.length + 1);
      const data = (await readChartData(state, target, findMetric('replication-lag')!, 7))!;
      expect(sorted(chartValues(data))).toEqual(sorted(expected));
    }
    const primary = (await readChartData(state, 'app', findMetric('replication-lag')!, 7))!;
    expect(primary.series.map((s) => s.name)).toEqual(['test_standby']);
  });

  it('renders a valid PNG at twice the chart size, one dot per point, with times in the alt text', async () => {
    const data = (await readChartData(state, 'app', findMetric('query-time')!, 7))!;
    const { svg, png } = await renderChart(data);
    const image = decodePng(png);
    const [, width, height] = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    expect([image.width, image.height]).toEqual([width! * 2, height! * 2]);
    expect(colours(image)).toContain('4c78a8');
    const dots = (/<g class="mark-symbol[^>]*>(.*?)<\/g>/.exec(svg)?.[1]?.match(/<path /g) ?? []).length;
    expect(dots).toBe(RUNS.length);
    expect(svg).toContain(`app · query time, 7 days (${data.from} to ${data.to})`);
    expect(data.from).toBe(dayOffset(data.to, -7));
    expect(altText(data)).toMatch(/^query time of app: total time .* on \d{4}-\d{2}-\d{2} \d{2}:\d{2} → /);
  });

  it('the digest thread gets the history charts with at least two points, and none for a target without history', async () => {
    const history = ['database-size', 'replication-lag', 'query-time', 'query-mean'].map((n) => findMetric(n)!);
    const day = (await readChartData(state, 'app', history[0]!, 7))!.to;
    const sent: string[] = [];
    const counting = {
      query: (text: string, values?: unknown[]) => {
        sent.push(text);
        return state.query(text, values);
      },
    } as unknown as pg.Pool;
    const files = await digestCharts(counting, 'app', day, 7, history);
    // query-time and query-mean share one read of the statement arrays (one page: four snapshots).
    expect(sent.filter((text) => text.includes('pgmedic.history_statements'))).toHaveLength(1);
    expect(files.map((f) => f.data.metric.name)).toEqual([
      'database-size',
      'replication-lag',
      'query-time',
      'query-mean',
    ]);
    for (const f of files) decodePng(f.png);
    expect(await digestCharts(state, 'nobody', day, 7, history)).toEqual([]);
    // A digest of the day before the snapshots draws nothing from them.
    expect(await digestCharts(state, 'app', dayOffset(day, -1), 7, history)).toEqual([]);
  });
});
