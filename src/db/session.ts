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
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/**
 * Runs `work` in BEGIN READ ONLY with SET LOCAL statement_timeout and lock_timeout on one
 * checked-out client, always released (and discarded if it broke).
 */
export async function withReadOnlySession<T>(pool: pg.Pool, options: SessionOptions, work: (session: Session) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw toAppError(error, { target: options.target, command: options.command });
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN READ ONLY');
    // SET does not take bind parameters; set_config does, and is_local=true scopes it to the transaction.
    await client.query(
      tagSql(options.command, "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)"),
      [`${options.statementTimeoutMs}ms`, `${options.lockTimeoutMs}ms`],
    );
    const session: Session = {
      serverVersionNum: options.serverVersionNum,
      async query<Row extends object>(sql: Sql, params: readonly unknown[] = []) {
        const text = tagSql(options.command, pickSql(sql, options.serverVersionNum));
        const result = await client.query<Row>(text, params as unknown[]);
        return result.rows;
      },
    };
    const value = await work(session);
    await client.query('COMMIT');
    return value;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw toAppError(error, { target: options.target, command: options.command });
  } finally {
    client.release(broken);
  }
}
