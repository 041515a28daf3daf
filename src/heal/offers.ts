import { getLiveOffer, insertOffers, pruneOffers, type ActionOffer, type NewOffer } from '../state/offers.js';
import type { Queryable } from '../state/requests.js';

export type { ActionOffer, NewOffer } from '../state/offers.js';

/**
 * A report's suggested actions become offers: opaque ids the buttons carry, stored so any copy can turn a click
 * into a request. Returns the ids in the order of `offers`.
 */
export async function storeOffers(
  db: Queryable,
  offers: readonly NewOffer[],
  lifetimeMinutes: number,
): Promise<string[]> {
  const ids = await insertOffers(db, offers, lifetimeMinutes);
  // Cheap and rare enough to do here: one indexed delete per report that offers actions.
  await pruneOffers(db);
  return ids;
}

/** The offer a button carries, if it has not expired. */
export const liveOffer = (db: Queryable, id: string): Promise<ActionOffer | undefined> => getLiveOffer(db, id);
