import type { Capabilities } from './capabilities.js';
import { escapeIdentifier } from './driver.js';
import type { Session } from './session.js';
import { notExclusivelyLocked } from './sql.js';

/**
 * Timestamps that mark an epoch (stats_reset, stats_since, the postmaster start) are kept as epoch seconds in
 * text (`extract(epoch …)::text`, exact to the microsecond): equal text, same reset; no time zone involved.
 *
 * Cumulative counters as the query history stores them and as `--since` reads them now: pg_stat_statements per
 * entry, pg_stat_database, the checkpointer, sizes and replication. One reader for both sides, so a delta always
 * compares like with like.
 */

/** The additive figures of a pg_stat_statements entry, in the order they are stored. */
export const STATEMENT_COUNTERS = [
  'calls',
  'totalMs',
  'rows',
  'sharedHit',
  'sharedRead',
  'sharedDirtied',
  'sharedWritten',
  'localHit',
  'localRead',
  'localDirtied',
  'localWritten',
  'tempRead',
  'tempWritten',
] as const;
export type StatementCounter = (typeof STATEMENT_COUNTERS)[number];
export type Counters = Record<StatementCounter, number>;

/** One pg_stat_statements entry: the key (queryid, user, database, nesting level) and its counters. */
export interface StatementEntry extends Counters {
  queryId: string;
  userId: string;
  dbId: string;
  /** null before extension 1.9. */
  toplevel: boolean | null;
  /** When this entry started counting (extension 1.11+, PostgreSQL 17+). */
  statsSince: string | null;
}

export interface StatementReading {
  extensionVersion: string;
  entries: StatementEntry[];
  /** Everything not among `entries` (beyond the top N, or without a queryid), summed. */
  others: Counters & { entries: number };
  /** pg_stat_statements_info (1.9+): when everything was last reset, and entries evicted since. */
  statsReset: string | null;
  dealloc: number | null;
}

export type StatementsUnavailable = { unavailable: 'not-installed' | 'not-preloaded' };

export interface DatabaseCounters {
  database: string;
  commits: number;
  rollbacks: number;
  deadlocks: number;
  conflicts: number;
  tempFiles: number;
  tempBytes: number;
  blocksRead: number;
  blocksHit: number;
  tupReturned: number;
  tupFetched: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
  statsReset: string | null;
  /** null where this role may not measure it. */
  sizeBytes: number | null;
}

export interface CheckpointCounters {
  source: 'pg_stat_checkpointer' | 'pg_stat_bgwriter';
  timed: number;
  requested: number;
  buffersWritten: number;
  writeTimeMs: number;
  syncTimeMs: number;
  statsReset: string | null;
}

export interface RelationSize {
  schema: string;
  relation: string;
  tableBytes: number;
  indexBytes: number;
}

export interface ReplicationState {
  /** On a primary, each standby's replay lag; on a standby, its own replay delay. */
  role: 'primary' | 'standby';
  standbys: { name: string; state: string; lagBytes: number | null; lagSeconds: number | null }[];
  replayLagBytes: number | null;
  replayLagSeconds: number | null;
}

export interface ServerClock {
  takenAt: Date;
  postmasterStart: string;
  inRecovery: boolean;
}

/** Column names follow the extension version (1.8 renamed the times, 1.9 added toplevel, 1.11 stats_since). */
export function statementsSql(schema: string, columns: readonly string[]): string {
  const has = (name: string) => columns.includes(name);
  const total = has('total_exec_time') ? 'total_exec_time' : 'total_time';
  const view = `${escapeIdentifier(schema)}.pg_stat_statements`;
  const sums = `coalesce(sum(calls), 0), coalesce(sum(total_ms), 0), coalesce(sum(rows), 0), coalesce(sum(shared_hit), 0),
  coalesce(sum(shared_read), 0), coalesce(sum(shared_dirtied), 0), coalesce(sum(shared_written), 0), coalesce(sum(local_hit), 0),
  coalesce(sum(local_read), 0), coalesce(sum(local_dirtied), 0), coalesce(sum(local_written), 0), coalesce(sum(temp_read), 0),
  coalesce(sum(temp_written), 0)`;
  return `
WITH s AS (
  SELECT s.queryid::text AS query_id, s.userid::text AS user_id, s.dbid::text AS db_id,
         ${has('toplevel') ? 's.toplevel' : 'NULL::boolean'} AS toplevel,
         ${has('stats_since') ? 'extract(epoch FROM s.stats_since)::text' : 'NULL::text'} AS stats_since,
         s.calls::float8 AS calls, s.${total}::float8 AS total_ms, s.rows::float8 AS rows,
         s.shared_blks_hit::float8 AS shared_hit, s.shared_blks_read::float8 AS shared_read,
         s.shared_blks_dirtied::float8 AS shared_dirtied, s.shared_blks_written::float8 AS shared_written,
         s.local_blks_hit::float8 AS local_hit, s.local_blks_read::float8 AS local_read,
         s.local_blks_dirtied::float8 AS local_dirtied, s.local_blks_written::float8 AS local_written,
         s.temp_blks_read::float8 AS temp_read, s.temp_blks_written::float8 AS temp_written
  FROM ${view} s
  -- pgmedic's own statements (tagged at both ends, see src/db/sql.ts) are left out, as in slow-queries
  WHERE coalesce(s.query, '') NOT LIKE '%/* pgmedic:%'
), ranked AS (
  SELECT s.*, row_number() OVER (ORDER BY s.query_id IS NULL, s.total_ms DESC, s.query_id, s.user_id, s.db_id) AS rank
  FROM s
)
SELECT false AS others, 1::float8 AS entries, query_id, user_id, db_id, toplevel, stats_since, calls, total_ms, rows,
       shared_hit, shared_read, shared_dirtied, shared_written, local_hit, local_read, local_dirtied, local_written,
       temp_read, temp_written
FROM ranked WHERE rank <= $1 AND query_id IS NOT NULL
UNION ALL
SELECT true, count(*)::float8, NULL, NULL, NULL, NULL, NULL, ${sums}
FROM ranked WHERE rank > $1 OR query_id IS NULL`;
}

export const infoSql = (schema: string) =>
  `SELECT dealloc::float8 AS dealloc, extract(epoch FROM stats_reset)::text AS stats_reset FROM ${escapeIdentifier(schema)}.pg_stat_statements_info`;

export const textsSql = (schema: string) => `
SELECT DISTINCT ON (queryid) queryid::text AS query_id, left(query, 1000) AS query
FROM ${escapeIdentifier(schema)}.pg_stat_statements
WHERE queryid = ANY($1::bigint[]) AND query IS NOT NULL
ORDER BY queryid, calls DESC`;

type Row = Record<string, number | string | boolean | null>;

const COLUMN_OF: Record<StatementCounter, string> = {
  calls: 'calls',
  totalMs: 'total_ms',
  rows: 'rows',
  sharedHit: 'shared_hit',
  sharedRead: 'shared_read',
  sharedDirtied: 'shared_dirtied',
  sharedWritten: 'shared_written',
  localHit: 'local_hit',
  localRead: 'local_read',
  localDirtied: 'local_dirtied',
  localWritten: 'local_written',
  tempRead: 'temp_read',
  tempWritten: 'temp_written',
};

const countersOf = (row: Row): Counters =>
  Object.fromEntries(STATEMENT_COUNTERS.map((c) => [c, Number(row[COLUMN_OF[c]] ?? 0)])) as Counters;

/** pg_stat_statements_info arrived with extension 1.9. */
export function hasInfoView(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 9);
}

/** The `top` entries by total time and one bucket for the rest; why not, when the extension is not usable. */
export async function readStatementCounters(
  session: Session,
  caps: Capabilities,
  top: number,
): Promise<StatementReading | StatementsUnavailable> {
  const version = caps.extensions.pg_stat_statements;
  const schema = caps.extensionSchemas.pg_stat_statements;
  if (!version || !schema || !caps.pgssColumns) return { unavailable: 'not-installed' };
  if (caps.pgssPreloaded === false) return { unavailable: 'not-preloaded' };
  const rows = await session.query<Row>(statementsSql(schema, caps.pgssColumns), [top]);
  const [info] = hasInfoView(version)
    ? await session.query<{ dealloc: number; stats_reset: string | null }>(infoSql(schema))
    : [];
  const bucket = rows.find((r) => r.others === true);
  return {
    extensionVersion: version,
    entries: rows
      .filter((r) => r.others !== true)
      .map((r) => ({
        queryId: String(r.query_id),
        userId: String(r.user_id),
        dbId: String(r.db_id),
        toplevel: r.toplevel as boolean | null,
        statsSince: r.stats_since as string | null,
        ...countersOf(r),
      })),
    others: { entries: Number(bucket?.entries ?? 0), ...countersOf(bucket ?? {}) },
    statsReset: info?.stats_reset ?? null,
    dealloc: info?.dealloc ?? null,
  };
}

/** Normalised text of these queryids (one per queryid), cut to 1000 characters. */
export async function readStatementTexts(
  session: Session,
  caps: Capabilities,
  queryIds: readonly string[],
): Promise<Map<string, string>> {
  const schema = caps.extensionSchemas.pg_stat_statements;
  if (!schema || !queryIds.length) return new Map();
  const rows = await session.query<{ query_id: string; query: string }>(textsSql(schema), [queryIds]);
  return new Map(rows.map((r) => [r.query_id, r.query]));
}

export const DATABASES_SQL = `
SELECT d.datname AS database, s.xact_commit::float8 AS commits, s.xact_rollback::float8 AS rollbacks,
       s.deadlocks::float8 AS deadlocks, s.conflicts::float8 AS conflicts, s.temp_files::float8 AS temp_files,
       s.temp_bytes::float8 AS temp_bytes, s.blks_read::float8 AS blocks_read, s.blks_hit::float8 AS blocks_hit,
       s.tup_returned::float8 AS tup_returned, s.tup_fetched::float8 AS tup_fetched,
       s.tup_inserted::float8 AS tup_inserted, s.tup_updated::float8 AS tup_updated,
       s.tup_deleted::float8 AS tup_deleted, extract(epoch FROM s.stats_reset)::text AS stats_reset,
       CASE WHEN has_database_privilege(d.oid, 'CONNECT') OR pg_has_role('pg_read_all_stats', 'MEMBER')
            THEN pg_database_size(d.oid)::float8 END AS size_bytes
FROM pg_catalog.pg_stat_database s
JOIN pg_catalog.pg_database d ON d.oid = s.datid
WHERE NOT d.datistemplate AND d.datallowconn
ORDER BY d.datname`;

// PostgreSQL 17 moved the checkpoint counters from pg_stat_bgwriter to pg_stat_checkpointer.
export const CHECKPOINTS_SQL = {
  140000: `
SELECT 'pg_stat_bgwriter' AS source, checkpoints_timed::float8 AS timed, checkpoints_req::float8 AS requested,
       buffers_checkpoint::float8 AS buffers_written, checkpoint_write_time::float8 AS write_time_ms,
       checkpoint_sync_time::float8 AS sync_time_ms, extract(epoch FROM stats_reset)::text AS stats_reset
FROM pg_catalog.pg_stat_bgwriter`,
  170000: `
SELECT 'pg_stat_checkpointer' AS source, num_timed::float8 AS timed, num_requested::float8 AS requested,
       buffers_written::float8 AS buffers_written, write_time::float8 AS write_time_ms,
       sync_time::float8 AS sync_time_ms, extract(epoch FROM stats_reset)::text AS stats_reset
FROM pg_catalog.pg_stat_checkpointer`,
};

export const SERVER_SQL = `
SELECT clock_timestamp() AS taken_at, extract(epoch FROM pg_postmaster_start_time())::text AS postmaster_start,
       pg_is_in_recovery() AS in_recovery`;

/**
 * The largest relations by their catalog size (relpages, so no lock and no file access for the others), then
 * measured; relations someone holds ACCESS EXCLUSIVE on are skipped rather than waited for.
 */
export const RELATIONS_SQL = `
WITH biggest AS (
  SELECT c.oid, n.nspname, c.relname
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
  ORDER BY c.relpages::float8 + coalesce((SELECT sum(i.relpages) FROM pg_catalog.pg_index x
             JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), 0)
           + coalesce((SELECT t.relpages FROM pg_catalog.pg_class t WHERE t.oid = c.reltoastrelid), 0) DESC, c.oid
  LIMIT $1
)
SELECT nspname AS schema, relname AS relation, pg_table_size(oid)::float8 AS table_bytes,
       pg_indexes_size(oid)::float8 AS index_bytes
FROM biggest b WHERE ${notExclusivelyLocked('b.oid')}`;

export const REPLICATION_SQL = {
  primary: `
SELECT application_name AS name, state,
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS lag_bytes,
       extract(epoch FROM replay_lag)::float8 AS lag_seconds
FROM pg_catalog.pg_stat_replication ORDER BY application_name`,
  standby: `
SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS lag_bytes,
       ${`(CASE WHEN pg_last_xact_replay_timestamp() IS NOT NULL THEN greatest(0, extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())) END)::float8`} AS lag_seconds`,
};

export async function readServerClock(session: Session): Promise<ServerClock> {
  const [row] = await session.query<{ taken_at: Date; postmaster_start: string; in_recovery: boolean }>(SERVER_SQL);
  return { takenAt: row!.taken_at, postmasterStart: row!.postmaster_start, inRecovery: row!.in_recovery };
}

export async function readDatabaseCounters(session: Session): Promise<DatabaseCounters[]> {
  const rows = await session.query<Row>(DATABASES_SQL);
  const n = (row: Row, key: string) => Number(row[key] ?? 0);
  return rows.map((r) => ({
    database: String(r.database),
    commits: n(r, 'commits'),
    rollbacks: n(r, 'rollbacks'),
    deadlocks: n(r, 'deadlocks'),
    conflicts: n(r, 'conflicts'),
    tempFiles: n(r, 'temp_files'),
    tempBytes: n(r, 'temp_bytes'),
    blocksRead: n(r, 'blocks_read'),
    blocksHit: n(r, 'blocks_hit'),
    tupReturned: n(r, 'tup_returned'),
    tupFetched: n(r, 'tup_fetched'),
    tupInserted: n(r, 'tup_inserted'),
    tupUpdated: n(r, 'tup_updated'),
    tupDeleted: n(r, 'tup_deleted'),
    statsReset: (r.stats_reset as string | null) ?? null,
    sizeBytes: r.size_bytes === null ? null : n(r, 'size_bytes'),
  }));
}

export async function readCheckpointCounters(session: Session): Promise<CheckpointCounters> {
  const [r] = await session.query<Row>(CHECKPOINTS_SQL);
  return {
    source: r!.source as CheckpointCounters['source'],
    timed: Number(r!.timed),
    requested: Number(r!.requested),
    buffersWritten: Number(r!.buffers_written),
    writeTimeMs: Number(r!.write_time_ms),
    syncTimeMs: Number(r!.sync_time_ms),
    statsReset: (r!.stats_reset as string | null) ?? null,
  };
}

export async function readRelationSizes(session: Session, limit: number): Promise<RelationSize[]> {
  const rows = await session.query<{ schema: string; relation: string; table_bytes: number; index_bytes: number }>(
    RELATIONS_SQL,
    [limit],
  );
  return rows.map((r) => ({
    schema: r.schema,
    relation: r.relation,
    tableBytes: r.table_bytes,
    indexBytes: r.index_bytes,
  }));
}

export async function readReplication(session: Session, inRecovery: boolean): Promise<ReplicationState> {
  if (inRecovery) {
    const [r] = await session.query<{ lag_bytes: number | null; lag_seconds: number | null }>(REPLICATION_SQL.standby);
    return {
      role: 'standby',
      standbys: [],
      replayLagBytes: r?.lag_bytes ?? null,
      replayLagSeconds: r?.lag_seconds ?? null,
    };
  }
  const rows = await session.query<{
    name: string;
    state: string;
    lag_bytes: number | null;
    lag_seconds: number | null;
  }>(REPLICATION_SQL.primary);
  return {
    role: 'primary',
    standbys: rows.map((r) => ({ name: r.name, state: r.state, lagBytes: r.lag_bytes, lagSeconds: r.lag_seconds })),
    replayLagBytes: null,
    replayLagSeconds: null,
  };
}

/** Everything one snapshot of a target holds (src/state/history.ts stores it, the engine's HistoryReader reads it). */
export interface Snapshot {
  target: string;
  takenAt: Date;
  serverVersionNum: number;
  inRecovery: boolean;
  postmasterStart: string;
  statements: StatementReading | StatementsUnavailable;
  databases: DatabaseCounters[];
  checkpoints: CheckpointCounters;
  relations: RelationSize[];
  replication: ReplicationState | null;
}

/** Which snapshot a window starts at, and whether it is as old as asked (`older: false`: the oldest there is). */
export interface SnapshotHead {
  id: string;
  takenAt: Date;
  /** False when no snapshot is that old and the oldest one was used instead. */
  coversWindow: boolean;
}
