import { escapeIdentifier } from '../../src/db/driver.js';
import { notExclusivelyLocked } from '../../src/db/sql.js';
import {
  AUTOVACUUM_ENABLED,
  AUTOVACUUM_RELOPTIONS_JOIN,
  autovacuumSettingsJoin,
  byTriggerVersion,
  deadTupleTrigger,
} from '../shared/autovacuum-trigger-sql.js';

/*
 * Cost on large catalogs: the size floor is applied to pg_class.relpages first (a plain scan of pg_class),
 * and only the survivors are joined to pg_attribute / pg_stats (one index lookup per column) and measured.
 */

// The floor in pages is computed once (an InitPlan), not per pg_class row.
const aboveFloor = (alias: string) =>
  `${alias}.relpages >= (SELECT ceil($1::float8 / current_setting('block_size')::float8))`;
const USER_SCHEMAS = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;

/**
 * One column's pg_stats row. LIMIT keeps the planner from flattening the view into the outer join, so every
 * lookup is an index probe on (relname, namespace) instead of a scan of all statistics per column.
 */
const statsOf = (schema: string, relation: string, column: string) => `(
    SELECT s.attname, s.avg_width, s.null_frac, s.n_distinct FROM pg_catalog.pg_stats s
    WHERE s.schemaname = ${schema} AND s.tablename = ${relation} AND s.attname = ${column} AND NOT s.inherited LIMIT 1)`;

/** Per column: layout from pg_attribute, width and null share from pg_stats (absent when hidden or never analyzed). */
const columnsJson = (attribute: string) =>
  `json_agg(json_build_object('len', ${attribute}.attlen, 'align', ${attribute}.attalign, 'width', st.avg_width, 'nullFrac', st.null_frac) ORDER BY ${attribute}.attnum)`;

const tableSql = (serverVersionNum: number) => `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS table,
       c.relpages::float8 AS relpages, c.reltuples::float8 AS reltuples,
       coalesce((SELECT o.option_value::int FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'fillfactor'), 100) AS fillfactor,
       CASE WHEN ${notExclusivelyLocked('c.oid')} THEN pg_catalog.pg_relation_size(c.oid)::float8 END AS bytes,
       CASE WHEN c.reltoastrelid <> 0 AND ${notExclusivelyLocked('c.oid')} AND ${notExclusivelyLocked('c.reltoastrelid')} THEN pg_catalog.pg_relation_size(c.reltoastrelid)::float8 ELSE 0 END AS toast_bytes,
       (c.relrowsecurity AND row_security_active(c.oid)) AS row_security_hides_stats,
       cols.columns, cols.attribute_count, cols.stats_count, cols.hidden_count, cols.name_columns,
       pg_catalog.pg_stat_get_dead_tuples(c.oid)::float8 AS dead_tuples,
       ${deadTupleTrigger(serverVersionNum)} AS autovacuum_threshold,
       ${AUTOVACUUM_ENABLED} AS autovacuum_enabled
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
${AUTOVACUUM_RELOPTIONS_JOIN}
${autovacuumSettingsJoin(serverVersionNum)}
LEFT JOIN LATERAL (
  SELECT ${columnsJson('a')} AS columns,
         count(*)::int AS attribute_count,
         count(st.attname)::int AS stats_count,
         count(*) FILTER (WHERE NOT has_column_privilege(c.oid, a.attnum, 'SELECT'))::int AS hidden_count,
         count(*) FILTER (WHERE a.atttypid = 'pg_catalog.name'::pg_catalog.regtype)::int AS name_columns
  FROM pg_catalog.pg_attribute a
  LEFT JOIN LATERAL ${statsOf('n.nspname', 'c.relname', 'a.attname')} st ON true
  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
) cols ON true
WHERE c.relkind IN ('r', 'm') AND ${USER_SCHEMAS}
  AND CASE WHEN c.relpages > 0 THEN ${aboveFloor('c')}
           -- never vacuumed or analyzed (relpages 0, reltuples -1) yet holding rows: measured, so the report can say it
           WHEN c.reltuples < 0 AND pg_catalog.pg_stat_get_live_tuples(c.oid) > 0 AND ${notExclusivelyLocked('c.oid')}
             THEN pg_catalog.pg_relation_size(c.oid) >= $1
           ELSE false END`;

/** Tables (and materialized views) above the floor, with what the estimate needs; $1 = floor in bytes. */
export const TABLES_SQL = byTriggerVersion(tableSql);

/**
 * Btree indexes above the floor. Key columns take their statistics from the table's column; expression
 * columns from the index's own pg_stats entry (ANALYZE stores them under the index name). $1 = floor in bytes.
 */
export const INDEXES_SQL = `
SELECT i.oid::int8 AS oid, n.nspname AS schema, t.relname AS table, i.relname AS index,
       i.relpages::float8 AS relpages, i.reltuples::float8 AS reltuples, t.reltuples::float8 AS table_tuples,
       coalesce((SELECT o.option_value::int FROM pg_catalog.pg_options_to_table(i.reloptions) o WHERE o.option_name = 'fillfactor'), 90) AS fillfactor,
       x.indisunique AS is_unique, x.indnkeyatts::int AS key_columns,
       CASE WHEN ${notExclusivelyLocked('i.oid')} AND ${notExclusivelyLocked('t.oid')} THEN pg_catalog.pg_relation_size(i.oid)::float8 END AS bytes,
       (t.relrowsecurity AND row_security_active(t.oid)) AS row_security_hides_stats,
       cols.columns, cols.attribute_count, cols.stats_count, cols.hidden_count, cols.name_columns, cols.leading_n_distinct
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace
LEFT JOIN LATERAL (
  SELECT ${columnsJson('ia')} AS columns,
         count(*)::int AS attribute_count,
         count(st.attname)::int AS stats_count,
         count(*) FILTER (WHERE NOT has_column_privilege(coalesce(ta.attrelid, i.oid), coalesce(ta.attnum, ia.attnum), 'SELECT'))::int AS hidden_count,
         count(*) FILTER (WHERE ia.atttypid = 'pg_catalog.name'::pg_catalog.regtype)::int AS name_columns,
         (array_agg(st.n_distinct::float8 ORDER BY ia.attnum))[1] AS leading_n_distinct
  FROM pg_catalog.pg_attribute ia
  LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = t.oid AND ta.attnum = x.indkey[ia.attnum - 1] AND x.indkey[ia.attnum - 1] <> 0
  LEFT JOIN LATERAL ${statsOf('n.nspname', 'CASE WHEN ta.attnum IS NULL THEN i.relname ELSE t.relname END', 'coalesce(ta.attname, ia.attname)')} st ON true
  WHERE ia.attrelid = i.oid AND ia.attnum > 0
) cols ON true
WHERE i.relkind = 'i' AND i.relam = (SELECT oid FROM pg_catalog.pg_am WHERE amname = 'btree')
  AND i.relpages > 1 AND x.indisvalid AND ${aboveFloor('i')} AND ${USER_SCHEMAS}`;

/** Whether the role may call the pgstattuple functions (granted to pg_stat_scan_tables); $1, $2 = their signatures. */
export const EXACT_ACCESS_SQL = `SELECT has_function_privilege($1, 'EXECUTE') AS tables, has_function_privilege($2, 'EXECUTE') AS indexes`;

export function pgstattupleSignatures(schema: string): [string, string] {
  const qualified = escapeIdentifier(schema);
  return [`${qualified}.pgstattuple_approx(regclass)`, `${qualified}.pgstatindex(regclass)`];
}

/** Confirms tables with pgstattuple_approx (visibility-map aware, cheap); $1 = oids. Locked ones are left out. */
export function exactTablesSql(schema: string): string {
  return `
WITH free AS MATERIALIZED (SELECT r.oid FROM unnest($1::oid[]) AS r(oid) WHERE ${notExclusivelyLocked('r.oid')})
SELECT f.oid::int8 AS oid, p.table_len::float8 AS table_len, p.scanned_percent, p.approx_free_space::float8 AS free_bytes,
       p.approx_free_percent AS free_percent, p.dead_tuple_len::float8 AS dead_bytes, p.dead_tuple_percent AS dead_percent
FROM free f CROSS JOIN LATERAL ${escapeIdentifier(schema)}.pgstattuple_approx(f.oid::regclass) p`;
}

/** Confirms btree indexes with pgstatindex (reads the whole index); $1 = oids. Locked ones are left out. */
export function exactIndexesSql(schema: string): string {
  return `
WITH free AS MATERIALIZED (
  SELECT r.oid FROM unnest($1::oid[]) AS r(oid)
  JOIN pg_catalog.pg_index x ON x.indexrelid = r.oid
  WHERE ${notExclusivelyLocked('r.oid')} AND ${notExclusivelyLocked('x.indrelid')})
SELECT f.oid::int8 AS oid, p.index_size::float8 AS index_size, p.internal_pages::float8 AS internal_pages, p.leaf_pages::float8 AS leaf_pages,
       p.empty_pages::float8 AS empty_pages, p.deleted_pages::float8 AS deleted_pages, p.avg_leaf_density AS leaf_density
FROM free f CROSS JOIN LATERAL ${escapeIdentifier(schema)}.pgstatindex(f.oid::regclass) p`;
}
