import type { Pool } from '../db/driver.js';
import { readChartData, type ChartData } from './data.js';
import { TREND_METRICS, type TrendDays, type TrendMetric } from './metrics.js';
import { chartTitle } from './spec.js';

/** A chart ready to upload: PNG bytes and the names Slack shows. */
export interface ChartFile {
  filename: string;
  title: string;
  png: Buffer;
  data: ChartData;
}

/** Days with a point: a chart of one day is a dot, not a trend. */
export const MIN_CHART_DAYS = 2;

export const chartDays = (data: ChartData): number =>
  new Set(data.series.flatMap((s) => s.points.map((p) => p.day))).size;

export async function chartFile(data: ChartData): Promise<ChartFile> {
  const { renderChart } = await import('./render.js');
  const { png } = await renderChart(data);
  return {
    filename: `pgmedic-${data.target}-${data.metric.name}-${data.days}d-${data.to}.png`,
    title: chartTitle(data),
    png,
    data,
  };
}

/** The digest thread's charts of one target: every metric with points on at least two days, up to `to`. */
export async function digestCharts(
  db: Pick<Pool, 'query'>,
  target: string,
  to: string,
  days: TrendDays,
  metrics: readonly TrendMetric[] = TREND_METRICS,
): Promise<ChartFile[]> {
  const files: ChartFile[] = [];
  const memo = new Map();
  for (const metric of metrics) {
    const data = await readChartData(db, target, metric, days, to, memo);
    if (data && chartDays(data) >= MIN_CHART_DAYS) files.push(await chartFile(data));
  }
  return files;
}
