import type pg from 'pg';
import { createPool } from '../db/pools.js';
import { PGMEDIC_APPLICATION_NAME, tagSql } from '../db/sql.js';

/**
 * Every state statement is small (one row, an indexed read); a state database that takes longer than this
 * is in trouble, and the bot must keep answering Slack rather than queue behind it.
 */
export const STATE_STATEMENT_TIMEOUT_MS = 5_000;
/** Client-side deadline past the server's: a black-holed connection (no answer at all) fails too. */
export const STATE_QUERY_TIMEOUT_MS = STATE_STATEMENT_TIMEOUT_MS + 2_000;

/**
 * The state database pool. Its application_name keeps it out of our own pg_stat_activity reports, and
 * every statement is tagged like the diagnostics' (`/* pgmedic:state *\/`), so `slow-queries` leaves the
 * bot's bookkeeping out when the state database shares a server with a target.
 * `timeouts: false` is for migrations only: they queue on an advisory lock while another copy migrates.
 */
export function createStatePool(url: string, max = 5, options: { timeouts?: boolean } = {}): pg.Pool {
  const timeouts = options.timeouts ?? true;
  const pool = createPool({
    url,
    max,
    connectTimeoutMs: 5_000,
    applicationName: `${PGMEDIC_APPLICATION_NAME}-state`,
    label: 'state database',
    ...(timeouts ? { statementTimeoutMs: STATE_STATEMENT_TIMEOUT_MS, queryTimeoutMs: STATE_QUERY_TIMEOUT_MS } : {}),
  });
  pool.on('connect', tagEveryStatement);
  return pool;
}

function tagEveryStatement(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const tagged = (first: unknown, ...rest: unknown[]) => {
    if (typeof first === 'string') return query(tagSql('state', first), ...rest);
    if (first && typeof first === 'object' && typeof (first as { text?: unknown }).text === 'string') {
      const config = first as { text: string };
      return query({ ...config, text: tagSql('state', config.text) }, ...rest);
    }
    return query(first, ...rest);
  };
  client.query = tagged as typeof client.query;
}
