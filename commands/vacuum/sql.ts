import { excludeOwnBackends, secondsSince } from '../../src/db/sql.js';
import {
  AUTOVACUUM_ENABLED,
  AUTOVACUUM_RELOPTIONS_JOIN,
  autovacuumSettingsJoin,
  byTriggerVersion,
  deadTupleTrigger,
  FREEZE_MAX_AGE,
  insertTrigger,
  MULTIXACT_FREEZE_MAX_AGE,
} from '../shared/autovacuum-trigger-sql.js';

const USER_TABLES = `c.relkind IN ('r', 'm') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;

export const SETTINGS_NAMES = [
  'autovacuum',
  'track_counts',
  'autovacuum_max_workers',
  'autovacuum_naptime',
  'autovacuum_vacuum_threshold',
  'autovacuum_vacuum_scale_factor',
  'autovacuum_vacuum_max_threshold',
  'autovacuum_vacuum_insert_threshold',
  'autovacuum_vacuum_insert_scale_factor',
  'autovacuum_freeze_max_age',
  'autovacuum_multixact_freeze_max_age',
] as const;

/** The settings behind the trigger arithmetic; autovacuum_vacuum_max_threshold exists from 18 only. $1 = names. */
export const SETTINGS_SQL = `SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY ($1::text[])`;

// The statistics functions are called directly, not through pg_stat_all_tables (a GROUP BY over every
// relation with ~20 counters each); the last-vacuum times are read for the returned rows only.
const tablesSql = (serverVersionNum: number) => `
WITH tables AS (
  SELECT c.oid, n.nspname AS schema, c.relname AS table,
         pg_catalog.pg_stat_get_dead_tuples(c.oid)::float8 AS "deadTuples",
         pg_catalog.pg_stat_get_ins_since_vacuum(c.oid)::float8 AS "insertsSinceVacuum",
         c.reltuples::float8 AS reltuples,
         ${deadTupleTrigger(serverVersionNum)} AS "autovacuumThreshold",
         ${insertTrigger(serverVersionNum)} AS "insertThreshold",
         ${AUTOVACUUM_ENABLED} AS "autovacuumEnabled",
         ro.autovacuum_options > 0 AS "tableSettings"
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  ${AUTOVACUUM_RELOPTIONS_JOIN}
  ${autovacuumSettingsJoin(serverVersionNum)}
  WHERE ${USER_TABLES}
  -- computed once per table: inlined, the statistics calls and the trigger arithmetic ran again in every use below
  OFFSET 0
), rated AS (
  SELECT t.*, t."deadTuples" / nullif(t."autovacuumThreshold", 0) AS ratio,
         t."insertsSinceVacuum" / nullif(t."insertThreshold", 0) AS "insertRatio",
         t."deadTuples" > t."autovacuumThreshold" OR t."insertsSinceVacuum" > t."insertThreshold" AS "overTrigger"
  FROM tables t
), counted AS (
  SELECT t.*, count(*) OVER ()::int AS "tableCount", (count(*) FILTER (WHERE t."overTrigger") OVER ())::int AS "overTriggerCount"
  FROM rated t
), shown AS (
  -- The catalogs are autovacuum's business: listed only when past a trigger, never as filler between user tables.
  SELECT t.* FROM counted t
  WHERE t."overTrigger" OR t.schema NOT IN ('pg_catalog', 'information_schema')
  ORDER BY greatest(t.ratio, t."insertRatio") DESC NULLS LAST, t."deadTuples" DESC, t.schema, t.table
  LIMIT $1
)
SELECT r.oid::int8::text AS oid, r.schema, r.table, r."deadTuples", pg_catalog.pg_stat_get_live_tuples(r.oid)::float8 AS "liveTuples",
       r."insertsSinceVacuum", r.reltuples, r."autovacuumThreshold", r."insertThreshold", r.ratio, r."insertRatio",
       r."autovacuumEnabled", r."tableSettings", r."tableCount", r."overTriggerCount",
       ${secondsSince('pg_catalog.pg_stat_get_last_vacuum_time(r.oid)')} AS "lastVacuumSeconds",
       ${secondsSince('pg_catalog.pg_stat_get_last_autovacuum_time(r.oid)')} AS "lastAutovacuumSeconds",
       ${secondsSince('pg_catalog.pg_stat_get_last_analyze_time(r.oid)')} AS "lastAnalyzeSeconds",
       ${secondsSince('pg_catalog.pg_stat_get_last_autoanalyze_time(r.oid)')} AS "lastAutoanalyzeSeconds"
FROM shown r
ORDER BY greatest(r.ratio, r."insertRatio") DESC NULLS LAST, r."deadTuples" DESC, r.schema, r.table`;

/** Every table with its dead-tuple and insert triggers computed as autovacuum does; $1 = rows to return. */
export const TABLES_SQL = byTriggerVersion(tablesSql);

/** Tables with autovacuum_enabled = false (anti-wraparound vacuums still run on them). */
export const DISABLED_SQL = `
SELECT n.nspname AS schema, c.relname AS table, pg_catalog.pg_stat_get_dead_tuples(c.oid)::float8 AS "deadTuples",
       count(*) OVER ()::int AS total
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE ${USER_TABLES} AND c.reloptions IS NOT NULL
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'autovacuum_enabled' AND NOT o.option_value::boolean)
ORDER BY 3 DESC, 1, 2
LIMIT 20`;

const progressSql = (counters: string) => `
SELECT p.pid, p.datname AS database, n.nspname AS schema, c.relname AS table, p.phase,
       p.heap_blks_total::float8 AS "heapBlocksTotal", p.heap_blks_scanned::float8 AS "heapBlocksScanned",
       p.heap_blks_vacuumed::float8 AS "heapBlocksVacuumed", p.index_vacuum_count::float8 AS "indexVacuumCount",
       ${counters},
       a.backend_type = 'autovacuum worker' AS autovacuum,
       coalesce(a.query LIKE '%(to prevent wraparound)%', false) AS "toPreventWraparound",
       ${secondsSince('a.query_start')} AS "runningSeconds",
       a.wait_event_type AS "waitEventType", a.wait_event AS "waitEvent"
FROM pg_catalog.pg_stat_progress_vacuum p
JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid
LEFT JOIN pg_catalog.pg_class c ON c.oid = p.relid AND p.datid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE ${excludeOwnBackends('a')}
ORDER BY "runningSeconds" DESC NULLS LAST, p.pid`;

/**
 * VACUUMs running now, in every database. 17 counts dead items in bytes (max_dead_tuple_bytes,
 * dead_tuple_bytes, num_dead_item_ids) where 14–16 counted tuples (max_dead_tuples, num_dead_tuples).
 */
export const PROGRESS_SQL = {
  140000: progressSql(`p.num_dead_tuples::float8 AS "deadItemIds", p.max_dead_tuples::float8 AS "maxDeadTuples",
       NULL::float8 AS "deadTupleBytes", NULL::float8 AS "maxDeadTupleBytes", NULL::int AS "indexesTotal", NULL::int AS "indexesProcessed"`),
  170000: progressSql(`p.num_dead_item_ids::float8 AS "deadItemIds", NULL::float8 AS "maxDeadTuples",
       p.dead_tuple_bytes::float8 AS "deadTupleBytes", p.max_dead_tuple_bytes::float8 AS "maxDeadTupleBytes",
       p.indexes_total::int AS "indexesTotal", p.indexes_processed::int AS "indexesProcessed"`),
};

/**
 * What keeps VACUUM from removing recently dead rows: sessions with a snapshot or an XID (walsenders carry a
 * standby's hot_standby_feedback), replication slots with xmin or catalog_xmin, prepared transactions. $1 = rows.
 */
export const HORIZON_SQL = `
SELECT * FROM (
  SELECT CASE WHEN a.backend_type = 'walsender' THEN 'standby feedback' ELSE 'transaction' END AS kind,
         a.pid, a.backend_start::text AS "backendStart", a.application_name AS name, a.usename AS "user", a.datname AS database,
         a.state, greatest(age(a.backend_xmin), age(a.backend_xid))::float8 AS "xminAge",
         ${secondsSince('a.xact_start')} AS "ageSeconds", left(a.query, 1000) AS query
  FROM pg_catalog.pg_stat_activity a
  WHERE (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL) AND ${excludeOwnBackends('a')}
  UNION ALL
  SELECT 'replication slot', NULL, NULL, s.slot_name, NULL, s.database,
         CASE WHEN s.active THEN 'active' ELSE 'inactive' END, greatest(age(s.xmin), age(s.catalog_xmin))::float8, NULL, NULL
  FROM pg_catalog.pg_replication_slots s
  WHERE s.xmin IS NOT NULL OR s.catalog_xmin IS NOT NULL
  UNION ALL
  SELECT 'prepared transaction', NULL, NULL, p.gid, p.owner, p.database, 'prepared', age(p.transaction)::float8, ${secondsSince('p.prepared')}, NULL
  FROM pg_catalog.pg_prepared_xacts p
) holders
ORDER BY "xminAge" DESC NULLS LAST, "ageSeconds" DESC NULLS LAST
LIMIT $1`;

/** Tables closest to the age at which autovacuum forces an anti-wraparound vacuum (TOAST included). $1 = rows. */
export const WRAPAROUND_SQL = `
SELECT *, 100 * greatest("xidAge" / "freezeMaxAge", "multixactAge" / "multixactFreezeMaxAge") AS "percentOfForced"
FROM (
  SELECT n.nspname AS schema, c.relname AS table,
         greatest(age(c.relfrozenxid), age(t.relfrozenxid))::float8 AS "xidAge",
         greatest(mxid_age(c.relminmxid), mxid_age(t.relminmxid))::float8 AS "multixactAge",
         ${FREEZE_MAX_AGE} AS "freezeMaxAge", ${MULTIXACT_FREEZE_MAX_AGE} AS "multixactFreezeMaxAge"
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid
  ${AUTOVACUUM_RELOPTIONS_JOIN}
  ${autovacuumSettingsJoin(140000)}
  WHERE c.relkind IN ('r', 'm') AND n.nspname !~ '^pg_(temp_|toast_temp_)'
) ages
ORDER BY "percentOfForced" DESC, schema, "table"
LIMIT $1`;
