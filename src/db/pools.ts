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

/** Where a connection's own error goes (an idle client dying: server restart, failover, network blip). */
export type ConnectionErrorLog = (error: Error, where: { connection: string }) => void;

let connectionErrorLog: ConnectionErrorLog = () => undefined;

/**
 * The bot hands its logger over once at start, for every pool and action connection. The CLI keeps the default:
 * its run is short, and the query that meets a dead connection fails with its own message.
 */
export function logConnectionErrorsTo(log: ConnectionErrorLog): void {
  connectionErrorLog = log;
}

/** pg emits 'error' on a connection that fails while idle; without a listener Node would crash the process. */
export function reportConnectionErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  connection: string,
): void {
  emitter.on('error', (error) => connectionErrorLog(error, { connection }));
}

export interface PoolOptions {
  url: string;
  max: number;
  connectTimeoutMs: number;
  applicationName?: string;
  database?: string;
  /**
   * Server settings given at connection start (`-c name=value` startup options), so no statement is
   * spent on them and none shows up in pg_stat_statements. Diagnostics pools use readOnlySettings().
   */
  settings?: Readonly<Record<string, string>>;
  /** Server-side statement_timeout for every statement of the pool (unset: the role's default). */
  statementTimeoutMs?: number;
  /** Client-side deadline per query (pg's query_timeout): also fails when the server never answers. */
  queryTimeoutMs?: number;
  /** Names the pool in logged connection errors: `target app`, `state`. */
  label?: string;
}

/** The session settings every diagnostic connection starts with: read-only, and the target's timeouts. */
export function readOnlySettings(
  target: Pick<TargetConfig, 'statementTimeoutMs' | 'lockTimeoutMs'>,
): Record<string, string> {
  return {
    default_transaction_read_only: 'on',
    statement_timeout: `${target.statementTimeoutMs}ms`,
    lock_timeout: `${target.lockTimeoutMs}ms`,
  };
}

export function createPool(options: PoolOptions): pg.Pool {
  const { url, startupOptions } = withStartupOptions(urlForDatabase(options.url, options.database), options.settings);
  const pool = new pg.Pool({
    connectionString: url,
    ...(startupOptions ? { options: startupOptions } : {}),
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? PGMEDIC_APPLICATION_NAME,
    keepAlive: true,
    types: numberTypes,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
  });
  // An idle client dying (server restart, network blip) must not crash the bot; the pool replaces it, and we log it.
  reportConnectionErrors(pool, options.label ?? options.applicationName ?? PGMEDIC_APPLICATION_NAME);
  return pool;
}

/** pg lets the connection string override a separate `database` setting, so another database goes into the URL. */
export function urlForDatabase(url: string, database: string | undefined): string {
  if (!database) return url;
  if (!reachableByUrl(database))
    throw new Error(`a database name with "?" or "#" cannot be given in a connection URL: ${JSON.stringify(database)}`);
  const parsed = new URL(url);
  // pg decodes the path with decodeURI, which leaves %3B, %2F, %40 … as they are: those characters go in literally
  // (legal in a URL path), everything else percent-encoded, so every name but those with ? or # arrives exactly.
  parsed.pathname = `/${encodeURIComponent(database).replace(/%(3B|2F|3A|40|26|3D|2B|24|2C)/gi, (e) => decodeURIComponent(e))}`;
  return parsed.toString();
}

/** `?` and `#` end a URL's path, and pg does not decode them from %3F/%23: such a database has no URL. */
export const reachableByUrl = (database: string): boolean => !/[?#]/.test(database);

/**
 * node-postgres lets `options` in the connection string replace the `options` setting, so a URL that
 * carries its own (e.g. a search_path) would silently drop ours: both are joined, ours last (last wins).
 */
function withStartupOptions(url: string, settings: PoolOptions['settings']): { url: string; startupOptions?: string } {
  if (!settings || !Object.keys(settings).length) return { url };
  const ours = Object.entries(settings).map(([name, value]) => `-c ${name}=${value.replace(/[\\ ]/g, '\\$&')}`);
  let theirs: string | null = null;
  let cleaned = url;
  if (/^postgres(ql)?:/.test(url)) {
    const parsed = new URL(url);
    theirs = parsed.searchParams.get('options');
    parsed.searchParams.delete('options');
    cleaned = parsed.toString();
  }
  return { url: cleaned, startupOptions: [theirs, ...ours].filter(Boolean).join(' ') };
}

export function createTargetPool(target: TargetConfig, database?: string, max = target.poolSize): pg.Pool {
  const label = `target ${target.name}${database ? ` (database ${database})` : ''}`;
  return createPool({
    url: target.url,
    database,
    max,
    connectTimeoutMs: target.connectTimeoutMs,
    settings: readOnlySettings(target),
    label,
  });
}
