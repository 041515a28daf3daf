import type { Queryable } from './requests.js';

/** Snapshots younger than this keep their full frequency; older ones are thinned to one per hour. */
export const FULL_RESOLUTION_DAYS = 2;

export interface PruneResult {
  expired: number;
  thinned: number;
  texts: number;
}

/**
 * Keeps the query history bounded: snapshots past the retention go (their statements with them, ON DELETE
 * CASCADE); those older than two days are thinned to the first of each hour per target; statement texts no
 * snapshot has seen within the retention go; snapshot claims older than two days go (they only guard one run).
 */
export async function pruneHistory(db: Queryable, now: Date, retentionDays: number): Promise<PruneResult> {
  const expired = await db.query(
    'DELETE FROM pgmedic.history_snapshots WHERE taken_at < $1::timestamptz - make_interval(days => $2)',
    [now, retentionDays],
  );
  const thinned = await db.query(
    `DELETE FROM pgmedic.history_snapshots s
     WHERE s.taken_at < $1::timestamptz - make_interval(days => $2)
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
  return { expired: expired.rowCount ?? 0, thinned: thinned.rowCount ?? 0, texts: texts.rowCount ?? 0 };
}
