import type { Thresholds } from '../../src/config/thresholds.js';
import { excludeOwnBackends, secondsSince } from '../../src/db/sql.js';
import type { Session } from '../../src/db/session.js';
import { formatDuration, formatPercent, plural } from '../../src/report/format.js';
import { statusFor, worstStatus, type Status } from '../../src/report/model.js';
import { assessLocks, buildTree, SESSIONS_SQL, type LockPressure, type Row } from '../locks/tree.js';

export interface RootBlocker {
  /** 0 stands for a prepared transaction. */
  pid: number;
  state: string | null;
  transactionSeconds: number | null;
  /** Sessions it holds up, directly or through others. */
  blockedCount: number;
  idleInTransaction: boolean;
}

/** Health's view of a stall: the same tree and judgement as `locks`, plus idle-in-transaction sessions. */
export interface HealthLocks extends LockPressure {
  /** Most victims first. */
  roots: RootBlocker[];
  idleInTransaction: { sessions: number; longestSeconds: number | null };
}

const IDLE_IN_TRANSACTION_SQL = `
SELECT count(*)::int AS sessions, max(${secondsSince('a.state_change')}) AS longest_seconds
FROM pg_catalog.pg_stat_activity a
WHERE a.state IN ('idle in transaction', 'idle in transaction (aborted)') AND a.backend_type = 'client backend' AND ${excludeOwnBackends('a')}`;

export const HEALTH_LOCKS_SQL = { sessions: SESSIONS_SQL, idleInTransaction: IDLE_IN_TRANSACTION_SQL };

export async function collectLocks(session: Session, t: Thresholds): Promise<HealthLocks> {
  const rows = await session.query<Row>(SESSIONS_SQL);
  const [idle] = await session.query<{ sessions: number; longest_seconds: number | null }>(IDLE_IN_TRANSACTION_SQL);
  const sessions = buildTree(rows);
  const pressure = assessLocks(sessions, rows[0]?.active_sessions ?? 0, t);
  return {
    ...pressure,
    roots: sessions
      .filter((s) => s.isRoot)
      .map((s) => ({
        pid: s.pid,
        state: s.state,
        transactionSeconds: s.transactionSeconds,
        blockedCount: s.blockedCount,
        idleInTransaction: s.idleInTransaction,
      })),
    idleInTransaction: { sessions: idle?.sessions ?? 0, longestSeconds: idle?.longest_seconds ?? null },
  };
}

export function describeRoot(root: RootBlocker): string {
  if (root.pid === 0) return `a prepared transaction (blocks ${plural(root.blockedCount, 'session')})`;
  const open = root.transactionSeconds === null ? '' : `, transaction open ${formatDuration(root.transactionSeconds)}`;
  return `pid ${root.pid} (${root.state ?? 'unknown state'}${open}, blocks ${plural(root.blockedCount, 'session')})`;
}

/**
 * A stall is never ok: waiting sessions are judged as `locks` judges them, a root blocker that sits idle in
 * transaction is at least warn (it does nothing while others wait), long idle transactions by their age.
 */
export function lockCheckStatus(l: HealthLocks, t: Thresholds): { status: Status; detail: string; next: string } {
  const idleRoot = l.roots.some((r) => r.idleInTransaction && r.blockedCount > 0);
  const idleStatus =
    l.idleInTransaction.longestSeconds === null
      ? 'ok'
      : statusFor(l.idleInTransaction.longestSeconds, t.idleInTransactionSeconds);
  const status = worstStatus(l.status, idleRoot ? 'warn' : 'ok', idleStatus);
  const idle = l.idleInTransaction.sessions
    ? `${plural(l.idleInTransaction.sessions, 'session')} idle in transaction (longest ${formatDuration(l.idleInTransaction.longestSeconds)})`
    : 'none idle in transaction';
  if (!l.waiting) return { status, detail: `no session waiting on a lock; ${idle}`, next: 'connections' };
  const share = l.stuckPct === null ? '' : ` (${formatPercent(l.stuckPct)} of active sessions)`;
  const roots = l.roots.length
    ? `behind ${plural(l.roots.length, 'root blocker')}: ${l.roots.slice(0, 3).map(describeRoot).join(', ')}`
    : 'behind no identifiable root (a lock cycle)';
  return {
    status,
    detail: `${plural(l.waiting, 'session')} waiting on locks${share}, longest ${formatDuration(l.longestWaitSeconds)}, ${roots}; ${idle}`,
    next: 'locks',
  };
}
