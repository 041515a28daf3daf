/** What to do on start about the latest scheduled time before now. Pure. */
export type MissedDecision =
  | { kind: 'none' }
  | { kind: 'send'; scheduledAt: Date; lateMs: number }
  | { kind: 'skip'; scheduledAt: Date; lateMs: number };

/**
 * The run at `previous` is sent late when it is at most `graceMs` old, else skipped. Whether it was already
 * sent (by this copy before a restart, or by another) is the claim's business, not this function's.
 */
export function missedRunDecision(previous: Date | null, now: Date, graceMs: number): MissedDecision {
  if (!previous) return { kind: 'none' };
  const lateMs = now.getTime() - previous.getTime();
  return lateMs <= graceMs
    ? { kind: 'send', scheduledAt: previous, lateMs }
    : { kind: 'skip', scheduledAt: previous, lateMs };
}
