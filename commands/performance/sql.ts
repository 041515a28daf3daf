import { secondsSince } from '../../src/db/sql.js';
import type { CheckpointActivity } from '../performance.js';

export const DATABASES_SQL = `
SELECT s.datname AS database, s.xact_commit::float8 AS commits, s.xact_rollback::float8 AS rollbacks,
       s.blks_hit::float8 AS blocks_hit, s.blks_read::float8 AS blocks_read,
       s.temp_files::float8 AS temp_files, s.temp_bytes::float8 AS temp_bytes,
       s.deadlocks::float8 AS deadlocks, s.conflicts::float8 AS conflicts,
       ${secondsSince('s.stats_reset')} AS stats_reset_seconds
FROM pg_catalog.pg_stat_database s
JOIN pg_catalog.pg_database d ON d.oid = s.datid
WHERE NOT d.datistemplate
ORDER BY s.xact_commit + s.xact_rollback DESC, s.datname`;

// PostgreSQL 17 moved the checkpoint counters to pg_stat_checkpointer and counts restartpoints apart.
export const CHECKPOINTS_SQL = {
  140000: `
SELECT 'pg_stat_bgwriter' AS source, checkpoints_timed::float8 AS timed, checkpoints_req::float8 AS requested,
       checkpoint_write_time::float8 AS write_time_ms, checkpoint_sync_time::float8 AS sync_time_ms,
       buffers_checkpoint::float8 AS buffers_written, NULL::float8 AS restartpoints_timed, NULL::float8 AS restartpoints_requested,
       ${secondsSince('stats_reset')} AS stats_reset_seconds
FROM pg_catalog.pg_stat_bgwriter`,
  170000: `
SELECT 'pg_stat_checkpointer' AS source, num_timed::float8 AS timed, num_requested::float8 AS requested,
       write_time::float8 AS write_time_ms, sync_time::float8 AS sync_time_ms,
       buffers_written::float8 AS buffers_written, restartpoints_timed::float8 AS restartpoints_timed,
       restartpoints_req::float8 AS restartpoints_requested,
       ${secondsSince('stats_reset')} AS stats_reset_seconds
FROM pg_catalog.pg_stat_checkpointer`,
};

export const SAMPLED_AT_SQL = `SELECT extract(epoch FROM now())::float8 AS epoch`;

export interface DatabaseRow {
  database: string;
  commits: number;
  rollbacks: number;
  blocks_hit: number;
  blocks_read: number;
  temp_files: number;
  temp_bytes: number;
  deadlocks: number;
  conflicts: number;
  stats_reset_seconds: number | null;
}
export interface CheckpointRow {
  source: CheckpointActivity['source'];
  timed: number;
  requested: number;
  write_time_ms: number;
  sync_time_ms: number;
  buffers_written: number;
  restartpoints_timed: number | null;
  restartpoints_requested: number | null;
  stats_reset_seconds: number | null;
}
