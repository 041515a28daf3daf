import type pg from 'pg';
import { createPool } from '../db/pools.js';
import { PGMEDIC_APPLICATION_NAME } from '../db/sql.js';

/** The state database pool; its application_name keeps it out of our own pg_stat_activity reports. */
export function createStatePool(url: string, max = 5): pg.Pool {
  return createPool({ url, max, connectTimeoutMs: 5_000, applicationName: `${PGMEDIC_APPLICATION_NAME}-state` });
}
