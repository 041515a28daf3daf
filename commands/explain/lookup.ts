import { escapeIdentifier } from '../../src/db/driver.js';
import type { Session } from '../../src/db/session.js';
import type { TableFacts } from './plan.js';

export { asQueryId } from '../../src/engine/units.js';
export { entrySql, findEntry, type StatementEntry } from '../../src/db/statement-entry.js';

/** The costliest statements of this database (pgmedic's own left out), for `explain` with nothing typed. */
export function topSql(schema: string, totalColumn: string): string {
  return `
SELECT s.queryid::text AS query_id, s.query
FROM ${escapeIdentifier(schema)}.pg_stat_statements s
WHERE s.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND s.query NOT LIKE '%/* pgmedic:%' AND s.query <> '<insufficient privilege>'
ORDER BY s.${totalColumn} DESC, s.queryid
LIMIT 20`;
}

/** Figures from pg_class only (no size function, so no lock to wait behind): pages × block size, reltuples. */
export const TABLES_SQL = `
SELECT n.nspname || '.' || c.relname AS relation, c.relpages::float8 * current_setting('block_size')::float8 AS bytes, c.reltuples::float8 AS rows
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname || '.' || c.relname = ANY($1::text[])`;

export const MEMORY_SQL = `
SELECT pg_catalog.current_setting('work_mem') AS work_mem_text,
       (SELECT setting::float8 * 1024 FROM pg_catalog.pg_settings WHERE name = 'work_mem') AS work_mem_bytes,
       (SELECT setting::float8 FROM pg_catalog.pg_settings WHERE name = 'hash_mem_multiplier') AS hash_mem_multiplier`;

export async function tableFacts(session: Session, relations: string[]): Promise<TableFacts[]> {
  return relations.length ? session.query<TableFacts>(TABLES_SQL, [relations]) : [];
}
