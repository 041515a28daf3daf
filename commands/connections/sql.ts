import { excludeOwnBackends, secondsSince } from '../../src/db/sql.js';
import { noSignalReasonSql } from '../../src/db/signal-rule.js';

/** The connections command's statements: pg_stat_activity, client backends only, pgmedic's own left out. */
const CLIENT_SESSIONS = `pg_catalog.pg_stat_activity a WHERE a.backend_type = 'client backend' AND ${excludeOwnBackends('a')}`;
const IDLE_IN_TRANSACTION = `a.state LIKE 'idle in transaction%'`;
const RUNNING = `a.state IN ('active', 'fastpath function call')`;
const WAITING = `a.wait_event_type IN ('Lock', 'BufferPin')`;

// $1: idle floor in seconds, $2: runtime floor in seconds. pgmedic's own backends count as used slots
// (they are) but never as idle, long or waiting.
const summarySql = (reserved: string) => `
SELECT current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved,
       ${reserved} AS reserved,
       count(*) FILTER (WHERE a.backend_type = 'client backend') AS client_connections,
       count(*) FILTER (WHERE a.backend_type = 'client backend' AND NOT (${excludeOwnBackends('a')})) AS own_connections,
       max(${secondsSince('a.state_change')}) FILTER (WHERE c.counted AND ${IDLE_IN_TRANSACTION})::float8 AS oldest_idle_seconds,
       max(${secondsSince('a.query_start')}) FILTER (WHERE c.counted AND ${RUNNING})::float8 AS longest_query_seconds,
       count(*) FILTER (WHERE c.counted AND ${IDLE_IN_TRANSACTION} AND ${secondsSince('a.state_change')} >= $1::float8) AS idle_count,
       count(*) FILTER (WHERE c.counted AND ${RUNNING} AND ${secondsSince('a.query_start')} >= $2::float8) AS long_count,
       count(*) FILTER (WHERE c.counted AND ${WAITING}) AS waiting_count
FROM pg_catalog.pg_stat_activity a
CROSS JOIN LATERAL (SELECT a.backend_type = 'client backend' AND ${excludeOwnBackends('a')} AS counted) c`;

export const SUMMARY_SQL = {
  140000: summarySql('0'),
  160000: summarySql(`current_setting('reserved_connections')::int`),
};

export const BREAKDOWN_SQL = `
SELECT CASE WHEN grouping(a.state) = 0 THEN 'state' WHEN grouping(a.usename) = 0 THEN 'user'
            WHEN grouping(a.application_name) = 0 THEN 'application' ELSE 'client' END AS dimension,
       CASE WHEN grouping(a.state) = 0 THEN coalesce(a.state, 'not visible')
            WHEN grouping(a.usename) = 0 THEN coalesce(a.usename::text, 'not visible')
            WHEN grouping(a.application_name) = 0 THEN coalesce(nullif(a.application_name, ''), '(none)')
            ELSE a.client END AS key,
       count(*) AS count
FROM (SELECT a.state, a.usename, a.application_name,
             CASE WHEN a.client_addr IS NOT NULL THEN host(a.client_addr) WHEN a.client_port = -1 THEN 'local socket' ELSE 'not visible' END AS client
      FROM ${CLIENT_SESSIONS}) a
GROUP BY GROUPING SETS ((a.state), (a.usename), (a.application_name), (a.client))
ORDER BY 1, 3 DESC, 2`;

export const OTHER_BACKENDS_SQL = `
SELECT coalesce(a.backend_type, 'unknown') AS key, count(*) AS count
FROM pg_catalog.pg_stat_activity a
WHERE a.backend_type IS DISTINCT FROM 'client backend' AND ${excludeOwnBackends('a')}
GROUP BY 1
ORDER BY 2 DESC, 1`;

const SESSION_COLUMNS = `a.pid, a.usename, a.datname, a.application_name, host(a.client_addr) AS client_addr, a.state,
       coalesce(a.backend_start::text, '') AS backend_start,
       ${secondsSince('a.state_change')} AS state_seconds,
       ${secondsSince('a.xact_start')} AS xact_seconds,
       ${secondsSince('a.query_start')} AS query_seconds,
       a.wait_event_type, a.wait_event, left(a.query, 2000) AS query, ${noSignalReasonSql('a')} AS no_signal`;

// $1: floor in seconds, $2: rows.
export const IDLE_IN_TRANSACTION_SQL = `
SELECT ${SESSION_COLUMNS}, NULL::float8 AS lock_wait_seconds
FROM ${CLIENT_SESSIONS} AND ${IDLE_IN_TRANSACTION} AND ${secondsSince('a.state_change')} >= $1::float8
ORDER BY state_seconds DESC, a.pid
LIMIT $2`;

export const LONG_RUNNING_SQL = `
SELECT ${SESSION_COLUMNS}, NULL::float8 AS lock_wait_seconds
FROM ${CLIENT_SESSIONS} AND ${RUNNING} AND ${secondsSince('a.query_start')} >= $1::float8
ORDER BY query_seconds DESC, a.pid
LIMIT $2`;

// One pass over pg_locks for all waiters. $1: rows.
export const WAITING_SQL = `
WITH lock_waits AS (
  SELECT l.pid, ${secondsSince('min(l.waitstart)')} AS lock_wait_seconds
  FROM pg_catalog.pg_locks l
  WHERE NOT l.granted
  GROUP BY l.pid
)
SELECT ${SESSION_COLUMNS}, w.lock_wait_seconds
FROM pg_catalog.pg_stat_activity a
LEFT JOIN lock_waits w ON w.pid = a.pid
WHERE a.backend_type = 'client backend' AND ${excludeOwnBackends('a')} AND ${WAITING}
ORDER BY coalesce(w.lock_wait_seconds, ${secondsSince('a.query_start')}) DESC NULLS LAST, a.pid
LIMIT $1`;

export interface SummaryRow {
  max_connections: number;
  superuser_reserved: number;
  reserved: number;
  client_connections: number;
  own_connections: number;
  oldest_idle_seconds: number | null;
  longest_query_seconds: number | null;
  idle_count: number;
  long_count: number;
  waiting_count: number;
}

export interface SessionRow {
  pid: number;
  usename: string | null;
  datname: string | null;
  application_name: string | null;
  client_addr: string | null;
  state: string | null;
  backend_start: string;
  state_seconds: number | null;
  xact_seconds: number | null;
  query_seconds: number | null;
  wait_event_type: string | null;
  wait_event: string | null;
  query: string | null;
  lock_wait_seconds: number | null;
  no_signal: string | null;
}
