import { z } from 'zod';
import { EXCLUSIVELY_LOCKED_RELATIONS_SQL, excludeOwnBackends, secondsSince } from '../src/db/sql.js';
import { camelCased } from '../src/db/rows.js';
import { defineCommand } from '../src/engine/command.js';
import { databaseReport } from './database/report.js';
import { intOption, textOption } from '../src/engine/units.js';
import { AppError, suggestion } from '../src/errors.js';
import { LARGEST_TABLES_SQL, measureLargestTables, type LargestTables } from './sizes.js';

export interface DatabaseStats {
  commits: number;
  rollbacks: number;
  blocksRead: number;
  blocksHit: number;
  /** null before any block was read. */
  cacheHitPct: number | null;
  tempFiles: number;
  tempBytes: number;
  deadlocks: number;
  conflicts: number;
  sessions: number;
  sessionsAbandoned: number;
  sessionsFatal: number;
  sessionsKilled: number;
  statsResetSeconds: number | null;
}

export interface DatabaseConnections {
  /** pg_stat_activity.state; `not visible` when the role lacks pg_read_all_stats. */
  state: string;
  count: number;
  oldestTransactionSeconds: number | null;
}

export interface DatabaseFindings extends LargestTables {
  database: string;
  /** It is the database pgmedic is connected to. */
  connected: boolean;
  allowConnections: boolean;
  /** -1 means no limit. */
  connectionLimit: number;
  /** null when the role may not read it (needs CONNECT or pg_read_all_stats). */
  bytes: number | null;
  xidAge: number;
  multixactAge: number;
  freezeMaxAge: number;
  stats: DatabaseStats | null;
  connections: DatabaseConnections[];
  /** Why the largest relations could not be listed, or null when they were. */
  relationsUnavailable: string | null;
}

// $1: the database name (bound, never spliced), or null for the connected database.
const DATABASE_SQL = `
SELECT d.datname AS name, d.datallowconn AS allow_connections, d.datconnlimit AS connection_limit,
       has_database_privilege(d.oid, 'CONNECT') AS can_connect,
       CASE WHEN has_database_privilege(d.oid, 'CONNECT') OR pg_has_role('pg_read_all_stats', 'USAGE')
            THEN pg_catalog.pg_database_size(d.oid) END AS bytes,
       age(d.datfrozenxid)::int8 AS xid_age, mxid_age(d.datminmxid)::int8 AS multixact_age,
       current_setting('autovacuum_freeze_max_age')::int8 AS freeze_max_age,
       s.datid IS NOT NULL AS has_stats,
       s.xact_commit, s.xact_rollback, s.blks_read, s.blks_hit, s.temp_files, s.temp_bytes, s.deadlocks, s.conflicts,
       s.sessions, s.sessions_abandoned, s.sessions_fatal, s.sessions_killed,
       (100.0 * s.blks_hit / nullif(s.blks_hit + s.blks_read, 0))::float8 AS cache_hit_pct,
       ${secondsSince('s.stats_reset')} AS stats_reset_seconds
FROM pg_catalog.pg_database d
LEFT JOIN pg_catalog.pg_stat_database s ON s.datid = d.oid
WHERE d.datname = coalesce($1::text, current_database())`;

const DATABASE_NAMES_SQL = `SELECT datname AS name FROM pg_catalog.pg_database ORDER BY 1`;

const CONNECTIONS_SQL = `
SELECT coalesce(a.state, 'not visible') AS state, count(*) AS count,
       max(${secondsSince('a.xact_start')}) AS oldest_transaction_seconds
FROM pg_catalog.pg_stat_activity a
WHERE a.datname = $1 AND a.backend_type = 'client backend' AND ${excludeOwnBackends('a')}
GROUP BY 1
ORDER BY 2 DESC, 1`;

interface DatabaseRow {
  name: string;
  allow_connections: boolean;
  connection_limit: number;
  can_connect: boolean;
  bytes: number | null;
  xid_age: number;
  multixact_age: number;
  freeze_max_age: number;
  has_stats: boolean;
  xact_commit: number;
  xact_rollback: number;
  blks_read: number;
  blks_hit: number;
  temp_files: number;
  temp_bytes: number;
  deadlocks: number;
  conflicts: number;
  sessions: number;
  sessions_abandoned: number;
  sessions_fatal: number;
  sessions_killed: number;
  cache_hit_pct: number | null;
  stats_reset_seconds: number | null;
}

export default defineCommand({
  name: 'database',
  summary: 'A deep dive into one database: size, largest tables, activity, connections, XID age',
  kind: 'diagnostic',
  options: z.object({
    database: textOption(200, 'Database to inspect (default: the one pgmedic is connected to)'),
    limit: intOption(1, 100, 10, 'Largest tables to show'),
  }),
  positionals: ['database'],
  sql: {
    database: DATABASE_SQL,
    names: DATABASE_NAMES_SQL,
    connections: CONNECTIONS_SQL,
    largestTables: LARGEST_TABLES_SQL,
    locked: EXCLUSIVELY_LOCKED_RELATIONS_SQL,
  },

  async collect({ session, caps, inDatabase, alongside }, options): Promise<DatabaseFindings> {
    const wanted = options.database.trim() || null;
    // pg_database_size reads every file of the database: the connected one's largest tables are ranked
    // meanwhile, on a second connection. Awaited below; the catch only keeps an early throw from leaving it unhandled.
    const largestHere =
      wanted === null || wanted === caps.database
        ? alongside((other) => measureLargestTables(other, options.limit))
        : undefined;
    largestHere?.catch(() => undefined);
    const [row] = await session.query<DatabaseRow>(DATABASE_SQL, [wanted]);
    if (!row) {
      const names = (await session.query<{ name: string }>(DATABASE_NAMES_SQL)).map((r) => r.name);
      throw new AppError('bad_input', `There is no database named "${wanted}" on this server.`, {
        hint: suggestion(wanted ?? '', names),
      });
    }
    const connections = await session.query<{
      state: string;
      count: number;
      oldest_transaction_seconds: number | null;
    }>(CONNECTIONS_SQL, [row.name]);
    const connected = row.name === caps.database;
    const relationsUnavailable = connected ? null : whyNotInside(row);
    const largest: LargestTables = relationsUnavailable
      ? { tables: [], skipped: [] }
      : connected
        ? await (largestHere ?? measureLargestTables(session, options.limit))
        : await inDatabase(row.name, (other) => measureLargestTables(other, options.limit));
    return {
      database: row.name,
      connected,
      allowConnections: row.allow_connections,
      connectionLimit: row.connection_limit,
      bytes: row.bytes,
      xidAge: row.xid_age,
      multixactAge: row.multixact_age,
      freezeMaxAge: row.freeze_max_age,
      stats: row.has_stats ? statsOf(row) : null,
      connections: connections.map(camelCased),
      ...largest,
      relationsUnavailable,
    };
  },

  report: databaseReport,
});

function whyNotInside(row: DatabaseRow): string | null {
  if (!row.allow_connections || row.connection_limit === -2)
    return `${row.name} does not accept connections, so its tables cannot be listed.`;
  if (!row.can_connect) return `pgmedic's role has no CONNECT privilege on ${row.name}; grant it to list its tables.`;
  return null;
}

function statsOf(row: DatabaseRow): DatabaseStats {
  return {
    commits: row.xact_commit,
    rollbacks: row.xact_rollback,
    blocksRead: row.blks_read,
    blocksHit: row.blks_hit,
    cacheHitPct: row.cache_hit_pct,
    tempFiles: row.temp_files,
    tempBytes: row.temp_bytes,
    deadlocks: row.deadlocks,
    conflicts: row.conflicts,
    sessions: row.sessions,
    sessionsAbandoned: row.sessions_abandoned,
    sessionsFatal: row.sessions_fatal,
    sessionsKilled: row.sessions_killed,
    statsResetSeconds: row.stats_reset_seconds,
  };
}
