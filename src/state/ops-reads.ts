import type { Queryable } from './requests.js';

/** What /readyz and /metrics (src/ops) read from the state database: small aggregate reads, nothing written. */

/** Readiness: the state database answers and has been migrated. */
export async function stateAnswers(db: Queryable): Promise<void> {
  await db.query('SELECT 1 FROM pgmedic.schema_migrations LIMIT 1');
}

export async function requestsByStatus(db: Queryable): Promise<{ status: string; count: number }[]> {
  const { rows } = await db.query<{ status: string; count: number }>(
    'SELECT status, count(*)::int AS count FROM pgmedic.approval_requests GROUP BY status',
  );
  return rows;
}

export async function firingAlertCounts(db: Queryable): Promise<{ target: string; severity: string; count: number }[]> {
  const { rows } = await db.query<{ target: string; severity: string; count: number }>(
    "SELECT target, severity, count(*)::int AS count FROM pgmedic.alerts WHERE status = 'firing' GROUP BY target, severity",
  );
  return rows;
}
