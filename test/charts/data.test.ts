import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartData, readChartData, type ChartData } from '../../src/charts/data.js';
import { type DailyMetric, findMetric, MAX_SERIES, TREND_METRICS } from '../../src/charts/metrics.js';
import { renderChart } from '../../src/charts/render.js';
import { chartValues, yTicks, type ChartValue } from '../../src/charts/spec.js';
import type { Targets } from '../../src/db/targets.js';
import { dayOffset } from '../../src/schedule/trends/compare.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { createChartTables, runDailyDigests } from '../support/charts.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { colours, decodePng } from '../support/png.js';
import { createDatabases, targetsOf } from '../support/schedule.js';

const LAST_DAY = '2026-11-30';
const DAYS_STORED = 9;
/** The first colours of Vega's default categorical scheme (tableau10), in series order. */
const SERIES_COLOURS = ['4c78a8', 'f58518', 'e45756', '72b7b2', '54a24b'];

let server: TestServer;
let admin: pg.Client;
let app: pg.Client;
let state: pg.Pool;
let targets: Targets;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['app', 'state']);
  app = await connect(server.url('app'));
  await createChartTables(app);
  state = createStatePool(server.url('state'));
  await migrateStateDatabase(state);
  targets = targetsOf([{ name: 'app', url: server.url('app') }]);
  await runDailyDigests(app, targets.get('app'), state, LAST_DAY, DAYS_STORED);
}, 120_000);

afterAll(async () => {
  await targets?.closeAll();
  await state?.end();
  await app?.end();
  await admin?.end();
  await server?.stop();
});

const COLUMN: Record<string, string> = {
  size: 'total_bytes',
  bloat: 'bloat_bytes',
  reclaimable: 'bloat_bytes',
  'dead-tuples': 'dead_tuples',
};

/** Ground truth straight from the table: the relations with the largest figure on the last day, and every stored point of theirs. */
async function storedValues(metric: DailyMetric, from: string, to: string): Promise<ChartValue[]> {
  const column = COLUMN[metric.name]!;
  const { rows } = await state.query<{ day: string; name: string; value: number }>(
    `WITH window_rows AS (
       SELECT day, CASE WHEN kind = 'total' THEN 'all relations' WHEN schema_name = 'public' THEN relation ELSE schema_name || '.' || relation END AS name, ${column} AS value
       FROM pgmedic.relation_snapshots WHERE target = 'app' AND kind = $1 AND ${column} IS NOT NULL AND day BETWEEN $2::date AND $3::date),
     top AS (SELECT name FROM window_rows WHERE day = $3::date ORDER BY value DESC, name LIMIT ${MAX_SERIES})
     SELECT day::text AS day, name, value FROM window_rows WHERE name IN (SELECT name FROM top)`,
    [metric.kind, from, to],
  );
  return rows.map((r) => ({ day: r.day, series: r.name, value: Number(r.value) }));
}

const DAILY_METRICS = TREND_METRICS.filter((m): m is DailyMetric => m.source === 'daily');
const daily = (name: string) => findMetric(name) as DailyMetric;

const sorted = (values: ChartValue[]) =>
  [...values].sort((a, b) => a.series.localeCompare(b.series) || a.day.localeCompare(b.day));

describe('chart data', () => {
  for (const metric of DAILY_METRICS) {
    for (const days of [7, 30] as const) {
      it(`${metric.name} over ${days} days is exactly the stored snapshots`, async () => {
        const data = (await readChartData(state, 'app', metric, days))!;
        expect(data.to).toBe(LAST_DAY);
        expect(data.from).toBe(dayOffset(LAST_DAY, -(days - 1)));
        const expected = await storedValues(metric, data.from, data.to);
        expect(expected.length).toBeGreaterThan(0);
        expect(sorted(chartValues(data))).toEqual(sorted(expected));
        expect(new Set(chartValues(data).map((v) => v.day)).size).toBe(Math.min(days, DAYS_STORED));
        expect(data.series.length).toBeLessThanOrEqual(MAX_SERIES);
      });
    }
  }

  it('shows what happened: orders grew every day, events gathered dead tuples', async () => {
    const size = (await readChartData(state, 'app', daily('size'), 30))!;
    const orders = size.series.find((s) => s.name === 'orders')!.points.map((p) => p.value);
    expect(orders).toHaveLength(DAYS_STORED);
    for (const [i, value] of orders.slice(1).entries()) expect(value).toBeGreaterThan(orders[i]!);
    const dead = (await readChartData(state, 'app', daily('dead-tuples'), 30))!;
    const events = dead.series.find((s) => s.name === 'events')!.points.map((p) => p.value);
    expect(events.at(-1)!).toBeGreaterThan(events[0]!);
  });

  it('has no chart before the first snapshot', async () => {
    expect(await readChartData(state, 'nobody', daily('size'), 7)).toBeNull();
  });

  it('keeps a relation that left the top list, leaves gaps as gaps and stays inside the window', () => {
    const row = (day: string, relation: string, totalBytes: number) => ({
      day,
      kind: 'table' as const,
      schema: 'sales',
      relation,
      totalBytes,
      bloatBytes: null,
      bloatPercent: null,
      deadTuples: null,
    });
    const rows = [
      row('2026-11-20', 'old', 9e9),
      row('2026-11-28', 'gone', 5e6),
      row('2026-11-28', 'a', 1e6),
      row('2026-11-30', 'a', 3e6),
      row('2026-12-01', 'future', 1),
    ];
    const data: ChartData = chartData(rows, 'app', daily('size'), 7, '2026-11-30');
    expect(data.series.map((s) => s.name)).toEqual(['sales.a', 'sales.gone']);
    expect(data.series[0]!.points).toEqual([
      { day: '2026-11-28', value: 1e6 },
      { day: '2026-11-30', value: 3e6 },
    ]);
  });
});

describe('y axis', () => {
  it('ticks in round units of the largest value: MB for bytes, thousands for counts, whole numbers at least', () => {
    const MB = 1024 ** 2;
    expect(yTicks(14.3 * MB, 'bytes')).toEqual([0, 5 * MB, 10 * MB, 15 * MB]);
    expect(yTicks(2475, 'count')).toEqual([0, 1000, 2000, 3000]);
    expect(yTicks(3, 'count')).toEqual([0, 1, 2, 3]);
    expect(yTicks(0, 'count')).toEqual([0, 1]);
  });
});

describe('chart image', () => {
  it('is a valid PNG at twice the chart size, with one dot per stored point in the series colours', async () => {
    const data = (await readChartData(state, 'app', daily('size'), 7))!;
    const { svg, png } = await renderChart(data);
    const image = decodePng(png);
    const [, width, height] = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    expect([image.width, image.height]).toEqual([width! * 2, height! * 2]);
    expect(image.chunks[0]).toBe('IHDR');
    const seen = colours(image);
    for (const colour of SERIES_COLOURS.slice(0, data.series.length)) expect(seen).toContain(colour);
    const dots = (/<g class="mark-symbol[^>]*>(.*?)<\/g>/.exec(svg)?.[1]?.match(/<path /g) ?? []).length;
    expect(dots).toBe(chartValues(data).length);
    expect(svg).toContain('app · table size, 7 days');
  });

  it('draws relation names as text, whatever they contain (markup, quotes, an expression, 200 characters)', async () => {
    const names = ['</text><script>alert(1)</script>', 'a"b&c\'d', '${datum.value}', 'ü'.repeat(200)];
    const rows = names.map((relation, i) => ({
      day: '2026-11-30',
      kind: 'table' as const,
      schema: 'public',
      relation,
      totalBytes: (i + 1) * 1e6,
      bloatBytes: null,
      bloatPercent: null,
      deadTuples: null,
    }));
    const { svg, png } = await renderChart(chartData(rows, 'app', daily('size'), 7, '2026-11-30'));
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;/text&gt;&lt;script&gt;');
    decodePng(png);
  });

  it('renders the same bytes every time (fonts from the package, not the machine)', async () => {
    const data = (await readChartData(state, 'app', daily('dead-tuples'), 30))!;
    const [first, second] = [await renderChart(data), await renderChart(data)];
    expect(first.png.equals(second.png)).toBe(true);
    decodePng(first.png);
  });
});
