import type { Logger } from '../log/logger.js';
import { claimDelivery, pruneDeliveries } from '../state/deliveries.js';
import type { Queryable } from '../state/requests.js';

/**
 * Slack redelivers (x-slack-retry-num) when an ack is late; Bolt does not drop the copies, so this does.
 * With a state database the claims are shared (a retry may reach another running copy); without one, or
 * while it does not answer, they are kept in memory: a retry usually reaches the same process within seconds.
 */
export interface DeliveryDedupe {
  /** True the first time a key is seen within the window. */
  firstDelivery(key: string): boolean;
}

export function createDeliveryDedupe(options: { windowMs?: number; now?: () => number } = {}): DeliveryDedupe {
  const windowMs = options.windowMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  return {
    firstDelivery(key) {
      const at = now();
      // Map keeps insertion order, so expired keys sit at the front.
      for (const [oldKey, seenAt] of seen) {
        if (at - seenAt < windowMs) break;
        seen.delete(oldKey);
      }
      if (seen.has(key)) return false;
      seen.set(key, at);
      return true;
    },
  };
}

/** What identifies one delivery: event_id for events, trigger_id for commands and clicks. */
export function deliveryKey(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  for (const field of ['event_id', 'trigger_id'] as const) {
    if (typeof record[field] === 'string' && record[field]) return `${field}:${record[field]}`;
  }
  return undefined;
}

/** Shared claims: one INSERT … ON CONFLICT DO NOTHING per delivery, old keys pruned now and then. */
export function stateDeliveryDedupe(db: Queryable, logger: Logger, options: { keepMinutes?: number; pruneEveryMs?: number; now?: () => number } = {}): { firstDelivery(key: string): Promise<boolean> } {
  const fallback = createDeliveryDedupe();
  const keepMinutes = options.keepMinutes ?? 60;
  const pruneEveryMs = options.pruneEveryMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let lastPrune = 0;
  return {
    async firstDelivery(key) {
      if (now() - lastPrune > pruneEveryMs) {
        lastPrune = now();
        void pruneDeliveries(db, keepMinutes).catch((error: unknown) => logger.warn({ err: error }, 'could not prune delivery keys'));
      }
      try {
        const first = await claimDelivery(db, key);
        // Remembered locally too, so a repeat is still caught if the state database stops answering.
        fallback.firstDelivery(key);
        return first;
      } catch (error) {
        logger.warn({ err: error }, 'state database did not answer; deduplicating deliveries in memory');
        return fallback.firstDelivery(key);
      }
    },
  };
}
