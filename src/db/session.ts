import type pg from 'pg';
import { toAppError } from './sqlstate.js';
import { pickSql, tagSql, type Sql } from './sql.js';

/** What a command may do against a target: read-only queries, tagged, version-picked. */
export interface Session {
  readonly serverVersionNum: number;
  query<Row extends object = Record<string, unknown>>(sql: Sql, params?: readonly unknown[]): Promise<Row[]>;
}

export interface SessionOptions {
  /** Used in the SQL tag and in error messages. */
  command: string;
  target: string;
  serverVersionNum: number;
}

/**
 * Runs `work` on one checked-out client of a diagnostics pool, always released (and discarded if the
 * connection broke). Read-only mode and the timeouts are the connection's own startup settings
 * (pools.ts readOnlySettings), so a check sends only its own tagged statements: no BEGIN, SET or COMMIT.
 */
export async function withReadOnlySession<T>(
  pool: pg.Pool,
  options: SessionOptions,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw toAppError(error, { target: options.target, command: options.command });
  }
  let broken: Error | undefined;
  try {
    // One statement at a time on the connection, also when a command starts several at once.
    let previous: Promise<unknown> = Promise.resolve();
    const session: Session = {
      serverVersionNum: options.serverVersionNum,
      async query<Row extends object>(sql: Sql, params: readonly unknown[] = []) {
        const text = tagSql(options.command, pickSql(sql, options.serverVersionNum));
        const running = previous.then(() => client.query<Row>(text, params as unknown[]));
        previous = running.catch(() => undefined);
        return (await running).rows;
      },
    };
    return await work(session);
  } catch (error) {
    // A statement error (it has a SQLSTATE) leaves the connection usable; anything else may not have.
    if (!(error instanceof Error && typeof (error as { code?: unknown }).code === 'string'))
      broken = error instanceof Error ? error : new Error(String(error));
    throw toAppError(error, { target: options.target, command: options.command });
  } finally {
    client.release(broken);
  }
}
