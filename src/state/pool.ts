import type pg from 'pg';
import { createPool } from '../db/pools.js';
import { PGMEDIC_APPLICATION_NAME, tagSql } from '../db/sql.js';

/**
 * The state database pool. Its application_name keeps it out of our own pg_stat_activity reports, and
 * every statement is tagged like the diagnostics' (`/* pgmedic:state *\/`), so `slow-queries` leaves the
 * bot's bookkeeping out when the state database shares a server with a target.
 */
export function createStatePool(url: string, max = 5): pg.Pool {
  const pool = createPool({ url, max, connectTimeoutMs: 5_000, applicationName: `${PGMEDIC_APPLICATION_NAME}-state` });
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
