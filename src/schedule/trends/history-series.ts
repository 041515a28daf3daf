import type { Snapshot } from '../../db/counters.js';
import { type IndexedColumns, indexed } from '../../engine/history-delta.js';
import { wholeBetween } from '../../engine/history-totals.js';
import {
  latestHistoryAt,
  readHistoryRange,
  readStatementHistory,
  type StatementsAt,
} from '../../state/history-series.js';

/** The charts read the query history through the trends (src/charts does not reach the state database). */
export { latestHistoryAt, readHistoryRange, readStatementHistory };

/** One line of a history chart; `day` is the snapshot's instant (ISO 8601, UTC). */
export interface HistorySeries {
  name: string;
  points: { day: string; value: number }[];
}

/** Snapshots of one database's size become one line; lines in the order first seen. */
function group(points: readonly { name: string; day: string; value: number }[]): HistorySeries[] {
  const byName = new Map<string, HistorySeries>();
  for (const p of points) {
    const series = byName.get(p.name) ?? { name: p.name, points: [] };
    series.points.push({ day: p.day, value: p.value });
    byName.set(p.name, series);
  }
  return [...byName.values()];
}

const at = (s: Snapshot) => s.takenAt.toISOString();

/** The snapshots as they are read (a page at a time). */
export type Snapshots = AsyncIterable<Snapshot>;

async function pointsOf(
  snapshots: Snapshots,
  points: (s: Snapshot) => { name: string; day: string; value: number }[],
): Promise<HistorySeries[]> {
  const all: { name: string; day: string; value: number }[] = [];
  for await (const s of snapshots) all.push(...points(s));
  return group(all);
}

/** Each database's size (pg_database_size), where the role could measure it. */
export const databaseSizeSeries = (snapshots: Snapshots): Promise<HistorySeries[]> =>
  pointsOf(snapshots, (s) =>
    s.databases.flatMap((d) => (d.sizeBytes === null ? [] : [{ name: d.database, day: at(s), value: d.sizeBytes }])),
  );

/** Replay lag in bytes of WAL: per standby on a primary, its own replay delay on a standby. */
export const STANDBY_SELF = 'replay delay (this standby)';
export const replicationLagSeries = (snapshots: Snapshots): Promise<HistorySeries[]> =>
  pointsOf(snapshots, (s) => {
    const r = s.replication;
    if (!r) return [];
    if (r.role === 'standby')
      return r.replayLagBytes === null ? [] : [{ name: STANDBY_SELF, day: at(s), value: r.replayLagBytes }];
    return r.standbys.flatMap((b) => (b.lagBytes === null ? [] : [{ name: b.name, day: at(s), value: b.lagBytes }]));
  });

export interface IntervalTime {
  day: string;
  totalMs: number;
  calls: number;
}

/**
 * pg_stat_statements time per interval between consecutive snapshots that both recorded it, at the interval's
 * end: every top-level statement, the "all others" bucket included, as `--since` counts a window (wholeBetween;
 * a reset counts from zero). A statement that joins the kept ones adds its delta, not its count since it began,
 * and a nested statement's time is not counted twice. An interval whose whole is unknown (counts that left
 * pg_stat_statements, a snapshot without the bucket) has no point.
 */
export async function queryTimeIntervals(history: AsyncIterable<StatementsAt>): Promise<IntervalTime[]> {
  const intervals: IntervalTime[] = [];
  let base: { takenAt: Date; statements: IndexedColumns | undefined } | undefined;
  for await (const now of history) {
    const statements = now.statements && indexed(now.statements);
    const whole = base?.statements && statements && wholeBetween(base.statements, base.takenAt, statements);
    if (whole?.known) intervals.push({ day: now.takenAt.toISOString(), ...whole.total });
    base = { takenAt: now.takenAt, statements };
  }
  return intervals;
}

export function queryTotalSeries(intervals: readonly IntervalTime[]): HistorySeries[] {
  const points = intervals.map((i) => ({ day: i.day, value: i.totalMs }));
  return points.length ? [{ name: 'total time', points }] : [];
}

/** Mean time per call over each interval; an interval without calls has no mean (no point). */
export function queryMeanSeries(intervals: readonly IntervalTime[]): HistorySeries[] {
  const points = intervals.flatMap((i) => (i.calls > 0 ? [{ day: i.day, value: i.totalMs / i.calls }] : []));
  return points.length ? [{ name: 'mean time per call', points }] : [];
}
