import { removeLeaseRows, resolveAlertsOf } from '../../state/retire.js';
import type { AlertDeps } from './lifecycle.js';
import { targetRemovedMessage } from './messages.js';

/**
 * Targets removed by a reload or a discovery: their firing alerts are closed with a note saying why (their message
 * edited, a reply in its thread) and their lease rows removed. Returns the alert keys closed, as `target key`.
 */
export async function retireTargets(
  deps: Pick<AlertDeps, 'db' | 'poster' | 'log'>,
  removed: readonly string[],
  at: Date,
): Promise<string[]> {
  if (!removed.length) return [];
  const closed = await resolveAlertsOf(deps.db, removed, at);
  await removeLeaseRows(deps.db, removed);
  for (const row of closed) {
    deps.log.info({ target: row.target, alert: row.key }, 'alert closed: its target was removed');
    if (!row.messageTs || !row.channel) continue;
    const message = targetRemovedMessage(row, at);
    try {
      await deps.poster.update(row.channel, row.messageTs, message);
      await deps.poster.post(row.channel, { ...message, threadTs: row.messageTs });
    } catch (error) {
      // The state row is closed either way: the channel keeps the stale post, the log says so.
      deps.log.error(
        { target: row.target, alert: row.key, error: error instanceof Error ? error.message : String(error) },
        'could not post that an alert was closed because its target was removed',
      );
    }
  }
  return closed.map((r) => `${r.target} ${r.key}`);
}
