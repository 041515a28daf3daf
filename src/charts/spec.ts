import type { ChartData } from './data.js';

/** The one font the renderer loads (src/charts/render.ts): text must not depend on the machine's fonts. */
export const CHART_FONT = 'DejaVu Sans';

export const CHART_SIZE = { width: 640, height: 240 } as const;

/** One row per point, as the chart draws it; tests compare these with the stored snapshots. */
export interface ChartValue {
  day: string;
  series: string;
  value: number;
}

export const chartValues = (data: ChartData): ChartValue[] =>
  data.series.flatMap((s) => s.points.map((p) => ({ day: p.day, series: s.name, value: p.value })));

export const chartTitle = (data: ChartData): string =>
  `${data.target} · ${data.metric.title}, ${data.days} days (${data.from} to ${data.to})`;

/** Axis labels in the units the reports use (formatBytes: 1024-based kB, MB, GB…). */
const BYTES_LABEL =
  "datum.value >= pow(1024, 4) ? format(datum.value / pow(1024, 4), '.3~') + ' TB' : datum.value >= pow(1024, 3) ? format(datum.value / pow(1024, 3), '.3~') + ' GB'" +
  " : datum.value >= pow(1024, 2) ? format(datum.value / pow(1024, 2), '.3~') + ' MB' : datum.value >= 1024 ? format(datum.value / 1024, '.3~') + ' kB' : format(datum.value, '~') + ' B'";
const COUNT_LABEL = "format(datum.value, '~s')";
const MS_LABEL = "datum.value >= 1000 ? format(datum.value / 1000, '.3~') + ' s' : format(datum.value, '.3~') + ' ms'";
const LABELS = { bytes: BYTES_LABEL, count: COUNT_LABEL, ms: MS_LABEL } as const;

/**
 * Round ticks in the unit of the largest value (Vega's own are round in decimal, so bytes read "4.77 MB"):
 * 1, 2, 2.5 or 5 × 10ⁿ of a power of 1024 (bytes) or 1000 (counts), about four steps, never below 1.
 */
export function yTicks(max: number, unit: 'bytes' | 'count' | 'ms'): number[] {
  const base = unit === 'bytes' ? 1024 : 1000;
  const scale = max >= base ? base ** Math.floor(Math.log(max) / Math.log(base)) : 1;
  const rough = Math.max(max / scale / 4, 1 / scale);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)! * scale;
  const ticks = [0];
  while (ticks.at(-1)! < max) ticks.push(Math.round(ticks.length * step * 1e6) / 1e6);
  return ticks.length > 1 ? ticks : [0, step];
}

/**
 * A Vega-Lite line chart, one line per relation. Days are UTC dates (the snapshot's day, not an instant),
 * so the scale and labels are UTC and a chart reads the same on any server.
 */
export function chartSpec(data: ChartData): Record<string, unknown> {
  const ticks = yTicks(Math.max(0, ...chartValues(data).map((v) => v.value)), data.metric.unit);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...CHART_SIZE,
    title: { text: chartTitle(data), anchor: 'start' },
    data: { values: chartValues(data) },
    mark: { type: 'line', point: { size: 40 }, strokeWidth: 2 },
    encoding: {
      x: {
        field: 'day',
        type: 'temporal',
        scale: { type: 'utc', domain: data.domain ?? [data.from, data.to] },
        axis: { title: null, format: '%b %-d', tickCount: Math.min(data.days, 8), grid: false },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        scale: { domain: [0, ticks.at(-1)], nice: false },
        axis: { title: null, values: ticks, labelExpr: LABELS[data.metric.unit] },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: data.series.map((s) => s.name),
        legend: { orient: 'bottom', columns: 3, labelLimit: 200 },
      },
    },
    config: { font: CHART_FONT, background: 'white', view: { stroke: null } },
  };
}
