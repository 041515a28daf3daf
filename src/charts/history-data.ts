import type { Pool } from '../db/driver.js';
import { dayOffset } from '../schedule/trends/compare.js';
import {
  databaseSizeSeries,
  type HistorySeries,
  type IntervalTime,
  latestHistoryAt,
  queryMeanSeries,
  queryTimeIntervals,
  queryTotalSeries,
  readHistoryRange,
  readStatementHistory,
  replicationLagSeries,
} from '../schedule/trends/history-series.js';
import type { ChartData } from './data.js';
import { type HistoryMetric, MAX_SERIES, type TrendDays } from './metrics.js';

const DAY_MS = 86_400_000;

/** Query time per interval by target and window: the digest's query-time and query-mean charts read it once. */
export type IntervalMemo = Map<string, Promise<IntervalTime[]>>;

/**
 * Pure: the metric's series of the snapshots taken from `first` to `last`, the MAX_SERIES largest at their
 * latest point first. The x domain is the instants, the title's dates are their UTC days.
 */
export function historyChartData(
  all: readonly HistorySeries[],
  target: string,
  metric: HistoryMetric,
  days: TrendDays,
  first: Date,
  last: Date,
): ChartData {
  const latest = (s: { points: { day: string; value: number }[] }) => s.points.at(-1)!;
  const series = all
    .filter((s) => s.points.length)
    .sort(
      (a, b) =>
        latest(b).day.localeCompare(latest(a).day) || latest(b).value - latest(a).value || a.name.localeCompare(b.name),
    )
    .slice(0, MAX_SERIES);
  return {
    target,
    metric,
    days,
    from: first.toISOString().slice(0, 10),
    to: last.toISOString().slice(0, 10),
    domain: [first.toISOString(), last.toISOString()],
    series,
  };
}

/**
 * The chart over the `days` before the latest snapshot (up to the end of `to`, the digest's day, when given);
 * null when the target has no snapshot at all.
 */
export async function readHistoryChartData(
  db: Pick<Pool, 'query'>,
  target: string,
  metric: HistoryMetric,
  days: TrendDays,
  to?: string,
  memo: IntervalMemo = new Map(),
): Promise<ChartData | null> {
  const before = to ? new Date(`${dayOffset(to, 1)}T00:00:00Z`) : undefined;
  const last = await latestHistoryAt(db, target, before);
  if (!last) return null;
  const first = new Date(last.getTime() - days * DAY_MS);
  let series: HistorySeries[];
  if (metric.statements) {
    const key = `${target}\u0000${first.toISOString()}\u0000${last.toISOString()}`;
    if (!memo.has(key)) memo.set(key, queryTimeIntervals(readStatementHistory(db, target, first, last)));
    const intervals = await memo.get(key)!;
    series = metric.series === 'queryTotal' ? queryTotalSeries(intervals) : queryMeanSeries(intervals);
  } else {
    const snapshots = readHistoryRange(db, target, first, last);
    series = await (metric.series === 'databaseSize' ? databaseSizeSeries : replicationLagSeries)(snapshots);
  }
  return historyChartData(series, target, metric, days, first, last);
}
