import type { AlertRow } from '../../state/alerts.js';
import { removeLeaseRows, resolveAlertsOf } from '../../state/retire.js';
import type { AlertDeps } from './lifecycle.js';
import { targetClosedMessage, type ClosedBecause } from './messages.js';

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
  return announceClosed(deps, closed, at, () => ({ removed: true }));
}

/**
 * Targets now looked at through another database of their server (src/schedule/alerts/server-groups.ts): their own
 * alerts and alert leases would otherwise stay open with nothing to clear them. `leadOf` names the target watched now.
 */
export async function retireWatchedWith(
  deps: Pick<AlertDeps, 'db' | 'poster' | 'log'>,
  members: readonly string[],
  leadOf: (member: string) => string,
  at: Date,
): Promise<string[]> {
  if (!members.length) return [];
  const closed = await resolveAlertsOf(deps.db, members, at);
  await removeLeaseRows(deps.db, members, 'alerts');
  return announceClosed(deps, closed, at, (row) => ({ watchedWith: leadOf(row.target) }));
}

async function announceClosed(
  deps: Pick<AlertDeps, 'poster' | 'log'>,
  closed: AlertRow[],
  at: Date,
  because: (row: AlertRow) => ClosedBecause,
): Promise<string[]> {
  for (const row of closed) {
    deps.log.info({ target: row.target, alert: row.key }, 'alert closed: nothing watches its target under that name');
    if (!row.messageTs || !row.channel) continue;
    const message = targetClosedMessage(row, at, because(row));
    try {
      await deps.poster.update(row.channel, row.messageTs, message);
      await deps.poster.post(row.channel, { ...message, threadTs: row.messageTs });
    } catch (error) {
      // The state row is closed either way: the channel keeps the stale post, the log says so.
      deps.log.error(
        { target: row.target, alert: row.key, error: error instanceof Error ? error.message : String(error) },
        'could not post that an alert was closed without being seen to clear',
      );
    }
  }
  return closed.map((r) => `${r.target} ${r.key}`);
}
