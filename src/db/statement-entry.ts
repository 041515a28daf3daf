import type { Capabilities } from './capabilities.js';
import { escapeIdentifier } from './driver.js';
import type { Session } from './session.js';

/** A pg_stat_statements entry by queryid: what `explain` plans and `explain-analyze` runs. */
export interface StatementEntry {
  /** Without pg_read_all_stats, other roles' entries have neither text nor queryid, so they are never found. */
  query: string;
  database: string;
  user: string;
}

/**
 * This database's entry first, then a top-level one, then this role's, then the most called (one queryid per user,
 * database and nesting level). pgmedic's own EXPLAIN leaves a nested entry with the planned statement's queryid
 * and the EXPLAIN's text (pg_stat_statements.track = all): tagged, so left out.
 */
export function entrySql(schema: string, hasToplevel: boolean): string {
  return `
SELECT s.query, d.datname AS database, r.rolname AS "user"
FROM ${escapeIdentifier(schema)}.pg_stat_statements s
JOIN pg_catalog.pg_database d ON d.oid = s.dbid
LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.userid
WHERE s.queryid = $1::bigint AND s.query NOT LIKE '%/* pgmedic:%'
ORDER BY d.datname = current_database() DESC, ${hasToplevel ? 's.toplevel DESC, ' : ''}r.rolname = current_user DESC, s.calls DESC
LIMIT 1`;
}

export async function findEntry(
  session: Session,
  caps: Capabilities,
  queryId: string,
): Promise<StatementEntry | undefined> {
  const schema = caps.extensionSchemas.pg_stat_statements!;
  const [row] = await session.query<StatementEntry>(entrySql(schema, caps.pgssColumns!.includes('toplevel')), [
    queryId,
  ]);
  return row;
}
