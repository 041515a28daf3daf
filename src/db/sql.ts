import { randomBytes } from 'node:crypto';

/**
 * SQL for a command: one string, or strings keyed by the minimum server_version_num they need
 * (the closest lower key wins), as pgwatch keys its metrics.
 */
export type Sql = string | Readonly<Record<number, string>>;

export function pickSql(sql: Sql, serverVersionNum: number): string {
  if (typeof sql === 'string') return sql;
  const eligible = Object.keys(sql)
    .map(Number)
    .filter((min) => min <= serverVersionNum)
    .sort((a, b) => b - a);
  const chosen = eligible[0];
  if (chosen === undefined) {
    throw new Error(
      `no SQL variant for server_version_num ${serverVersionNum} (variants start at ${Object.keys(sql).join(', ')})`,
    );
  }
  return sql[chosen]!;
}

/**
 * Every statement pgmedic sends starts with this tag, so DBAs can find (and we can exclude) our own queries.
 * It is repeated at the end because PostgreSQL 18's pg_stat_statements drops a leading comment from the text
 * it records; the newline keeps the closing tag out of a trailing `--` comment.
 */
export function tagSql(command: string, text: string): string {
  const tag = `/* pgmedic:${command} */`;
  return `${tag} ${text}\n${tag}`;
}

/**
 * application_name of every pgmedic connection: "pgmedic-" and a random per-process part. Our reports leave
 * out backends with exactly this prefix, so a client that merely calls itself "pgmedic-x" is still listed
 * (and can be acted on); the state pool and the action connection add "-state" / "-action" to it.
 */
export const PGMEDIC_APPLICATION_NAME = `pgmedic-${randomBytes(8).toString('hex')}`;

/**
 * SQL predicate over a pg_stat_activity alias that leaves out this process's own backends.
 * Use it in every query that reads pg_stat_activity: `WHERE ${excludeOwnBackends('a')}`.
 * The name is our own hex, so it is safe as a literal (and has no LIKE wildcards).
 */
export function excludeOwnBackends(alias: string): string {
  return `${alias}.pid <> pg_backend_pid() AND coalesce(${alias}.application_name, '') NOT LIKE '${PGMEDIC_APPLICATION_NAME}%'`;
}

/**
 * SQL predicate: nobody holds or awaits AccessExclusiveLock on the relation with this oid expression.
 * Size functions take AccessShareLock and would wait behind a migration; skip such relations instead.
 * A request still waiting counts too: new lock requests queue behind it (the ALTER TABLE stuck behind
 * a long query, with everything else piling up behind the ALTER).
 */
export function notExclusivelyLocked(oidExpression: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks lk WHERE lk.locktype = 'relation' AND lk.relation = ${oidExpression} AND lk.mode = 'AccessExclusiveLock')`;
}

/** The relations skipped by notExclusivelyLocked, for the report's "skipped" note. */
export const EXCLUSIVELY_LOCKED_RELATIONS_SQL = `
SELECT DISTINCT n.nspname AS schema, c.relname AS name
FROM pg_catalog.pg_locks lk
JOIN pg_catalog.pg_class c ON c.oid = lk.relation
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE lk.locktype = 'relation' AND lk.mode = 'AccessExclusiveLock'
  AND lk.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
ORDER BY 1, 2`;

/**
 * Seconds from a timestamp expression to now, as float8, never negative. One clock for every comparison:
 * clock_timestamp() (now() is the statement's start, older than what other backends stamped since), and
 * clamped at zero because backends stamp their times a moment before they publish them. NULL stays NULL
 * (greatest() alone would turn it into 0: it ignores NULL arguments).
 */
export function secondsSince(timestampExpression: string): string {
  return `(CASE WHEN (${timestampExpression}) IS NOT NULL THEN greatest(0, extract(epoch FROM clock_timestamp() - (${timestampExpression}))) END)::float8`;
}
