import { queryColumn, querySection } from '../src/report/query-text.js';
import { z } from 'zod';
import { excludeOwnBackends } from '../src/db/sql.js';
import { defineCommand } from '../src/engine/command.js';
import { formatCount, formatDuration, plural } from '../src/report/format.js';
import { statusFor, type Report, type SuggestedAction } from '../src/report/model.js';

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
}

export interface LocksFindings {
  sessions: LockSession[];
  rootPids: number[];
  deadlocks: number;
  statsResetSeconds: number | null;
}

interface Row {
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
}

// pg_blocking_pids() is exact where a pg_locks self-join is not (virtualxid, tuple and advisory locks,
// queue order); it is also costly, so it is called only for sessions that wait on a heavyweight lock.
// Wait ages use clock_timestamp(): now() is our transaction's start, which a wait may have begun after.
const SESSIONS_SQL = {
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
       extract(epoch FROM now() - a.xact_start)::float8 AS xact_seconds,
       extract(epoch FROM now() - a.state_change)::float8 AS state_seconds,
       left(a.query, 4000) AS query,
       coalesce(w.blocking_pids, '{}') AS blocking_pids,
       extract(epoch FROM clock_timestamp() - lw.waitstart)::float8 AS wait_seconds,
       lw.mode, lw.locktype,
       lw.relation::regclass::text AS relation
FROM involved i
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = i.pid
LEFT JOIN waiting w ON w.pid = i.pid
LEFT JOIN lock_wait lw ON lw.pid = i.pid`,
};

const DEADLOCKS_SQL = `
SELECT coalesce(sum(deadlocks), 0)::float8 AS deadlocks,
       extract(epoch FROM now() - min(stats_reset))::float8 AS stats_reset_seconds
FROM pg_catalog.pg_stat_database`;

export default defineCommand({
  name: 'locks',
  summary: 'Who blocks whom: root blockers, their victims, wait ages, lock modes',
  kind: 'diagnostic',
  options: z.object({
    limit: z.coerce.number().int().min(1).max(100).default(10).describe('Root blockers to show'),
  }),
  sql: { sessions: SESSIONS_SQL, deadlocks: DEADLOCKS_SQL },

  async collect({ session }) {
    const rows = await session.query<Row>(SESSIONS_SQL);
    const [deadlocks] = await session.query<{ deadlocks: number; stats_reset_seconds: number | null }>(DEADLOCKS_SQL);
    const sessions = buildTree(rows);
    return {
      sessions,
      rootPids: sessions.filter((s) => s.isRoot).map((s) => s.pid),
      deadlocks: deadlocks?.deadlocks ?? 0,
      statsResetSeconds: deadlocks?.stats_reset_seconds ?? null,
    };
  },

  report(findings, { options, thresholds }): Report {
    const byPid = new Map(findings.sessions.map((s) => [s.pid, s]));
    const roots = findings.sessions.filter((s) => s.isRoot);
    const waiters = findings.sessions.filter((s) => s.waitSeconds !== null);
    const longestWait = Math.max(0, ...waiters.map((s) => s.waitSeconds ?? 0));
    const status = waiters.length ? statusFor(longestWait, thresholds.lockWaitSeconds) : 'ok';
    const summary = waiters.length
      ? `${plural(roots.length, 'root blocker')} holding up ${plural(waiters.length, 'session')}; the longest has waited ${formatDuration(longestWait)}.`
      : 'No session is waiting on a lock.';
    const shownRoots = roots.slice(0, options.limit);
    const rows = shownRoots.flatMap((root) => treeRows(root, byPid, 0, new Set()));
    return {
      title: 'Locks',
      status,
      summary,
      sections: [
        ...(rows.length
          ? [
              {
                kind: 'table' as const,
                title: 'Blocking tree (roots first, waiters indented beneath what they wait for)',
                columns: [{ header: 'pid' }, { header: 'state' }, { header: 'waiting', align: 'right' as const }, { header: 'lock' }, { header: 'relation' }, { header: 'blocks', align: 'right' as const }, queryColumn('query', 60)],
                rows,
              },
            ]
          : []),
        ...shownRoots.map((root) => querySection(`Root blocker ${root.pid} (${root.user ?? '?'}, ${root.application || 'no application'}${root.client ? `, ${root.client}` : ''})`, root.query, 1000)),
        {
          kind: 'facts' as const,
          facts: [{ label: 'Deadlocks since stats reset', value: `${formatCount(findings.deadlocks)}${findings.statsResetSeconds !== null ? ` (in ${formatDuration(findings.statsResetSeconds)})` : ''}` }],
        },
      ],
      actions: shownRoots.flatMap(rootActions),
      footnotes: [
        ...(roots.length > shownRoots.length ? [`${roots.length - shownRoots.length} more root blockers not shown (raise --limit).`] : []),
        ...(roots.some((r) => r.idleInTransaction) ? ['A root that is idle in transaction cannot be cancelled (it runs no query); only terminating it releases its locks.'] : []),
        ...(findings.deadlocks > 0 ? ['PostgreSQL resolves deadlocks itself; set log_lock_waits = on to see what collided.'] : []),
      ],
    };
  },
});

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
    waitSeconds: row.blocking_pids.length ? row.wait_seconds ?? 0 : null,
    lockMode: row.mode,
    lockType: row.locktype,
    relation: row.relation,
    isRoot: row.blocking_pids.length === 0 && (blockedBy.get(row.pid)?.length ?? 0) > 0,
    blockedCount: victims(row.pid),
    directlyBlockedCount: blockedBy.get(row.pid)?.length ?? 0,
    idleInTransaction: row.state === 'idle in transaction' || row.state === 'idle in transaction (aborted)',
  }));
  const oldestWaitUnder = (s: LockSession) => Math.max(0, ...(blockedBy.get(s.pid) ?? []).map((p) => sessions.find((x) => x.pid === p)?.waitSeconds ?? 0));
  return sessions.sort((a, b) => Number(b.isRoot) - Number(a.isRoot) || b.blockedCount - a.blockedCount || oldestWaitUnder(b) - oldestWaitUnder(a) || a.pid - b.pid);
}

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
  if (root.pid === 0) return [];
  const params = { pid: String(root.pid), backendStart: root.backendStart };
  const terminate: SuggestedAction = { action: 'terminate', label: `Terminate ${root.pid}`, params, style: 'danger' };
  const cancel: SuggestedAction = { action: 'cancel', label: `Cancel query of ${root.pid}`, params };
  // Cancelling stops a running query; an idle-in-transaction session runs none, so only terminate helps.
  return root.idleInTransaction ? [terminate] : [cancel, terminate];
}
