import { notExclusivelyLocked, secondsSince } from '../../src/db/sql.js';

/*
 * Cost on large catalogs (10,000 tables, 30,000 indexes): every filter that needs only pg_class, pg_index
 * or the statistics counters runs first; index definitions and sizes are computed for the survivors only,
 * and the duplicate search pairs indexes within one table (a hash join on indrelid), never all with all.
 */

const USER_SCHEMAS = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_(catalog$|toast|temp_|toast_temp_)'`;
const BLOCK_SIZE = `current_setting('block_size')::float8`;

/** Exact size, unless a migration holds AccessExclusiveLock on it: then the catalog's page count (no lock needed). */
const sizeOf = (oid: string, relpages: string) =>
  `(CASE WHEN ${notExclusivelyLocked(oid)} THEN pg_catalog.pg_relation_size(${oid})::float8 ELSE ${relpages}::float8 * ${BLOCK_SIZE} END)`;

/**
 * pg_get_indexdef and pg_get_expr open the table to read its column names, so they would wait behind a
 * migration's ACCESS EXCLUSIVE lock: call them only when neither the table nor the index is held that way.
 */
const unlocked = (tableOid: string, indexOid: string) =>
  `${notExclusivelyLocked(tableOid)} AND ${notExclusivelyLocked(indexOid)}`;
const definitionOf = (tableOid: string, indexOid: string) =>
  `CASE WHEN ${unlocked(tableOid, indexOid)} THEN pg_catalog.pg_get_indexdef(${indexOid}) END`;

/**
 * Indexes that back a constraint (primary key, unique, exclusion, the target of a foreign key) or belong to a
 * partitioned index cannot be dropped on their own.
 */
// Uncorrelated IN so PostgreSQL hashes the lists once (pg_constraint has no index on conindid); constraints
// without an index (NOT NULL ones are rows of pg_constraint from 18) are left out of the hash.
const cannotDropAlone = (oid: string) =>
  `(${oid} IN (SELECT k.conindid FROM pg_catalog.pg_constraint k WHERE k.conindid <> 0) OR ${oid} IN (SELECT h.inhrelid FROM pg_catalog.pg_inherits h))`;

/**
 * $1 size floor in bytes, $2 row limit, $3 parts and $4 part: the indexes whose oid % $3 = $4 (commands/indexes/
 * unused.ts merges the parts). Never-scanned indexes that enforce nothing.
 */
export const UNUSED_SQL = `
WITH sized AS (
  -- catalog-only filters first; OFFSET 0 keeps the statistics lookups below for the survivors
  SELECT c.oid AS indexrelid, i.indrelid, n.nspname AS schema, c.relname AS index, c.relpages
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'i' AND c.relpages::float8 * ${BLOCK_SIZE} >= $1 AND ${USER_SCHEMAS} AND i.indisvalid
    AND NOT (i.indisunique OR i.indisprimary OR i.indisexclusion OR i.indisreplident) AND c.oid::int8 % $3 = $4
  OFFSET 0
), measured AS MATERIALIZED (
  -- each size once (pg_relation_size opens the index: the cost of this statement); table names for shown rows only
  SELECT s.indexrelid, s.indrelid, s.schema, s.index, ${sizeOf('s.indexrelid', 's.relpages')} AS size_bytes
  FROM sized s
  WHERE pg_catalog.pg_stat_get_numscans(s.indexrelid) = 0 AND NOT ${cannotDropAlone('s.indexrelid')}
), totals AS MATERIALIZED (
  SELECT count(*)::int AS total_count, sum(m.size_bytes)::float8 AS total_bytes FROM measured m WHERE m.size_bytes >= $1
), shown AS (
  SELECT m.* FROM measured m WHERE m.size_bytes >= $1
  ORDER BY m.size_bytes DESC, m.schema, m.index
  LIMIT $2
)
-- definitions only for the rows shown: pg_get_indexdef costs ~25 microseconds an index
-- the names' bytes in the server's encoding: the parts are merged in the order of name's C collation (byte order)
SELECT s.indexrelid::int8::text AS oid, s.schema, t.relname AS "table", s.index, s.size_bytes, tt.total_count, tt.total_bytes,
       pg_catalog.convert_to(s.schema::text, pg_catalog.getdatabaseencoding()) AS schema_bytes,
       pg_catalog.convert_to(s.index::text, pg_catalog.getdatabaseencoding()) AS index_bytes,
       ${definitionOf('s.indrelid', 's.indexrelid')} AS definition
FROM shown s
CROSS JOIN totals tt
JOIN pg_catalog.pg_class t ON t.oid = s.indrelid
ORDER BY s.size_bytes DESC, s.schema, s.index`;

/**
 * `a` is covered by `b` (same table and method, same expressions and predicate, a's key columns with their
 * operator classes, collations and sort options are the leading key columns of b). Exceptions: a unique
 * index is covered only by a unique index on exactly its keys; an index with INCLUDE columns only by an
 * exact duplicate; prefixes count for btree only. Of two exact duplicates, the older one is kept.
 */
// Indexes of tables held in ACCESS EXCLUSIVE mode are left out: comparing them needs pg_get_expr.
const duplicatesSql = (withNullsNotDistinct: boolean) => `
WITH keyed AS MATERIALIZED (
  SELECT i.indexrelid, i.indrelid, c.relam, i.indkey[0] AS first_column
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  -- a covering index starts with the same column of the same table: one pass over pg_index finds the few indexes
  -- that share theirs with another, before any join (on most catalogs, none do)
  WHERE (i.indrelid, i.indkey[0]) IN (
      SELECT x.indrelid, x.indkey[0] FROM pg_catalog.pg_index x WHERE x.indisvalid AND x.indisready AND x.indislive
      GROUP BY 1, 2 HAVING count(*) > 1)
    AND i.indisvalid AND i.indisready AND i.indislive AND ${USER_SCHEMAS} AND ${unlocked('i.indrelid', 'i.indexrelid')}
), candidate_pairs AS (
  -- a covering index starts with the same column: pairing on it keeps the detailed comparison to few pairs
  SELECT a.indexrelid AS a_oid, b.indexrelid AS b_oid
  FROM keyed a JOIN keyed b ON b.indrelid = a.indrelid AND b.relam = a.relam AND b.first_column = a.first_column AND b.indexrelid <> a.indexrelid
), idx AS MATERIALIZED (
  SELECT i.indexrelid, i.indrelid, c.relam, c.relpages, n.nspname AS schema, c.relname AS index,
         i.indisunique, i.indnkeyatts, i.indnatts,
         ${withNullsNotDistinct ? 'i.indnullsnotdistinct' : 'false'} AS nulls_not_distinct,
         i.indisprimary OR i.indisexclusion OR i.indisreplident OR ${cannotDropAlone('i.indexrelid')} AS protected,
         string_to_array(i.indkey::text, ' ')::int2[] AS cols,
         string_to_array(i.indclass::text, ' ')::oid[] AS opclasses,
         string_to_array(i.indcollation::text, ' ')::oid[] AS collations,
         string_to_array(i.indoption::text, ' ')::int2[] AS options,
         pg_catalog.pg_get_expr(i.indexprs, i.indrelid) AS exprs,
         pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS pred
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE i.indexrelid IN (SELECT a_oid FROM candidate_pairs UNION SELECT b_oid FROM candidate_pairs)
), pairs AS (
  SELECT a.*, b.index AS covered_by, b.indexrelid AS cover_oid, b.indisunique AS cover_unique, b.protected AS cover_protected,
         b.indnkeyatts AS cover_keys, b.indnatts > b.indnkeyatts AS cover_includes,
         (a.indnkeyatts = b.indnkeyatts AND a.indnatts = b.indnatts AND a.cols = b.cols AND a.indisunique = b.indisunique) AS exact
  FROM candidate_pairs cp
  JOIN idx a ON a.indexrelid = cp.a_oid
  JOIN idx b ON b.indexrelid = cp.b_oid
  WHERE NOT a.protected
    AND a.exprs IS NOT DISTINCT FROM b.exprs AND a.pred IS NOT DISTINCT FROM b.pred
    AND a.indnkeyatts <= b.indnkeyatts
    AND a.cols[1:a.indnkeyatts] = b.cols[1:a.indnkeyatts]
    AND a.opclasses[1:a.indnkeyatts] = b.opclasses[1:a.indnkeyatts]
    AND a.collations[1:a.indnkeyatts] = b.collations[1:a.indnkeyatts]
    AND a.options[1:a.indnkeyatts] = b.options[1:a.indnkeyatts]
    AND (NOT a.indisunique OR (b.indisunique AND b.indnkeyatts = a.indnkeyatts AND b.nulls_not_distinct = a.nulls_not_distinct))
)
SELECT DISTINCT ON (p.indexrelid) p.indexrelid::int8::text AS oid,
       p.schema, t.relname AS "table", p.index, p.covered_by, p.exact, p.cover_unique, p.cover_includes,
       p.indnkeyatts AS keys, p.cover_keys,
       ${sizeOf('p.indexrelid', 'p.relpages')} AS size_bytes,
       pg_catalog.pg_get_indexdef(p.indexrelid) AS definition,
       pg_catalog.pg_get_indexdef(p.cover_oid) AS covered_by_definition
FROM pairs p
JOIN pg_catalog.pg_class t ON t.oid = p.indrelid
JOIN pg_catalog.pg_am am ON am.oid = p.relam
WHERE (p.exact OR (am.amname = 'btree' AND p.indnatts = p.indnkeyatts))
  -- two indexes that cover each other: flag only the newer one (one that cannot be dropped alone is never flagged)
  AND NOT (p.indnkeyatts = p.cover_keys AND p.indisunique = p.cover_unique
           AND (p.exact OR (p.indnatts = p.indnkeyatts AND NOT p.cover_includes))
           AND NOT p.cover_protected AND p.indexrelid < p.cover_oid)
ORDER BY p.indexrelid, p.cover_keys DESC, p.cover_oid`;

export const DUPLICATES_SQL = { 140000: duplicatesSql(false), 150000: duplicatesSql(true) };

/** Invalid indexes (a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY), marking those being built right now. */
export const INVALID_SQL = `
SELECT c.oid::int8::text AS oid, n.nspname AS schema, t.relname AS "table", c.relname AS index,
       ${sizeOf('c.oid', 'c.relpages')} AS size_bytes,
       ${definitionOf('i.indrelid', 'c.oid')} AS definition,
       EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p
               WHERE p.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                 AND (p.index_relid = i.indexrelid
                      -- REINDEX CONCURRENTLY reports the old index; its invalid twins are named <index>_ccnew / _ccold
                      OR (p.command = 'REINDEX CONCURRENTLY' AND p.relid = i.indrelid AND c.relname ~ '_cc(new|old)[0-9]*$'))) AS being_built
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid AND ${USER_SCHEMAS}
ORDER BY 1, 3`;

/** Minimum live rows for a table's sequential scans to matter. */
export const MISSING_MIN_ROWS = 10_000;
/** Minimum average rows read per sequential scan (leaves out LIMIT-style probes that stop early). */
export const MISSING_MIN_ROWS_PER_SCAN = 1_000;
/** Minimum rows read by sequential scans in all (index builds count as scans too: a few do not make a suspect). */
export const MISSING_MIN_ROWS_READ = 1_000_000;
/**
 * Minimum sequential scans since the statistics reset. A bulk load makes a handful by itself (`pgbench -i`:
 * its VACUUM and primary-key builds, two scans of 2 M rows on pgbench_accounts); a query pattern that lacks
 * an index makes dozens an hour.
 */
export const MISSING_MIN_SEQ_SCANS = 50;

/**
 * $1 row limit. Large tables read mostly by sequential scans: suspects for a missing index. The counters are
 * pg_stat_user_tables' own (seq_scan, seq_tup_read, n_live_tup, idx_scan as the sum over the table's indexes),
 * read after its catalog filters: through the view, the plan read them for every TOAST table and catalog as well.
 */
export const MISSING_SQL = `
WITH tables AS (
  SELECT c.oid AS relid, n.nspname AS schema, c.relname AS "table", c.relpages
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 't', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
  OFFSET 0
), counted AS (
  SELECT t.*, pg_catalog.pg_stat_get_numscans(t.relid) AS seq_scan, pg_catalog.pg_stat_get_tuples_returned(t.relid) AS seq_tup_read,
         pg_catalog.pg_stat_get_live_tuples(t.relid) AS live_rows
  FROM tables t
  OFFSET 0
), candidates AS (
  SELECT c.*, coalesce((SELECT sum(pg_catalog.pg_stat_get_numscans(i.indexrelid)) FROM pg_catalog.pg_index i WHERE i.indrelid = c.relid), 0)::bigint AS idx_scan
  FROM counted c
  WHERE c.live_rows >= ${MISSING_MIN_ROWS} AND c.seq_scan >= ${MISSING_MIN_SEQ_SCANS}
    AND c.seq_tup_read >= ${MISSING_MIN_ROWS_PER_SCAN}::float8 * c.seq_scan AND c.seq_tup_read >= ${MISSING_MIN_ROWS_READ}
)
SELECT cd.schema, cd."table", cd.seq_scan::float8 AS seq_scan, cd.seq_tup_read::float8 AS seq_tup_read,
       cd.idx_scan::float8 AS idx_scan, cd.live_rows::float8 AS live_rows,
       ${sizeOf('cd.relid', 'cd.relpages')} AS size_bytes, count(*) OVER ()::int AS total_count
FROM candidates cd
WHERE cd.seq_scan > cd.idx_scan
ORDER BY cd.seq_tup_read DESC, cd.schema, cd."table"
LIMIT $1`;

export const STATS_RESET_SQL = `
SELECT stats_reset::text AS stats_reset, ${secondsSince('stats_reset')} AS stats_reset_seconds
FROM pg_catalog.pg_stat_database WHERE datname = current_database()`;
