import type { Thresholds } from '../../src/config/thresholds.js';
import { excludeOwnBackends, secondsSince } from '../../src/db/sql.js';
import { noSignalReasonSql } from '../../src/db/signal-rule.js';
import { formatDuration, formatPercent, plural } from '../../src/report/format.js';
import { statusFor, worstStatus, type Status } from '../../src/report/model.js';

/** One session in a blocking tree: a waiter, a blocker, or both. */
export interface LockSession {
  pid: number;
  user: string | null;
  application: string | null;
  client: string | null;
  state: string | null;
  /** As text with microseconds: the identity guard for cancel/terminate (a Date would drop them). */
  backendStart: string;
  transactionSeconds: number | null;
  stateSeconds: number | null;
  query: string;
  /** Who this session waits for (pg_blocking_pids); 0 stands for a prepared transaction. */
  blockingPids: number[];
  /** Seconds since it started waiting for its lock (pg_locks.waitstart), null when not waiting. */
  waitSeconds: number | null;
  lockMode: string | null;
  lockType: string | null;
  relation: string | null;
  /** Blocks others and waits on nobody. */
  isRoot: boolean;
  /** Sessions it blocks, directly or through others. */
  blockedCount: number;
  directlyBlockedCount: number;
  idleInTransaction: boolean;
  /** Why pgmedic will not cancel or terminate it (the healing actions' own rule), or null. */
  noSignal: string | null;
}

export interface Row {
  pid: number;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  state: string | null;
  backend_start: string;
  xact_seconds: number | null;
  state_seconds: number | null;
  query: string | null;
  blocking_pids: number[];
  wait_seconds: number | null;
  mode: string | null;
  locktype: string | null;
  relation: string | null;
  /** Active client backends (waiters included), pgmedic's own left out: the base of the stuck share. */
  active_sessions: number;
  no_signal: string | null;
}

// pg_blocking_pids() is exact where a pg_locks self-join is not (virtualxid, tuple and advisory locks,
// queue order); it is also costly, so it is called only for sessions that wait on a heavyweight lock.
// Every age uses secondsSince (one clock, clamped): now() is our statement's start, which a wait may have begun after.
export const SESSIONS_SQL = {
  140000: `
WITH waiting AS (
  SELECT a.pid, pg_blocking_pids(a.pid) AS blocking_pids
  FROM pg_catalog.pg_stat_activity a
  WHERE a.wait_event_type = 'Lock' AND ${excludeOwnBackends('a')}
), involved AS (
  SELECT pid FROM waiting
  UNION
  SELECT unnest(blocking_pids) FROM waiting
), lock_wait AS (
  SELECT DISTINCT ON (l.pid) l.pid, l.mode, l.locktype, l.relation, l.waitstart
  FROM pg_catalog.pg_locks l
  WHERE NOT l.granted
  ORDER BY l.pid, l.waitstart NULLS LAST
)
SELECT i.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr, a.state,
       coalesce(a.backend_start::text, '') AS backend_start,
       ${secondsSince('a.xact_start')} AS xact_seconds,
       ${secondsSince('a.state_change')} AS state_seconds,
       left(a.query, 4000) AS query,
       coalesce(w.blocking_pids, '{}') AS blocking_pids,
       ${secondsSince('lw.waitstart')} AS wait_seconds,
       lw.mode, lw.locktype,
       lw.relation::regclass::text AS relation,
       ${noSignalReasonSql('a')} AS no_signal,
       (SELECT count(*) FROM pg_catalog.pg_stat_activity x WHERE x.backend_type = 'client backend' AND x.state = 'active' AND ${excludeOwnBackends('x')})::int AS active_sessions
FROM involved i
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = i.pid
LEFT JOIN waiting w ON w.pid = i.pid
LEFT JOIN lock_wait lw ON lw.pid = i.pid`,
};

/** Edges from pg_blocking_pids → roots, transitive victim counts, ordered by victims then oldest wait. */
export function buildTree(rows: Row[]): LockSession[] {
  const blockedBy = new Map<number, number[]>();
  for (const row of rows) {
    for (const blocker of row.blocking_pids) blockedBy.set(blocker, [...(blockedBy.get(blocker) ?? []), row.pid]);
  }
  const victims = (pid: number): number => {
    const seen = new Set<number>();
    const stack = [...(blockedBy.get(pid) ?? [])];
    while (stack.length) {
      const next = stack.pop()!;
      if (seen.has(next) || next === pid) continue;
      seen.add(next);
      stack.push(...(blockedBy.get(next) ?? []));
    }
    return seen.size;
  };
  const sessions = rows.map<LockSession>((row) => ({
    pid: row.pid,
    user: row.usename,
    application: row.application_name,
    client: row.client_addr,
    state: row.pid === 0 ? 'prepared transaction' : row.state,
    backendStart: row.backend_start,
    transactionSeconds: row.xact_seconds,
    stateSeconds: row.state_seconds,
    query: row.query ?? '',
    blockingPids: row.blocking_pids,
    waitSeconds: row.blocking_pids.length ? (row.wait_seconds ?? 0) : null,
    lockMode: row.mode,
    lockType: row.locktype,
    relation: row.relation,
    isRoot: row.blocking_pids.length === 0 && (blockedBy.get(row.pid)?.length ?? 0) > 0,
    blockedCount: victims(row.pid),
    directlyBlockedCount: blockedBy.get(row.pid)?.length ?? 0,
    idleInTransaction: row.state === 'idle in transaction' || row.state === 'idle in transaction (aborted)',
    noSignal: row.pid === 0 ? 'prepared transaction' : row.no_signal,
  }));
  const oldestWaitUnder = (s: LockSession) =>
    Math.max(0, ...(blockedBy.get(s.pid) ?? []).map((p) => sessions.find((x) => x.pid === p)?.waitSeconds ?? 0));
  return sessions.sort(
    (a, b) =>
      Number(b.isRoot) - Number(a.isRoot) ||
      b.blockedCount - a.blockedCount ||
      oldestWaitUnder(b) - oldestWaitUnder(a) ||
      a.pid - b.pid,
  );
}

/** How bad the waiting is, and why: shared by `locks` and `health`'s lock check. */
export interface LockPressure {
  waiting: number;
  /** Active client backends, waiters included. */
  activeSessions: number;
  /** Share of active sessions waiting on a lock, percent; null with no active session. */
  stuckPct: number | null;
  longestWaitSeconds: number;
  status: Status;
  /** Why the status is not ok, one phrase per threshold crossed. */
  reasons: string[];
}

/**
 * A pile-up is judged by how many sessions wait as well as by how long: 16 sessions stuck for 3 s is
 * already an outage. The share of active sessions stuck counts once enough are waiting to mean it.
 */
export function assessLocks(sessions: readonly LockSession[], activeSessions: number, t: Thresholds): LockPressure {
  const waiters = sessions.filter((s) => s.waitSeconds !== null);
  const longestWaitSeconds = Math.max(0, ...waiters.map((s) => s.waitSeconds ?? 0));
  const active = Math.max(activeSessions, waiters.length);
  const stuckPct = active ? (100 * waiters.length) / active : null;
  const byTime = waiters.length ? statusFor(longestWaitSeconds, t.lockWaitSeconds) : 'ok';
  const byCount = statusFor(waiters.length, t.lockWaitingSessions);
  const byShare =
    stuckPct !== null && waiters.length >= t.lockWaitingSessions.warn ? statusFor(stuckPct, t.lockStuckSharePct) : 'ok';
  const reasons = [
    ...(byCount !== 'ok'
      ? [`${plural(waiters.length, 'session')} waiting on locks (${byCount} from ${t.lockWaitingSessions[byCount]})`]
      : []),
    ...(byShare !== 'ok'
      ? [`${formatPercent(stuckPct)} of active sessions stuck (${byShare} from ${t.lockStuckSharePct[byShare]} %)`]
      : []),
    ...(byTime !== 'ok'
      ? [
          `a wait of ${formatDuration(longestWaitSeconds)} (${byTime} from ${formatDuration(t.lockWaitSeconds[byTime])})`,
        ]
      : []),
  ];
  return {
    waiting: waiters.length,
    activeSessions: active,
    stuckPct,
    longestWaitSeconds,
    status: worstStatus(byTime, byCount, byShare),
    reasons,
  };
}
