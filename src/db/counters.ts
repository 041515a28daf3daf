import type { Session } from './session.js';
import { notExclusivelyLocked } from './sql.js';
import type { StatementReading, StatementsUnavailable } from './statement-counters.js';

export * from './statement-counters.js';

type Row = Record<string, number | string | boolean | null>;

/**
 * Timestamps that mark an epoch (stats_reset, stats_since, the postmaster start) are kept as epoch seconds in
 * text (`extract(epoch …)::text`, exact to the microsecond): equal text, same reset; no time zone involved.
 *
 * Cumulative counters as the query history stores them and as `--since` reads them now: pg_stat_statements per
 * entry, pg_stat_database, the checkpointer, sizes and replication. One reader for both sides, so a delta always
 * compares like with like.
 */

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
