import { formatBytes } from '../../src/report/format.js';
import { bloatShare, expectedBtreePages, expectedHeapPages, type ColumnStats } from './estimate.js';

/** One table or btree index above the size floor, with its estimated bloat. */
export interface RelationBloat {
  /** pg_class.oid as text: report buttons pin it. */
  oid: string;
  kind: 'table' | 'index';
  schema: string;
  table: string;
  /** Set for indexes only. */
  index: string | null;
  /** Current size of the relation's main fork (pg_relation_size); from pg_class.relpages when it was locked. */
  totalBytes: number;
  /** Estimated space a freshly packed copy would not need (the fillfactor's reserve is not counted). */
  bloatBytes: number;
  bloatPercent: number;
  fillfactor: number;
  /** False when the estimate rests on missing, hidden or misleading statistics; `unreliableReasons` says why. */
  reliable: boolean;
  unreliableReasons: string[];
  /** pg_stats hides some of its columns from this role (or row-level security hides them all). */
  statsHidden: boolean;
  /** Statistics were hidden and pgstattuple could not replace the estimate: no figure to go by. */
  notEstimated?: boolean;
  /** n_dead_tup: rows VACUUM can clean; not bloat (tables only). */
  deadTuples: number | null;
  /** n_dead_tup that makes autovacuum vacuum the table (tables only). */
  autovacuumThreshold: number | null;
  /** Dead tuples are well past the trigger, or autovacuum is off for the table (tables only). */
  autovacuumBehind: boolean | null;
  /** TOAST size (tables only); its bloat is not estimated. */
  toastBytes: number | null;
  /** Someone held ACCESS EXCLUSIVE: the size comes from the catalog and --exact skipped it. */
  locked: boolean;
  exactBloatBytes?: number | null;
  exactBloatPercent?: number | null;
  /** pgstattuple_approx: free space and dead tuples, percent of the table. */
  exactFreePercent?: number | null;
  exactDeadTuplePercent?: number | null;
  /** pgstatindex: average leaf density, to compare with the fillfactor. */
  exactLeafDensity?: number | null;
}

interface StatsColumns {
  oid: number;
  schema: string;
  table: string;
  relpages: number;
  reltuples: number;
  fillfactor: number;
  bytes: number | null;
  row_security_hides_stats: boolean;
  columns: ColumnStats[] | null;
  attribute_count: number;
  stats_count: number;
  hidden_count: number;
  name_columns: number;
}

export interface TableRow extends StatsColumns {
  toast_bytes: number | null;
  dead_tuples: number;
  autovacuum_threshold: number;
  autovacuum_enabled: boolean;
}

export interface IndexRow extends StatsColumns {
  index: string;
  table_tuples: number;
  is_unique: boolean;
  key_columns: number;
  leading_n_distinct: number | null;
}

/** A table this far past its autovacuum trigger (or with autovacuum off) deserves a manual VACUUM. */
export interface BehindRule {
  triggerRatio: number;
}

/** The size changed this much since VACUUM/ANALYZE last set relpages and reltuples: the estimate is stale. */
const STALE_SIZE_CHANGE = 0.2;
/** TOAST at least half the heap: the heap estimate leaves most of the table out. */
const TOAST_HEAVY_SHARE = 0.5;
/** Rows per distinct leading key above which btree deduplication shrinks the index below the estimate. */
const DEDUPLICATION_ROWS_PER_KEY = 2;

export function statisticsReasons(row: StatsColumns, blockSize: number): string[] {
  const reasons: string[] = [];
  const missing = row.attribute_count - row.stats_count;
  if (row.reltuples < 0) reasons.push('never vacuumed or analyzed: no row count to estimate from (run ANALYZE)');
  if (row.row_security_hides_stats) reasons.push('row-level security hides pg_stats from this role');
  else if (row.hidden_count > 0)
    reasons.push(
      `pg_stats hides ${row.hidden_count} of ${row.attribute_count} columns from this role (no SELECT privilege on them)`,
    );
  else if (row.stats_count === 0 && row.reltuples >= 0) reasons.push('no statistics: never analyzed');
  else if (missing > 0)
    reasons.push(
      `${missing} of ${row.attribute_count} columns have no statistics (added since the last ANALYZE, or statistics target 0)`,
    );
  if (row.name_columns > 0)
    reasons.push('has `name` columns (64 bytes, char-aligned), which bloat estimates often misjudge');
  if (
    row.bytes !== null &&
    row.relpages > 0 &&
    Math.abs(row.bytes / blockSize - row.relpages) / row.relpages > STALE_SIZE_CHANGE
  ) {
    reasons.push(
      `size changed since the last VACUUM/ANALYZE (${formatBytes(row.relpages * blockSize)} then, ${formatBytes(row.bytes)} now)`,
    );
  }
  return reasons;
}

function measured(row: StatsColumns, expectedPages: number, blockSize: number) {
  const bloatPercent = bloatShare(row.relpages, expectedPages);
  const totalBytes = row.bytes ?? row.relpages * blockSize;
  return {
    totalBytes,
    bloatPercent,
    bloatBytes: Math.round((totalBytes * bloatPercent) / 100),
    locked: row.bytes === null,
  };
}

export function tableBloat(row: TableRow, blockSize: number, rule: BehindRule): RelationBloat {
  const expected = expectedHeapPages(Math.max(row.reltuples, 0), row.columns ?? [], blockSize, row.fillfactor);
  const reasons = statisticsReasons(row, blockSize);
  const heapBytes = row.bytes ?? row.relpages * blockSize;
  if (row.toast_bytes !== null && row.toast_bytes >= heapBytes * TOAST_HEAVY_SHARE && row.toast_bytes > 0) {
    reasons.push(`TOAST-heavy (${formatBytes(row.toast_bytes)} of TOAST): only the heap is estimated`);
  }
  const behind = row.autovacuum_enabled
    ? row.dead_tuples > row.autovacuum_threshold * rule.triggerRatio
    : row.dead_tuples > row.autovacuum_threshold;
  return {
    oid: String(row.oid),
    kind: 'table',
    schema: row.schema,
    table: row.table,
    index: null,
    ...measured(row, expected, blockSize),
    fillfactor: row.fillfactor,
    reliable: reasons.length === 0,
    unreliableReasons: reasons,
    statsHidden: row.hidden_count > 0 || row.row_security_hides_stats,
    deadTuples: row.dead_tuples,
    autovacuumThreshold: Math.round(row.autovacuum_threshold),
    autovacuumBehind: behind,
    toastBytes: row.toast_bytes,
  };
}

export function indexBloat(row: IndexRow, blockSize: number): RelationBloat {
  const expected = expectedBtreePages(Math.max(row.reltuples, 0), row.columns ?? [], blockSize, row.fillfactor);
  const reasons = statisticsReasons(row, blockSize);
  if (!row.is_unique && row.key_columns === 1 && row.leading_n_distinct !== null && row.reltuples > 0) {
    const distinct = row.leading_n_distinct >= 0 ? row.leading_n_distinct : -row.leading_n_distinct * row.table_tuples;
    if (distinct > 0 && row.reltuples / distinct > DEDUPLICATION_ROWS_PER_KEY) {
      reasons.push(
        'many duplicate keys: btree deduplication stores them in less space than estimated, so bloat is understated',
      );
    }
  }
  return {
    oid: String(row.oid),
    kind: 'index',
    schema: row.schema,
    table: row.table,
    index: row.index,
    ...measured(row, expected, blockSize),
    fillfactor: row.fillfactor,
    reliable: reasons.length === 0,
    unreliableReasons: reasons,
    statsHidden: row.hidden_count > 0 || row.row_security_hides_stats,
    deadTuples: null,
    autovacuumThreshold: null,
    autovacuumBehind: null,
    toastBytes: null,
  };
}

/**
 * Below this many pages a relation cannot give space back worth having: a btree keeps a metapage and a root
 * whatever it holds, so a two-page index reads as "47 % bloated". Tiny relations are never flagged or counted.
 */
export const TINY_RELATION_PAGES = 16;

export function isTiny(relation: Pick<RelationBloat, 'totalBytes'>, blockSize: number): boolean {
  return relation.totalBytes < TINY_RELATION_PAGES * blockSize;
}
