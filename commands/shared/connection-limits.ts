import type { Thresholds } from '../../src/config/thresholds.js';
import { formatCount, quotedName } from '../../src/report/format.js';
import { statusFor, type Status } from '../../src/report/model.js';

/** A database's or role's own CONNECTION LIMIT (datconnlimit / rolconnlimit ≥ 0) and the sessions counted against it. */
export interface ConnectionLimit {
  kind: 'database' | 'role';
  oid: number;
  name: string;
  /** Client backends PostgreSQL counts against it (LIMITS_SQL below says which). */
  inUse: number;
  limit: number;
}

/**
 * PostgreSQL's own count (CheckMyDatabase and InitializeSessionUserId, over the proc array): a new session is
 * refused with 53300 when the regular backends of its database (or of its role) exceed datconnlimit (rolconnlimit),
 * itself included. Background workers, walsenders and prepared transactions are not counted (measured on 14 and
 * 18: a walsender neither counts nor is refused). Superusers are never refused, but their sessions count against a
 * database's limit like anyone's; a superuser role's own limit is never enforced, so it is left out. pgmedic's own
 * sessions count too: they hold slots like any other.
 * Any role sees datid and usesysid of every session, but backend_type only of its own role's without
 * pg_read_all_stats (pg_monitor has it): a session whose type is hidden is counted, so that a full limit is never
 * missed; it may be a walsender or a worker (the report's note on visibility says so).
 * One row per limit and one per session, summed per database or role, rather than a join: the planner guesses one
 * row for pg_stat_activity and, with pg_authid's statistics stale, joins 10,000 roles to the sessions in a nested
 * loop; this form stays linear (bench/CONNECTION-LIMITS-RESULTS.md). Fullest first; $1: rows.
 */
export const LIMITS_SQL = `
WITH client_sessions AS (
  SELECT a.datid, a.usesysid
  FROM pg_catalog.pg_stat_activity a
  WHERE a.backend_type = 'client backend' OR a.backend_type IS NULL
),
limits_and_sessions AS (
  SELECT 'database' AS kind, d.oid, d.datname::text AS name, d.datconnlimit AS connection_limit, 0 AS session
  FROM pg_catalog.pg_database d
  WHERE d.datconnlimit >= 0 AND d.datallowconn
  UNION ALL
  SELECT 'database', s.datid, NULL, NULL, 1 FROM client_sessions s
  UNION ALL
  SELECT 'role', r.oid, r.rolname::text, r.rolconnlimit, 0
  FROM pg_catalog.pg_roles r
  WHERE r.rolconnlimit >= 0 AND r.rolcanlogin AND NOT r.rolsuper
  UNION ALL
  SELECT 'role', s.usesysid, NULL, NULL, 1 FROM client_sessions s
),
limits AS (
  SELECT kind, oid, max(name) AS name, max(connection_limit) AS connection_limit, sum(session) AS in_use
  FROM limits_and_sessions
  GROUP BY kind, oid
  HAVING max(connection_limit) IS NOT NULL
)
SELECT kind, oid, name, connection_limit, in_use
FROM limits
ORDER BY connection_limit = 0, in_use::float8 / greatest(connection_limit, 1) DESC, kind, name
LIMIT $1`;

export interface LimitRow {
  kind: 'database' | 'role';
  oid: number;
  name: string;
  connection_limit: number;
  in_use: number;
}

/** Limits beyond this many (the emptiest, as the list is fullest first) are left out of the findings. */
export const MAX_LIMITS = 500;

export const toLimit = (row: LimitRow): ConnectionLimit => ({
  kind: row.kind,
  oid: row.oid,
  name: row.name,
  inUse: row.in_use,
  limit: row.connection_limit,
});

export const usedPctOf = (l: ConnectionLimit): number => (l.limit > 0 ? (100 * l.inUse) / l.limit : 0);

/**
 * Judged like max_connections, by the share in use (connectionsUsedPct). A limit of 0 is how a database or role is
 * closed on purpose (before a drop or a migration), and it is "full" with nobody waiting. Only someone being refused
 * would make it a problem, and one look cannot see that: a refused attempt shows in the server log and in
 * pg_stat_database.sessions_fatal (measured on 14 and 18), but that counter also takes every other session that
 * ended in FATAL, cumulatively since the statistics reset (and there is none per role). Calling it crit would alert
 * on every closed database for as long as it stays closed, so it stays ok and is listed in the findings.
 */
export function limitStatus(l: ConnectionLimit, thresholds: Pick<Thresholds, 'connectionsUsedPct'>): Status {
  return l.limit === 0 ? 'ok' : statusFor(usedPctOf(l), thresholds.connectionsUsedPct);
}

/** "Database "orders": 48 of its 50-connection limit in use" (no full stop: a summary part or an alert sentence). */
export function limitSentence(l: ConnectionLimit): string {
  const what = l.kind === 'database' ? 'Database' : 'Role';
  return `${what} ${quotedName(l.name)}: ${formatCount(l.inUse)} of its ${formatCount(l.limit)}-connection limit in use`;
}

export const limitsAtWarn = (limits: readonly ConnectionLimit[], thresholds: Pick<Thresholds, 'connectionsUsedPct'>) =>
  limits.filter((l) => limitStatus(l, thresholds) !== 'ok');
