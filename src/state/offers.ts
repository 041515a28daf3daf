import { randomBytes } from 'node:crypto';
import type { Queryable } from './requests.js';

/** A suggested action as a report offered it: the button carries only `id`. */
export interface ActionOffer {
  id: string;
  action: string;
  target: string;
  params: Record<string, string>;
  channel: string | null;
  /** Slack user id of whoever ran the report. */
  offeredTo: string;
  createdAt: string;
  expiresAt: string;
}

export type NewOffer = Pick<ActionOffer, 'action' | 'target' | 'params' | 'channel' | 'offeredTo'>;

interface Row {
  id: string;
  action: string;
  target: string;
  params: Record<string, string>;
  channel: string | null;
  offered_to: string;
  created_at: Date;
  expires_at: Date;
}

const newOfferId = (): string => `o_${randomBytes(12).toString('base64url')}`;

/** Stores the offers of one report (one round trip) and returns their ids in the same order. */
export async function insertOffers(
  db: Queryable,
  offers: readonly NewOffer[],
  lifetimeMinutes: number,
): Promise<string[]> {
  if (!offers.length) return [];
  const ids = offers.map(newOfferId);
  await db.query(
    `INSERT INTO pgmedic.action_offers (id, action, target, params, channel, offered_to, expires_at)
     SELECT o.id, o.action, o.target, o.params, o.channel, o.offered_to, now() + make_interval(mins => $2)
     FROM jsonb_to_recordset($1::jsonb) AS o(id text, action text, target text, params jsonb, channel text, offered_to text)`,
    [
      JSON.stringify(
        offers.map((o, i) => ({
          id: ids[i],
          action: o.action,
          target: o.target,
          params: o.params,
          channel: o.channel,
          offered_to: o.offeredTo,
        })),
      ),
      lifetimeMinutes,
    ],
  );
  return ids;
}

/** The offer behind a button, only while it has not expired. */
export async function getLiveOffer(db: Queryable, id: string): Promise<ActionOffer | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM pgmedic.action_offers WHERE id = $1 AND expires_at > now()', [
    id,
  ]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    action: row.action,
    target: row.target,
    params: row.params,
    channel: row.channel,
    offeredTo: row.offered_to,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
  };
}

/** Offers are only pointers to report rows; a day after expiry they are of no use to anyone. */
export async function pruneOffers(db: Queryable): Promise<void> {
  await db.query("DELETE FROM pgmedic.action_offers WHERE expires_at < now() - interval '1 day'");
}
