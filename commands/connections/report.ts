import { queryColumn } from '../../src/report/query-text.js';
import type { ReportContext } from '../../src/engine/command.js';
import { cancelAction, terminateAction } from '../shared/session-actions.js';
import { formatCount, formatDuration, formatPercent, plural } from '../../src/report/format.js';
import { noSignalText } from '../../src/db/signal-rule.js';
import { statusFor, worstStatus, type Fact, type Report, type Section, type Status } from '../../src/report/model.js';
import type { ConnectionCount, ConnectionLimit, ConnectionSession, ConnectionsFindings } from '../connections.js';
import { limitSentence, limitStatus, limitsAtWarn } from '../shared/connection-limits.js';
import { limitNotes, limitsSection } from './limits.js';

export function connectionsReport(
  findings: ConnectionsFindings,
  { thresholds }: Pick<ReportContext<unknown>, 'thresholds'>,
): Report {
  const longestLockWait = Math.max(0, ...findings.waiting.map((s) => s.lockWaitSeconds ?? 0));
  const fullLimits = limitsAtWarn(findings.limits, thresholds);
  const statuses = {
    used: statusFor(findings.usedPct, thresholds.connectionsUsedPct),
    idle: statusFor(findings.oldestIdleInTransactionSeconds ?? 0, thresholds.idleInTransactionSeconds),
    long: statusFor(findings.longestQuerySeconds ?? 0, thresholds.longQuerySeconds),
    // as `locks` judges a pile-up: by how many wait as well as by how long
    waiting: worstStatus(
      statusFor(longestLockWait, thresholds.lockWaitSeconds),
      statusFor(findings.waitingCount, thresholds.lockWaitingSessions),
    ),
    limits: worstStatus(...fullLimits.map((l) => limitStatus(l, thresholds))),
  };
  return {
    title: 'Connections',
    status: worstStatus(...Object.values(statuses)),
    summary: summaryLine(findings, fullLimits),
    sections: [
      { kind: 'facts', facts: overviewFacts(findings, statuses, fullLimits) },
      ...limitsSection(fullLimits),
      ...breakdownSections(findings),
      ...sessionTables(findings),
    ],
    actions: [
      ...signallable(findings.idleInTransaction).map(terminateAction),
      ...signallable(findings.longRunning).flatMap((s) => [cancelAction(s), terminateAction(s)]),
    ],
    footnotes: [
      ...limitNotes(fullLimits),
      ...unsignallable(findings).map((s) => `No button for ${s.pid}: ${noSignalText(s.noSignal!)}.`),
      ...(findings.waitingCount
        ? ['Run `locks` for the blocking tree: who holds the locks these sessions wait for.']
        : []),
      ...(findings.idleInTransaction.length
        ? [
            'A session idle in transaction runs no query, so only terminating it ends its transaction; idle_in_transaction_session_timeout prevents this.',
          ]
        : []),
      ...(findings.canSeeAllSessions
        ? []
        : [
            "pgmedic's role cannot see other roles' sessions in full (connection-limit counts include their walsenders and workers); grant pg_monitor (or pg_read_all_stats).",
          ]),
    ],
  };
}
/** Buttons per list: enough to act on the worst offenders, never a bulk kill. */
const MAX_ACTION_SESSIONS = 5;
const signallable = (sessions: ConnectionSession[]) =>
  sessions.slice(0, MAX_ACTION_SESSIONS).filter((s) => !s.noSignal);
const unsignallable = (f: ConnectionsFindings) =>
  [...f.idleInTransaction.slice(0, MAX_ACTION_SESSIONS), ...f.longRunning.slice(0, MAX_ACTION_SESSIONS)].filter(
    (s, i, all) => s.noSignal && all.findIndex((o) => o.pid === s.pid) === i,
  );

function summaryLine(f: ConnectionsFindings, fullLimits: ConnectionLimit[]): string {
  const parts = [
    `${formatCount(f.clientConnections)} of ${formatCount(f.usableConnections)} usable connections in use (${formatPercent(f.usedPct, 0)})`,
  ];
  if (fullLimits.length)
    parts.push(
      fullLimits.length === 1
        ? limitSentence(fullLimits[0]!)
        : `${plural(fullLimits.length, 'database or role', 'databases or roles')} near their own connection limit (${limitSentence(fullLimits[0]!)})`,
    );
  if (f.idleInTransactionCount)
    parts.push(
      `${plural(f.idleInTransactionCount, 'session')} idle in transaction (oldest ${formatDuration(f.oldestIdleInTransactionSeconds)})`,
    );
  if (f.longRunningCount)
    parts.push(
      `${plural(f.longRunningCount, 'query', 'queries')} running over ${formatDuration(f.minRuntimeSeconds)} (longest ${formatDuration(f.longestQuerySeconds)})`,
    );
  if (f.waitingCount) parts.push(`${plural(f.waitingCount, 'session')} waiting on locks`);
  return `${parts.join('; ')}.`;
}

function overviewFacts(
  f: ConnectionsFindings,
  statuses: Record<'used' | 'idle' | 'long' | 'waiting' | 'limits', Status>,
  fullLimits: ConnectionLimit[],
): Fact[] {
  const reserved = [
    `${f.superuserReservedConnections} for superusers`,
    ...(f.reservedConnections ? [`${f.reservedConnections} for pg_use_reserved_connections`] : []),
  ].join(', ');
  return [
    {
      label: 'Client connections',
      value: `${formatCount(f.clientConnections)} of ${formatCount(f.usableConnections)} usable (${formatPercent(f.usedPct, 0)}; pgmedic's own: ${formatCount(f.ownConnections)})`,
      status: statuses.used,
    },
    {
      label: 'Headroom',
      value: `${formatCount(f.headroom)} (max_connections ${formatCount(f.maxConnections)}, reserved ${reserved})`,
    },
    {
      label: 'Oldest idle in transaction',
      value: f.oldestIdleInTransactionSeconds === null ? 'none' : formatDuration(f.oldestIdleInTransactionSeconds),
      status: statuses.idle,
    },
    {
      label: 'Longest running query',
      value: f.longestQuerySeconds === null ? 'none' : formatDuration(f.longestQuerySeconds),
      status: statuses.long,
    },
    { label: 'Waiting on locks', value: formatCount(f.waitingCount), status: statuses.waiting },
    {
      label: 'Own connection limits',
      value: f.limits.length
        ? `${formatCount(fullLimits.length)} of ${formatCount(f.limits.length)} near full${fullLimits[0] ? ` (${limitSentence(fullLimits[0])})` : ''}`
        : 'none set',
      status: statuses.limits,
    },
    { label: 'Other backends', value: f.otherBackends.map((b) => `${b.key} ${b.count}`).join(', ') || 'none' },
  ];
}

/** Top entries per dimension; facts keep them compact on every surface. */
function breakdownSections(f: ConnectionsFindings): Section[] {
  const dimensions: [string, ConnectionCount[]][] = [
    ['By state', f.byState],
    ['By user', f.byUser],
    ['By application', f.byApplication],
    ['By client', f.byClient],
  ];
  return dimensions
    .filter(([, counts]) => counts.length)
    .map(([title, counts]) => ({
      kind: 'facts' as const,
      title,
      facts: counts.slice(0, 8).map((c) => ({ label: c.key, value: formatCount(c.count) })),
    }));
}

function sessionTables(f: ConnectionsFindings): Section[] {
  const who = (s: ConnectionSession) => `${s.user ?? '?'}${s.application ? ` / ${s.application}` : ''}`;
  const tables: Section[] = [];
  if (f.idleInTransaction.length) {
    tables.push({
      kind: 'table',
      title: `Idle in transaction for ${formatDuration(f.minIdleSeconds)} or more (${formatCount(f.idleInTransactionCount)})`,
      columns: [
        { header: 'pid' },
        { header: 'user / application' },
        { header: 'idle', align: 'right' },
        { header: 'transaction', align: 'right' },
        queryColumn('last query', 60),
      ],
      rows: f.idleInTransaction.map((s) => [
        String(s.pid),
        who(s),
        formatDuration(s.stateSeconds),
        formatDuration(s.transactionSeconds),
        s.query,
      ]),
    });
  }
  if (f.longRunning.length) {
    tables.push({
      kind: 'table',
      title: `Running for ${formatDuration(f.minRuntimeSeconds)} or more (${formatCount(f.longRunningCount)})`,
      columns: [
        { header: 'pid' },
        { header: 'user / application' },
        { header: 'running', align: 'right' },
        { header: 'waiting on' },
        queryColumn('query', 60),
      ],
      rows: f.longRunning.map((s) => [
        String(s.pid),
        who(s),
        formatDuration(s.querySeconds),
        s.waitEventType ? `${s.waitEventType}: ${s.waitEvent ?? ''}` : '',
        s.query,
      ]),
    });
  }
  if (f.waiting.length) {
    tables.push({
      kind: 'table',
      title: `Waiting on locks (${formatCount(f.waitingCount)})`,
      columns: [
        { header: 'pid' },
        { header: 'user / application' },
        { header: 'waiting', align: 'right' },
        { header: 'wait event' },
        queryColumn('query', 60),
      ],
      rows: f.waiting.map((s) => [
        String(s.pid),
        who(s),
        formatDuration(s.lockWaitSeconds),
        `${s.waitEventType}: ${s.waitEvent ?? ''}`,
        s.query,
      ]),
    });
  }
  return tables;
}
