import { toAlert, type AlertRow, type Row } from './alerts.js';
import type { Queryable } from './requests.js';

/**
 * Targets a reload or a discovery removed: nothing looks at them any more, so their firing alerts would fire forever.
 * Each is resolved once (the compare-and-set on status: of copies doing this together, one gets each row).
 */
export async function resolveAlertsOf(db: Queryable, targets: readonly string[], at: Date): Promise<AlertRow[]> {
  if (!targets.length) return [];
  const { rows } = await db.query<Row>(
    `UPDATE pgmedic.alerts SET status = 'resolved', resolved_at = $2, last_change = $2
     WHERE target = ANY ($1::text[]) AND status = 'firing' RETURNING *`,
    [targets, at],
  );
  return rows.map(toAlert);
}

/**
 * Their lease rows go too (of every kind of shared work, or of one): the fleet view and the fair share stop counting
 * them.
 */
export async function removeLeaseRows(db: Queryable, targets: readonly string[], work?: string): Promise<number> {
  if (!targets.length) return 0;
  const { rowCount } = await db.query(
    'DELETE FROM pgmedic.watch_leases WHERE target = ANY ($1::text[]) AND ($2::text IS NULL OR work = $2)',
    [targets, work ?? null],
  );
  return rowCount ?? 0;
}
