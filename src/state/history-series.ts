import type { Snapshot } from '../db/counters.js';
import { type ArrayRow, COUNTER_COLUMNS, snapshotOf, type StoredSnapshotRow } from './history.js';
import type { Queryable } from './requests.js';

/** The newest snapshot of a target taken before `before` (default: no bound), or undefined. */
export async function latestHistoryAt(db: Queryable, target: string, before?: Date): Promise<Date | undefined> {
  const { rows } = await db.query<{ taken_at: Date }>(
    `SELECT taken_at FROM pgmedic.history_snapshots
     WHERE target = $1 AND ($2::timestamptz IS NULL OR taken_at < $2) ORDER BY taken_at DESC LIMIT 1`,
    [target, before ?? null],
  );
  return rows[0]?.taken_at;
}

/** Statement arrays read per query: a page of them is what is in memory at once (about 0.3 MB each). */
const PAGE = 24;

/**
 * The statement arrays as one json value: JSON.parse is many times faster than parsing 18 PostgreSQL arrays of 500
 * (bench/HISTORY-CHARTS-RESULTS.md); ids as text, as bigint does not fit a JSON number.
 */
const ARRAYS_AS_JSON = `json_build_object('query_ids', query_ids::text[], 'user_ids', user_ids::text[], 'db_ids', db_ids::text[],
  'toplevel', toplevel, 'stats_since', stats_since, ${COUNTER_COLUMNS.map((c) => `'${c}', ${c}`).join(', ')})`;

/**
 * Every snapshot of a target taken from `from` to `to` (inclusive), oldest first, for the trend charts.
 * `withStatements`: with their pg_stat_statements arrays (the query-time charts), read a page at a time so that
 * a month of them is never in memory at once; otherwise without (a recorded snapshot's entries then read as []).
 */
export async function* readHistoryRange(
  db: Queryable,
  target: string,
  from: Date,
  to: Date,
  withStatements: boolean,
): AsyncGenerator<Snapshot> {
  const { rows } = await db.query<StoredSnapshotRow & { id: string }>(
    `SELECT * FROM pgmedic.history_snapshots WHERE target = $1 AND taken_at BETWEEN $2 AND $3 ORDER BY taken_at, id`,
    [target, from, to],
  );
  for (let i = 0; i < rows.length; i += PAGE) {
    const page = rows.slice(i, i + PAGE);
    const arrays = new Map<string, ArrayRow>();
    if (withStatements) {
      const { rows: found } = await db.query<{ id: string; arrays: ArrayRow }>(
        `SELECT snapshot_id::text AS id, ${ARRAYS_AS_JSON} AS arrays FROM pgmedic.history_statements
         WHERE snapshot_id = ANY($1::bigint[])`,
        [page.map((r) => r.id)],
      );
      for (const row of found) arrays.set(row.id, row.arrays);
    }
    for (const row of page) yield snapshotOf(row, arrays.get(String(row.id)));
  }
}
