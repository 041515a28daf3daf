import { queryColumn } from '../src/report/query-text.js';
import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { durationOption, intOption } from '../src/engine/units.js';
import { formatCount, formatDuration, formatPercent, plural } from '../src/report/format.js';
import { noSignalText } from '../src/db/signal-rule.js';
import {
  statusFor,
  worstStatus,
  type Fact,
  type Report,
  type Section,
  type Status,
  type SuggestedAction,
} from '../src/report/model.js';
import {
  BREAKDOWN_SQL,
  IDLE_IN_TRANSACTION_SQL,
  LONG_RUNNING_SQL,
  OTHER_BACKENDS_SQL,
  SUMMARY_SQL,
  WAITING_SQL,
  type SessionRow,
  type SummaryRow,
} from './connections/sql.js';

/** One client session worth a look: idle in transaction, running long, or waiting. */
export interface ConnectionSession {
  pid: number;
  user: string | null;
  database: string | null;
  application: string | null;
  client: string | null;
  state: string | null;
  /** As text with microseconds: the identity guard for cancel/terminate (a Date would drop them). */
  backendStart: string;
  /** Since the last state change: how long it has been idle, for idle sessions. */
  stateSeconds: number | null;
  transactionSeconds: number | null;
  querySeconds: number | null;
  waitEventType: string | null;
  waitEvent: string | null;
  /** Since it started waiting for a heavyweight lock (pg_locks.waitstart); null otherwise. */
  lockWaitSeconds: number | null;
  query: string;
  /** Why pgmedic will not cancel or terminate it (the healing actions' own rule), or null. */
  noSignal: string | null;
}

export interface ConnectionCount {
  key: string;
  count: number;
}

export interface ConnectionsFindings {
  maxConnections: number;
  superuserReservedConnections: number;
  /** reserved_connections (PostgreSQL 16+, for pg_use_reserved_connections); 0 before. */
  reservedConnections: number;
  /** Slots ordinary roles can use: max_connections minus both reservations. */
  usableConnections: number;
  /** Client backends, pgmedic's own included: they occupy slots too. */
  clientConnections: number;
  ownConnections: number;
  /** usableConnections − clientConnections; negative when reserved slots are in use. */
  headroom: number;
  usedPct: number;
  byState: ConnectionCount[];
  byUser: ConnectionCount[];
  byApplication: ConnectionCount[];
  byClient: ConnectionCount[];
  /** Walsenders, autovacuum workers and other non-client processes, by backend_type. */
  otherBackends: ConnectionCount[];
  oldestIdleInTransactionSeconds: number | null;
  longestQuerySeconds: number | null;
  /** The floors the lists below used: the options, lowered to the warn thresholds. */
  minIdleSeconds: number;
  minRuntimeSeconds: number;
  idleInTransaction: ConnectionSession[];
  idleInTransactionCount: number;
  longRunning: ConnectionSession[];
  longRunningCount: number;
  waiting: ConnectionSession[];
  waitingCount: number;
  /** Without pg_read_all_stats, other roles' sessions show no state or query. */
  canSeeAllSessions: boolean;
}

export default defineCommand({
  name: 'connections',
  summary:
    'Connections by state, user, application and client; idle-in-transaction, long-running and waiting sessions; headroom',
  kind: 'diagnostic',
  options: z.object({
    minIdle: durationOption(
      '1min',
      'List sessions idle in transaction at least this long (those past the warn threshold always show)',
    ),
    minRuntime: durationOption(
      '30s',
      'List queries running at least this long (those past the warn threshold always show)',
    ),
    limit: intOption(1, 200, 20, 'Sessions to show per list'),
  }),
  sql: {
    summary: SUMMARY_SQL,
    breakdown: BREAKDOWN_SQL,
    otherBackends: OTHER_BACKENDS_SQL,
    idleInTransaction: IDLE_IN_TRANSACTION_SQL,
    longRunning: LONG_RUNNING_SQL,
    waiting: WAITING_SQL,
  },

  async collect({ session, caps, thresholds }, options): Promise<ConnectionsFindings> {
    const minIdleSeconds = Math.min(options.minIdle, thresholds.idleInTransactionSeconds.warn);
    const minRuntimeSeconds = Math.min(options.minRuntime, thresholds.longQuerySeconds.warn);
    const [summary] = await session.query<SummaryRow>(SUMMARY_SQL, [minIdleSeconds, minRuntimeSeconds]);
    if (!summary) throw new Error('the connections summary returned no row');
    const breakdown = await session.query<{ dimension: string; key: string; count: number }>(BREAKDOWN_SQL);
    const otherBackends = await session.query<ConnectionCount>(OTHER_BACKENDS_SQL);
    const idle = await session.query<SessionRow>(IDLE_IN_TRANSACTION_SQL, [minIdleSeconds, options.limit]);
    const long = await session.query<SessionRow>(LONG_RUNNING_SQL, [minRuntimeSeconds, options.limit]);
    const waiting = await session.query<SessionRow>(WAITING_SQL, [options.limit]);
    const usable = summary.max_connections - summary.superuser_reserved - summary.reserved;
    const dimension = (name: string) =>
      breakdown.filter((b) => b.dimension === name).map(({ key, count }) => ({ key, count }));
    return {
      maxConnections: summary.max_connections,
      superuserReservedConnections: summary.superuser_reserved,
      reservedConnections: summary.reserved,
      usableConnections: usable,
      clientConnections: summary.client_connections,
      ownConnections: summary.own_connections,
      headroom: usable - summary.client_connections,
      usedPct: usable > 0 ? (100 * summary.client_connections) / usable : 100,
      byState: dimension('state'),
      byUser: dimension('user'),
      byApplication: dimension('application'),
      byClient: dimension('client'),
      otherBackends,
      oldestIdleInTransactionSeconds: summary.oldest_idle_seconds,
      longestQuerySeconds: summary.longest_query_seconds,
      minIdleSeconds,
      minRuntimeSeconds,
      idleInTransaction: idle.map(toSession),
      idleInTransactionCount: summary.idle_count,
      longRunning: long.map(toSession),
      longRunningCount: summary.long_count,
      waiting: waiting.map(toSession),
      waitingCount: summary.waiting_count,
      canSeeAllSessions: caps.roles.pgReadAllStats,
    };
  },

  report(findings, { thresholds }): Report {
    const longestLockWait = Math.max(0, ...findings.waiting.map((s) => s.lockWaitSeconds ?? 0));
    const statuses = {
      used: statusFor(findings.usedPct, thresholds.connectionsUsedPct),
      idle: statusFor(findings.oldestIdleInTransactionSeconds ?? 0, thresholds.idleInTransactionSeconds),
      long: statusFor(findings.longestQuerySeconds ?? 0, thresholds.longQuerySeconds),
      // as `locks` judges a pile-up: by how many wait as well as by how long
      waiting: worstStatus(
        statusFor(longestLockWait, thresholds.lockWaitSeconds),
        statusFor(findings.waitingCount, thresholds.lockWaitingSessions),
      ),
    };
    return {
      title: 'Connections',
      status: worstStatus(...Object.values(statuses)),
      summary: summaryLine(findings),
      sections: [
        { kind: 'facts', facts: overviewFacts(findings, statuses) },
        ...breakdownSections(findings),
        ...sessionTables(findings),
      ],
      actions: [
        ...signallable(findings.idleInTransaction).map(terminateAction),
        ...signallable(findings.longRunning).flatMap((s) => [cancelAction(s), terminateAction(s)]),
      ],
      footnotes: [
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
          : ["pgmedic's role cannot see other roles' sessions in full; grant pg_monitor (or pg_read_all_stats)."]),
      ],
    };
  },
});

function toSession(row: SessionRow): ConnectionSession {
  return {
    pid: row.pid,
    user: row.usename,
    database: row.datname,
    application: row.application_name,
    client: row.client_addr,
    state: row.state,
    backendStart: row.backend_start,
    stateSeconds: row.state_seconds,
    transactionSeconds: row.xact_seconds,
    querySeconds: row.query_seconds,
    waitEventType: row.wait_event_type,
    waitEvent: row.wait_event,
    lockWaitSeconds: row.lock_wait_seconds,
    query: row.query ?? '',
    noSignal: row.no_signal,
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

function summaryLine(f: ConnectionsFindings): string {
  const parts = [
    `${formatCount(f.clientConnections)} of ${formatCount(f.usableConnections)} usable connections in use (${formatPercent(f.usedPct, 0)})`,
  ];
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

function overviewFacts(f: ConnectionsFindings, statuses: Record<'used' | 'idle' | 'long' | 'waiting', Status>): Fact[] {
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

const params = (s: ConnectionSession) => ({ pid: String(s.pid), backendStart: s.backendStart });
const terminateAction = (s: ConnectionSession): SuggestedAction => ({
  action: 'terminate',
  label: `Terminate ${s.pid}`,
  params: params(s),
  style: 'danger',
});
const cancelAction = (s: ConnectionSession): SuggestedAction => ({
  action: 'cancel',
  label: `Cancel query of ${s.pid}`,
  params: params(s),
});
