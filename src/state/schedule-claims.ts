import type { Queryable } from './requests.js';

/** Claims older than this are pruned when a new one is taken (they only guard against double sends). */
const CLAIM_RETENTION_DAYS = 35;

/**
 * Takes the run of `job` scheduled at `scheduledAt` for this copy of the bot. One INSERT … ON CONFLICT DO
 * NOTHING: however many copies race, exactly one gets `true`, and a restarted copy cannot take it again.
 */
export async function claim(db: Queryable, job: string, scheduledAt: Date, instanceId: string): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO pgmedic.schedule_claims (job, scheduled_at, instance_id) VALUES ($1, $2, $3)
     ON CONFLICT (job, scheduled_at) DO NOTHING RETURNING 1`,
    [job, scheduledAt, instanceId],
  );
  return rows.length === 1;
}

/** Whether some copy already took this run (the missed-run check on start looks before it leaps). */
export async function isClaimed(db: Queryable, job: string, scheduledAt: Date): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM pgmedic.schedule_claims WHERE job = $1 AND scheduled_at = $2', [
    job,
    scheduledAt,
  ]);
  return rows.length === 1;
}

/** Records how the claimed run ended ('sent', 'failed: …'), for the record and for tests. */
export async function finishClaim(db: Queryable, job: string, scheduledAt: Date, outcome: string): Promise<void> {
  await db.query(
    'UPDATE pgmedic.schedule_claims SET finished_at = clock_timestamp(), outcome = $3 WHERE job = $1 AND scheduled_at = $2',
    [job, scheduledAt, outcome.slice(0, 500)],
  );
}

export async function pruneClaims(db: Queryable, now: Date): Promise<void> {
  await db.query(
    'DELETE FROM pgmedic.schedule_claims WHERE scheduled_at < $1::timestamptz - make_interval(days => $2)',
    [now, CLAIM_RETENTION_DAYS],
  );
}
