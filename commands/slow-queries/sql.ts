import { escapeIdentifier } from '../../src/db/driver.js';
import type { StatementColumns } from '../shared/statement-columns.js';

/** The statements query for one extension schema and column set; options arrive as $1 (min mean), $2 (sort), $3 (limit). */
export function statementsSql(schema: string, columns: StatementColumns): string {
  const view = `${escapeIdentifier(schema)}.pg_stat_statements`;
  return `
WITH statements AS (
  SELECT s.queryid::text AS query_id, left(s.query, 1000) AS query, d.datname AS database, r.rolname AS "user",
         ${columns.toplevel ? 's.toplevel' : 'NULL::boolean'} AS toplevel,
         s.calls::float8 AS calls, s.${columns.total}::float8 AS total_ms, s.${columns.mean}::float8 AS mean_ms,
         s.rows::float8 AS rows, s.shared_blks_hit::float8 AS shared_hit, s.shared_blks_read::float8 AS shared_read,
         s.temp_blks_read::float8 AS temp_read, s.temp_blks_written::float8 AS temp_written,
         ${columns.ioRead ? `s.${columns.ioRead}::float8` : 'NULL::float8'} AS io_read_ms
  FROM ${view} s
  LEFT JOIN pg_catalog.pg_database d ON d.oid = s.dbid
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.userid
  -- pgmedic's own statements are tagged (PostgreSQL 18 drops a LEADING comment from the recorded text, so match
  -- anywhere), the state database's bookkeeping included; the bare transaction statements are what versions
  -- before connection-level settings sent, left out only when this role ran them.
  WHERE s.query NOT LIKE '%/* pgmedic:%'
    AND NOT (s.query IN ('BEGIN READ ONLY', 'COMMIT', 'ROLLBACK') AND s.userid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user))
), totals AS (
  -- nested statements (toplevel = false) are already inside their caller's time
  SELECT coalesce(sum(total_ms) FILTER (WHERE toplevel IS NOT FALSE), 0)::float8 AS all_ms, count(*)::float8 AS tracked
  FROM statements
)
SELECT st.*, 100 * st.total_ms / nullif(t.all_ms, 0) AS percent_of_total, t.all_ms, t.tracked
FROM statements st CROSS JOIN totals t
WHERE st.mean_ms >= $1
ORDER BY CASE $2::text WHEN 'mean' THEN st.mean_ms WHEN 'calls' THEN st.calls ELSE st.total_ms END DESC, st.query_id
LIMIT $3`;
}

export function deallocSql(schema: string): string {
  return `SELECT dealloc::float8 AS dealloc FROM ${escapeIdentifier(schema)}.pg_stat_statements_info`;
}

export interface StatementRow {
  query_id: string | null;
  query: string | null;
  database: string | null;
  user: string | null;
  toplevel: boolean | null;
  calls: number;
  total_ms: number;
  mean_ms: number;
  rows: number;
  shared_hit: number;
  shared_read: number;
  temp_read: number;
  temp_written: number;
  io_read_ms: number | null;
  percent_of_total: number | null;
  all_ms: number;
  tracked: number;
}
