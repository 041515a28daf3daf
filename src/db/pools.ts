import pg from 'pg';
import type { TargetConfig } from '../config/schema.js';
import { PGMEDIC_APPLICATION_NAME } from './sql.js';

/** Numbers come back as numbers: int8 and numeric are parsed (our values stay far below 2^53). */
const numberTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export interface PoolOptions {
  url: string;
  max: number;
  connectTimeoutMs: number;
  applicationName?: string;
  database?: string;
  /** Server-side statement_timeout for every statement of the pool (unset: the role's default). */
  statementTimeoutMs?: number;
  /** Client-side deadline per query (pg's query_timeout): also fails when the server never answers. */
  queryTimeoutMs?: number;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: urlForDatabase(options.url, options.database),
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? PGMEDIC_APPLICATION_NAME,
    keepAlive: true,
    types: numberTypes,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
  });
  // An idle client dying (server restart, network blip) must not crash the bot; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** pg lets the connection string override a separate `database` setting, so another database goes into the URL. */
function urlForDatabase(url: string, database: string | undefined): string {
  if (!database) return url;
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export function createTargetPool(target: TargetConfig): pg.Pool {
  return createPool({ url: target.url, max: target.poolSize, connectTimeoutMs: target.connectTimeoutMs });
}
