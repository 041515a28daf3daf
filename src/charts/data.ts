import type { Pool } from '../db/driver.js';
import { qualifiedName } from '../report/format.js';
import { dayOffset, type DatedRow } from '../schedule/trends/compare.js';
import { snapshotKey } from '../schedule/trends/extract.js';
import { latestSnapshotDay, readSnapshots } from '../schedule/trends/snapshots.js';
import { type IntervalMemo, readHistoryChartData } from './history-data.js';
import { type DailyMetric, MAX_SERIES, type TrendDays, type TrendMetric } from './metrics.js';

export interface ChartPoint {
  /** A UTC day (daily snapshots) or an ISO instant (query history). */
  day: string;
  value: number;
}

export interface ChartSeries {
  name: string;
  points: ChartPoint[];
}

/** One chart's data: straight from the stored snapshots, nothing interpolated. */
export interface ChartData {
  target: string;
  metric: TrendMetric;
  days: TrendDays;
  /** First and last day of the window (inclusive); `to` is the latest snapshot day. */
  from: string;
  to: string;
  /** The x axis's ends when they are instants (query history); otherwise from and to. */
  domain?: [string, string];
  series: ChartSeries[];
}

/**
 * Pure: the metric's series over the `days` ending at `to`, one per relation, the MAX_SERIES largest on
 * their latest day first (a relation that left the digest's top list keeps its older points).
 */
export function chartData(
  rows: readonly DatedRow[],
  target: string,
  metric: DailyMetric,
  days: TrendDays,
  to: string,
): ChartData {
  const from = dayOffset(to, -(days - 1));
  const byRelation = new Map<string, { name: string; points: ChartPoint[] }>();
  for (const row of rows) {
    const value = metric.value(row);
    if (row.kind !== metric.kind || value === null || row.day < from || row.day > to) continue;
    const key = snapshotKey(row);
    const series = byRelation.get(key) ?? {
      name: row.kind === 'total' ? 'all relations' : qualifiedName(row.schema, row.relation),
      points: [],
    };
    series.points.push({ day: row.day, value: Number(value) });
    byRelation.set(key, series);
  }
  const latest = (s: ChartSeries) => s.points.at(-1)!;
  const series = [...byRelation.values()]
    .map((s) => ({ ...s, points: s.points.sort((a, b) => a.day.localeCompare(b.day)) }))
    .sort(
      (a, b) =>
        latest(b).day.localeCompare(latest(a).day) || latest(b).value - latest(a).value || a.name.localeCompare(b.name),
    )
    .slice(0, MAX_SERIES);
  return { target, metric, days, from, to, series };
}

/** The chart over the `days` up to `to` (the digest's day), or up to the latest snapshot; null without any. */
export async function readChartData(
  db: Pick<Pool, 'query'>,
  target: string,
  metric: TrendMetric,
  days: TrendDays,
  to?: string,
  memo?: IntervalMemo,
): Promise<ChartData | null> {
  if (metric.source === 'history') return readHistoryChartData(db, target, metric, days, to, memo);
  const last = to ?? (await latestSnapshotDay(db, target));
  if (!last) return null;
  const rows = await readSnapshots(db, target, dayOffset(last, -(days - 1)), dayOffset(last, 1));
  return chartData(rows, target, metric, days, last);
}
