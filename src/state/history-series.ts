import type { Snapshot } from '../db/counters.js';
import { type ArrayRow, snapshotOf, type StoredSnapshotRow } from './history.js';
import type { Queryable } from './requests.js';

/** The newest snapshot of a target taken before `before` (default: any), or undefined. */
export async function latestHistoryAt(db: Queryable, target: string, before?: Date): Promise<Date | undefined> {
  const { rows } = await db.query<{ taken_at: Date }>(
    `SELECT taken_at FROM pgmedic.history_snapshots
     WHERE target = $1 AND ($2::timestamptz IS NULL OR taken_at < $2) ORDER BY taken_at DESC LIMIT 1`,
    [target, before ?? null],
  );
  return rows[0]?.taken_at;
}

/**
 * Every snapshot of a target taken from `from` to `to` (inclusive), oldest first, for the trend charts.
 * `withStatements`: with their pg_stat_statements arrays (the query-time charts), otherwise without (cheaper).
 */
export async function readHistoryRange(
  db: Queryable,
  target: string,
  from: Date,
  to: Date,
  withStatements: boolean,
): Promise<Snapshot[]> {
  const join = withStatements
    ? ', st.* FROM pgmedic.history_snapshots s LEFT JOIN pgmedic.history_statements st ON st.snapshot_id = s.id'
    : ' FROM pgmedic.history_snapshots s';
  const { rows } = await db.query<StoredSnapshotRow & ArrayRow>(
    `SELECT s.*${join} WHERE s.target = $1 AND s.taken_at BETWEEN $2 AND $3 ORDER BY s.taken_at, s.id`,
    [target, from, to],
  );
  // Without them, a recorded snapshot's statements read as an empty list: only the query-time charts look.
  return rows.map((row) => snapshotOf(row, withStatements ? row : undefined));
}
