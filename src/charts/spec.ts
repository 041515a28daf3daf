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

export const chartValues = (data: ChartData): ChartValue[] => data.series.flatMap((s) => s.points.map((p) => ({ day: p.day, series: s.name, value: p.value })));

export const chartTitle = (data: ChartData): string => `${data.target} · ${data.metric.title}, ${data.days} days (${data.from} to ${data.to})`;

/** Axis labels in the units the reports use (formatBytes: 1024-based kB, MB, GB…). */
const BYTES_LABEL =
  "datum.value >= pow(1024, 4) ? format(datum.value / pow(1024, 4), '.3~') + ' TB' : datum.value >= pow(1024, 3) ? format(datum.value / pow(1024, 3), '.3~') + ' GB'" +
  " : datum.value >= pow(1024, 2) ? format(datum.value / pow(1024, 2), '.3~') + ' MB' : datum.value >= 1024 ? format(datum.value / 1024, '.3~') + ' kB' : format(datum.value, '~') + ' B'";

/**
 * A Vega-Lite line chart, one line per relation. Days are UTC dates (the snapshot's day, not an instant),
 * so the scale and labels are UTC and a chart reads the same on any server.
 */
export function chartSpec(data: ChartData): Record<string, unknown> {
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
        scale: { type: 'utc', domain: [data.from, data.to] },
        axis: { title: null, format: '%b %-d', tickCount: Math.min(data.days, 8), grid: false },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        scale: { zero: true },
        axis: { title: null, tickCount: 5, ...(data.metric.unit === 'bytes' ? { labelExpr: BYTES_LABEL } : { format: '~s' }) },
      },
      color: { field: 'series', type: 'nominal', title: null, sort: data.series.map((s) => s.name), legend: { orient: 'bottom', columns: 3, labelLimit: 200 } },
    },
    config: { font: CHART_FONT, background: 'white', view: { stroke: null } },
  };
}
