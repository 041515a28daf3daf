import type { Pool } from '../db/driver.js';
import type { StatePool } from './transaction.js';
import { inTransaction } from './transaction.js';

/** One relation's figures on one day (kind 'total' is the target's estimated reclaimable bytes in all). */
export interface SnapshotRow {
  kind: 'table' | 'index' | 'total';
  schema: string;
  relation: string;
  totalBytes: number | null;
  bloatBytes: number | null;
  bloatPercent: number | null;
  deadTuples: number | null;
}

export interface DatedRow extends SnapshotRow {
  day: string;
}

/** Snapshots older than this are deleted whenever a new one is written. */
export const SNAPSHOT_RETENTION_DAYS = 35;

/**
 * Replaces the target's snapshot for `day` (the latest digest of the day wins, so writing twice is
 * harmless) and prunes every target's snapshots past the retention, in one transaction.
 */
export async function writeSnapshot(
  pool: StatePool,
  target: string,
  day: string,
  rows: readonly SnapshotRow[],
): Promise<void> {
  await inTransaction(pool, async (db) => {
    await db.query('DELETE FROM pgmedic.relation_snapshots WHERE target = $1 AND day = $2::date', [target, day]);
    await db.query(
      `INSERT INTO pgmedic.relation_snapshots (target, day, kind, schema_name, relation, total_bytes, bloat_bytes, bloat_percent, dead_tuples)
       SELECT $1, $2::date, r.* FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::float8[], $9::bigint[]) AS r
       ON CONFLICT (target, day, kind, schema_name, relation) DO UPDATE SET total_bytes = excluded.total_bytes, bloat_bytes = excluded.bloat_bytes,
         bloat_percent = excluded.bloat_percent, dead_tuples = excluded.dead_tuples, taken_at = clock_timestamp()`,
      [
        target,
        day,
        rows.map((r) => r.kind),
        rows.map((r) => r.schema),
        rows.map((r) => r.relation),
        rows.map((r) => round(r.totalBytes)),
        rows.map((r) => round(r.bloatBytes)),
        rows.map((r) => r.bloatPercent),
        rows.map((r) => round(r.deadTuples)),
      ],
    );
    // date - integer is a date: the same calendar arithmetic as the trends' dayOffset.
    await db.query('DELETE FROM pgmedic.relation_snapshots WHERE day < $1::date - $2::int', [
      day,
      SNAPSHOT_RETENTION_DAYS,
    ]);
  });
}

const round = (value: number | null) => (value === null ? null : Math.round(value));

interface Row {
  day: string;
  kind: SnapshotRow['kind'];
  schema_name: string;
  relation: string;
  total_bytes: number | null;
  bloat_bytes: number | null;
  bloat_percent: number | null;
  dead_tuples: number | null;
}

/** The target's snapshots with `from` ≤ day < `to`. */
export async function readSnapshots(
  db: Pick<Pool, 'query'>,
  target: string,
  from: string,
  to: string,
): Promise<DatedRow[]> {
  const { rows } = await db.query<Row>(
    `SELECT day::text AS day, kind, schema_name, relation, total_bytes, bloat_bytes, bloat_percent, dead_tuples
     FROM pgmedic.relation_snapshots WHERE target = $1 AND day >= $2::date AND day < $3::date`,
    [target, from, to],
  );
  return rows.map((r) => ({
    day: r.day,
    kind: r.kind,
    schema: r.schema_name,
    relation: r.relation,
    totalBytes: r.total_bytes,
    bloatBytes: r.bloat_bytes,
    bloatPercent: r.bloat_percent,
    deadTuples: r.dead_tuples,
  }));
}

/** The target's latest snapshot day, or null before its first digest. */
export async function latestSnapshotDay(db: Pick<Pool, 'query'>, target: string): Promise<string | null> {
  const { rows } = await db.query<{ day: string | null }>(
    'SELECT max(day)::text AS day FROM pgmedic.relation_snapshots WHERE target = $1',
    [target],
  );
  return rows[0]?.day ?? null;
}
