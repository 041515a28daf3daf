import type { Queryable } from './requests.js';

/** Snapshots younger than this keep their full frequency; older ones are thinned to one per hour. */
export const FULL_RESOLUTION_DAYS = 2;

export interface PruneResult {
  expired: number;
  thinned: number;
  texts: number;
}

/**
 * Keeps the query history bounded: snapshots past the retention go, with their statements; those older than two
 * days are thinned to the first of each hour per target; statement texts no snapshot has seen within the
 * retention go; snapshot claims older than two days go (they only guard one run).
 */
export async function pruneHistory(db: Queryable, now: Date, retentionDays: number): Promise<PruneResult> {
  const expired = await deleteSnapshots(db, 's.taken_at < $1::timestamptz - make_interval(days => $2)', [
    now,
    retentionDays,
  ]);
  const thinned = await deleteSnapshots(
    db,
    `s.taken_at < $1::timestamptz - make_interval(days => $2)
       AND EXISTS (SELECT 1 FROM pgmedic.history_snapshots e
                   WHERE e.target = s.target AND date_trunc('hour', e.taken_at) = date_trunc('hour', s.taken_at)
                     AND (e.taken_at, e.id) < (s.taken_at, s.id))`,
    [now, FULL_RESOLUTION_DAYS],
  );
  const texts = await db.query(
    'DELETE FROM pgmedic.history_statement_texts WHERE last_seen < $1::timestamptz - make_interval(days => $2)',
    [now, retentionDays],
  );
  await db.query(
    "DELETE FROM pgmedic.schedule_claims WHERE job LIKE 'snapshot:%' AND scheduled_at < $1::timestamptz - make_interval(days => $2)",
    [now, FULL_RESOLUTION_DAYS],
  );
  return { expired, thinned, texts: texts.rowCount ?? 0 };
}

/** Deletes the snapshots matching `where` (alias s) and their statements, in one statement; returns how many. */
async function deleteSnapshots(db: Queryable, where: string, values: unknown[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH gone AS (DELETE FROM pgmedic.history_snapshots s WHERE ${where} RETURNING s.id),
          statements AS (DELETE FROM pgmedic.history_statements h USING gone WHERE h.snapshot_id = gone.id)
     SELECT count(*)::int AS n FROM gone`,
    values,
  );
  return rows[0]?.n ?? 0;
}
