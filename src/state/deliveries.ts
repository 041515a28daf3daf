import type { Queryable } from './requests.js';

/** True for the first copy of a delivery seen by any running bot; a repeat finds the key taken. */
export async function claimDelivery(db: Queryable, key: string): Promise<boolean> {
  const { rowCount } = await db.query('INSERT INTO pgmedic.slack_deliveries (key) VALUES ($1) ON CONFLICT DO NOTHING', [
    key,
  ]);
  return rowCount === 1;
}

/** Slack stops retrying within minutes; keys older than `keepMinutes` only take space. */
export async function pruneDeliveries(db: Queryable, keepMinutes: number): Promise<void> {
  await db.query('DELETE FROM pgmedic.slack_deliveries WHERE seen_at < now() - make_interval(mins => $1)', [
    keepMinutes,
  ]);
}
