import type { SnapshotRow } from '../schedule/trends/extract.js';

interface MetricBase {
  name: string;
  title: string;
  unit: 'bytes' | 'count' | 'ms';
  summary: string;
}

/** A figure of the daily snapshot rows (src/schedule/trends), per relation or in all. */
export interface DailyMetric extends MetricBase {
  source: 'daily';
  /** Which snapshot rows are series of this chart. */
  kind: SnapshotRow['kind'];
  value: (row: SnapshotRow) => number | null;
}

/**
 * `series` names the function of src/schedule/trends/history-series.ts that builds the chart's lines (by name, so
 * that help and the command line, which list metrics, do not load the history readers).
 *
 * A figure of the query history's snapshots (every 15 minutes): x is the snapshot's instant. Statement metrics
 * chart the query time per interval, read once for all of them (the costly part: the pg_stat_statements arrays).
 */
export type HistoryMetric = MetricBase & { source: 'history' } & (
    | { statements: false; series: 'databaseSize' | 'replicationLag' }
    | { statements: true; series: 'queryTotal' | 'queryMean' }
  );

/** What a chart can show. */
export type TrendMetric = DailyMetric | HistoryMetric;

/** Relations per chart: more lines than this are unreadable on a phone. */
export const MAX_SERIES = 5;

export const TREND_DAYS = [7, 30] as const;
export type TrendDays = (typeof TREND_DAYS)[number];

export const TREND_METRICS: readonly TrendMetric[] = [
  {
    name: 'size',
    title: 'table size',
    source: 'daily',
    unit: 'bytes',
    kind: 'table',
    value: (r) => r.totalBytes,
    summary: `total size of the ${MAX_SERIES} largest tables the digest tracks`,
  },
  {
    name: 'bloat',
    title: 'table bloat',
    source: 'daily',
    unit: 'bytes',
    kind: 'table',
    value: (r) => r.bloatBytes,
    summary: `estimated reclaimable bytes of the ${MAX_SERIES} most bloated tables`,
  },
  {
    name: 'reclaimable',
    title: 'reclaimable in all',
    source: 'daily',
    unit: 'bytes',
    kind: 'total',
    value: (r) => r.bloatBytes,
    summary: 'estimated reclaimable bytes over every table and index',
  },
  {
    name: 'dead-tuples',
    title: 'dead tuples',
    source: 'daily',
    unit: 'count',
    kind: 'table',
    value: (r) => r.deadTuples,
    summary: `dead tuples of the ${MAX_SERIES} tables with the most`,
  },
  {
    name: 'database-size',
    title: 'database size',
    source: 'history',
    unit: 'bytes',
    statements: false,
    series: 'databaseSize',
    summary: 'size of each database of the server (pg_database_size), from the query history',
  },
  {
    name: 'replication-lag',
    title: 'replication lag',
    source: 'history',
    unit: 'bytes',
    statements: false,
    series: 'replicationLag',
    summary: 'WAL not yet replayed: per standby on a primary, its own replay delay on a standby',
  },
  {
    name: 'query-time',
    title: 'query time',
    source: 'history',
    unit: 'ms',
    statements: true,
    series: 'queryTotal',
    summary: 'total time of the statements pg_stat_statements kept, per interval between snapshots',
  },
  {
    name: 'query-mean',
    title: 'mean query time',
    source: 'history',
    unit: 'ms',
    statements: true,
    series: 'queryMean',
    summary: 'mean time per call of those statements, per interval between snapshots',
  },
];

/** Other names people type for a metric: the answer names the one to use. */
export const UNRECORDED_METRICS: Readonly<Record<string, string>> = {
  'db-size': 'That metric is called `database-size`: `/pg trend database-size`.',
  lag: 'That metric is called `replication-lag`: `/pg trend replication-lag`.',
};

export const findMetric = (name: string): TrendMetric | undefined =>
  TREND_METRICS.find((m) => m.name === name.toLowerCase());

export const metricList = (): string => TREND_METRICS.map((m) => `\`${m.name}\``).join(', ');
