import type { Logger } from '../log/logger.js';
import { claimDelivery, pruneDeliveries } from '../state/deliveries.js';
import type { Queryable } from '../db/driver.js';

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

/**
 * Where the dedupe middleware leaves the shared claim of a first /pg delivery, which is acked without waiting
 * for it (the state database is a round trip, and on a busy machine a wait for another process's turn); the
 * work after the ack starts only once the claim is won. A delivery marked as a retry still waits before its ack.
 */
export const PENDING_CLAIM = 'pgmedicPendingClaim';

/** True when this delivery may run: no claim was left pending, or it was won. */
export async function claimWon(context: Record<string, unknown>): Promise<boolean> {
  const pending = context[PENDING_CLAIM];
  return pending instanceof Promise ? Boolean(await pending) : true;
}

/** The ack waits at most this long for the shared claim; Slack gives the whole ack 3 s. */
export const SHARED_CLAIM_DEADLINE_MS = 250;
/** After a late or failed claim, this long goes straight to memory (a locked state database must not cost every ack). */
export const SHARED_CLAIM_BACKOFF_MS = 10_000;

interface SharedOptions {
  keepMinutes?: number;
  pruneEveryMs?: number;
  deadlineMs?: number;
  backoffMs?: number;
  now?: () => number;
}

/**
 * Shared claims: one INSERT … ON CONFLICT DO NOTHING per delivery, old keys pruned now and then. The ack never
 * waits on the state database for more than `deadlineMs`: a late or failed claim falls back to memory (with
 * one log line) and the next `backoffMs` skip the database, so while it is stuck a retry that reaches another
 * copy may run twice; one that reaches this copy is still dropped.
 */
export function stateDeliveryDedupe(
  db: Queryable,
  logger: Logger,
  options: SharedOptions = {},
): { firstDelivery(key: string): Promise<boolean> } {
  const fallback = createDeliveryDedupe();
  const keepMinutes = options.keepMinutes ?? 60;
  const pruneEveryMs = options.pruneEveryMs ?? 5 * 60_000;
  const deadlineMs = options.deadlineMs ?? SHARED_CLAIM_DEADLINE_MS;
  const backoffMs = options.backoffMs ?? SHARED_CLAIM_BACKOFF_MS;
  const now = options.now ?? Date.now;
  let lastPrune = 0;
  let memoryOnlyUntil = 0;
  const degrade = (why: string, error?: unknown) => {
    if (now() < memoryOnlyUntil) return;
    memoryOnlyUntil = now() + backoffMs;
    logger.warn(
      { err: error, deadlineMs, backoffMs },
      `state database ${why}; deduplicating Slack deliveries in memory for the next ${backoffMs / 1000} s`,
    );
  };
  return {
    async firstDelivery(key) {
      if (now() < memoryOnlyUntil) return fallback.firstDelivery(key);
      if (now() - lastPrune > pruneEveryMs) {
        lastPrune = now();
        void pruneDeliveries(db, keepMinutes).catch((error: unknown) =>
          logger.warn({ err: error }, 'could not prune delivery keys'),
        );
      }
      const claim = claimDelivery(db, key);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
      try {
        const first = await Promise.race([claim, late]);
        if (first === 'late') {
          // The claim may still land later; its error (if any) is not worth a second line.
          claim.catch(() => undefined);
          degrade(`did not answer within ${deadlineMs} ms`);
          return fallback.firstDelivery(key);
        }
        // Remembered locally too, so a repeat is still caught if the state database stops answering.
        fallback.firstDelivery(key);
        return first;
      } catch (error) {
        degrade('did not answer', error);
        return fallback.firstDelivery(key);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
