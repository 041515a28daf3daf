import { queryColumn, querySection } from '../src/report/query-text.js';
import { z } from 'zod';
import { secondsSince } from '../src/db/sql.js';
import { defineCommand } from '../src/engine/command.js';
import { cancelAction, terminateAction } from './shared/session-actions.js';
import { intOption } from '../src/engine/units.js';
import { noSignalText } from '../src/db/signal-rule.js';
import { formatCount, formatDuration, formatPercent, plural } from '../src/report/format.js';
import type { Report, SuggestedAction } from '../src/report/model.js';
import { assessLocks, buildTree, SESSIONS_SQL, type LockSession, type Row } from './locks/tree.js';

export { buildTree, type LockSession } from './locks/tree.js';

export interface LocksFindings {
  sessions: LockSession[];
  rootPids: number[];
  /** Active client backends (waiters included), pgmedic's own left out. */
  activeSessions: number;
  deadlocks: number;
  statsResetSeconds: number | null;
}

const DEADLOCKS_SQL = `
SELECT coalesce(sum(deadlocks), 0)::float8 AS deadlocks,
       ${secondsSince('min(stats_reset)')} AS stats_reset_seconds
FROM pg_catalog.pg_stat_database`;

export default defineCommand({
  name: 'locks',
  summary: 'Who blocks whom: root blockers, their victims, wait ages, lock modes',
  kind: 'diagnostic',
  options: z.object({
    limit: intOption(1, 100, 10, 'Root blockers to show'),
  }),
  sql: { sessions: SESSIONS_SQL, deadlocks: DEADLOCKS_SQL },

  async collect({ session }) {
    const rows = await session.query<Row>(SESSIONS_SQL);
    const [deadlocks] = await session.query<{ deadlocks: number; stats_reset_seconds: number | null }>(DEADLOCKS_SQL);
    const sessions = buildTree(rows);
    return {
      sessions,
      rootPids: sessions.filter((s) => s.isRoot).map((s) => s.pid),
      activeSessions: rows[0]?.active_sessions ?? 0,
      deadlocks: deadlocks?.deadlocks ?? 0,
      statsResetSeconds: deadlocks?.stats_reset_seconds ?? null,
    };
  },

  report(findings, { options, thresholds }): Report {
    const byPid = new Map(findings.sessions.map((s) => [s.pid, s]));
    const roots = findings.sessions.filter((s) => s.isRoot);
    const pressure = assessLocks(findings.sessions, findings.activeSessions, thresholds);
    const summary = pressure.waiting
      ? `${plural(roots.length, 'root blocker')} holding up ${plural(pressure.waiting, 'session')}${pressure.stuckPct !== null ? ` (${formatPercent(pressure.stuckPct)} of active sessions)` : ''}; the longest has waited ${formatDuration(pressure.longestWaitSeconds)}.`
      : 'No session is waiting on a lock.';
    const shownRoots = roots.slice(0, options.limit);
    const rows = shownRoots.flatMap((root) => treeRows(root, byPid, 0, new Set()));
    return {
      title: 'Locks',
      status: pressure.status,
      summary,
      reasons: pressure.reasons,
      sections: [
        ...(rows.length
          ? [
              {
                kind: 'table' as const,
                title: 'Blocking tree (roots first, waiters indented beneath what they wait for)',
                columns: [
                  { header: 'pid' },
                  { header: 'state' },
                  { header: 'waiting', align: 'right' as const },
                  { header: 'lock' },
                  { header: 'relation' },
                  { header: 'blocks', align: 'right' as const },
                  queryColumn('query', 60),
                ],
                rows,
              },
            ]
          : []),
        ...shownRoots.map((root) =>
          querySection(
            `Root blocker ${root.pid} (${root.user ?? '?'}, ${root.application || 'no application'}${root.client ? `, ${root.client}` : ''})`,
            root.query,
            1000,
          ),
        ),
        {
          kind: 'facts' as const,
          facts: [
            {
              label: 'Deadlocks since stats reset',
              value: `${formatCount(findings.deadlocks)}${findings.statsResetSeconds !== null ? ` (in ${formatDuration(findings.statsResetSeconds)})` : ''}`,
            },
          ],
        },
      ],
      actions: shownRoots.flatMap(rootActions),
      footnotes: [
        ...(roots.length > shownRoots.length
          ? [`${roots.length - shownRoots.length} more root blockers not shown (raise --limit).`]
          : []),
        ...shownRoots
          .filter((r) => r.pid !== 0 && r.noSignal)
          .map((r) => `No button for ${r.pid}: ${noSignalText(r.noSignal!)}.`),
        ...(roots.some((r) => r.idleInTransaction)
          ? [
              'A root that is idle in transaction cannot be cancelled (it runs no query); only terminating it releases its locks.',
            ]
          : []),
        ...(findings.deadlocks > 0
          ? ['PostgreSQL resolves deadlocks itself; set log_lock_waits = on to see what collided.']
          : []),
      ],
    };
  },
});

function treeRows(session: LockSession, byPid: Map<number, LockSession>, depth: number, seen: Set<number>): string[][] {
  if (seen.has(session.pid)) return [];
  seen.add(session.pid);
  const row = [
    `${'  '.repeat(depth)}${depth ? '└ ' : ''}${session.pid}`,
    session.state ?? '',
    session.waitSeconds === null ? '' : formatDuration(session.waitSeconds),
    session.lockMode ?? '',
    session.relation ?? session.lockType ?? '',
    session.blockedCount ? formatCount(session.blockedCount) : '',
    session.query,
  ];
  const children = [...byPid.values()].filter((s) => s.blockingPids.includes(session.pid));
  return [row, ...children.flatMap((child) => treeRows(child, byPid, depth + 1, seen))];
}

function rootActions(root: LockSession): SuggestedAction[] {
  if (root.pid === 0 || root.noSignal) return [];
  const [terminate, cancel] = [terminateAction(root), cancelAction(root)];
  // Cancelling stops a running query; an idle-in-transaction session runs none, so only terminate helps.
  return root.idleInTransaction ? [terminate] : [cancel, terminate];
}
