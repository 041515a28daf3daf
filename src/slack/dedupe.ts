/**
 * Slack redelivers (x-slack-retry-num) when an ack is late; Bolt does not drop the copies, so this does.
 * Kept in memory for this slice: a retry reaches the same process within seconds. Two running copies of the
 * bot would need the state database (healing issue) to share the claims.
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
