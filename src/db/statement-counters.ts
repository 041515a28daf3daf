import type { Capabilities } from './capabilities.js';
import { escapeIdentifier } from './driver.js';
import type { Session } from './session.js';

/** pg_stat_statements as the query history reads it: one entry per queryid, user, database and nesting level. */

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
  /** Everything not among `entries` (beyond the top N, or without a queryid), summed: the "all others" bucket. */
  others: OthersBucket;
  /** pg_stat_statements_info (1.9+): when everything was last reset, and entries evicted since. */
  statsReset: string | null;
  dealloc: number | null;
}

/**
 * The bucket, and its part that is nested statements (toplevel false: pg_stat_statements.track = all), which a
 * window's total leaves out as its top-level statement already counts their time. `nested` is missing from
 * snapshots stored before it was read.
 */
export type OthersBucket = Counters & { entries: number; nested?: Counters & { entries: number } };

export type StatementsUnavailable = { unavailable: 'not-installed' | 'not-preloaded' };

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
SELECT 'entry' AS part, 1::float8 AS entries, query_id, user_id, db_id, toplevel, stats_since, calls, total_ms, rows,
       shared_hit, shared_read, shared_dirtied, shared_written, local_hit, local_read, local_dirtied, local_written,
       temp_read, temp_written
FROM ranked WHERE rank <= $1 AND query_id IS NOT NULL
UNION ALL
SELECT 'others', count(*)::float8, NULL, NULL, NULL, NULL, NULL, ${sums}
FROM ranked WHERE rank > $1 OR query_id IS NULL
UNION ALL
SELECT 'nested', count(*)::float8, NULL, NULL, NULL, NULL, NULL, ${sums}
FROM ranked WHERE (rank > $1 OR query_id IS NULL) AND toplevel IS FALSE`;
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
  const bucket = (part: string) => {
    const row = rows.find((r) => r.part === part) ?? {};
    return { entries: Number(row.entries ?? 0), ...countersOf(row) };
  };
  return {
    extensionVersion: version,
    entries: rows
      .filter((r) => r.part === 'entry')
      .map((r) => ({
        queryId: String(r.query_id),
        userId: String(r.user_id),
        dbId: String(r.db_id),
        toplevel: r.toplevel as boolean | null,
        statsSince: r.stats_since as string | null,
        ...countersOf(r),
      })),
    others: { ...bucket('others'), nested: bucket('nested') },
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
