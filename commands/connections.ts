import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { connectionsReport } from './connections/report.js';
import { durationOption, intOption } from '../src/engine/units.js';
import { LIMITS_SQL, MAX_LIMITS, toLimit, type ConnectionLimit, type LimitRow } from './shared/connection-limits.js';
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

export type { ConnectionLimit };

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
  /** Every database and role whose own limit PostgreSQL enforces (superusers are exempt), fullest first (at most 500). */
  limits: ConnectionLimit[];
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
    limits: LIMITS_SQL,
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
    const limits = await session.query<LimitRow>(LIMITS_SQL, [MAX_LIMITS]);
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
      limits: limits.map(toLimit),
      canSeeAllSessions: caps.roles.pgReadAllStats,
    };
  },

  report: connectionsReport,
});

/** For the alert watch: the same judgement of a limit as the report's (and its statement, for the bench). */
export { LIMITS_SQL, MAX_LIMITS, limitSentence, limitStatus } from './shared/connection-limits.js';

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
