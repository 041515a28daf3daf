import type pg from 'pg';
import type { Queryable } from './requests.js';

/** The state pool as the healing core needs it: single statements, and a client for a transaction. */
export type StatePool = Pick<pg.Pool, 'query' | 'connect'>;

/**
 * Runs `work` in one transaction on one client: a state change and its audit row commit together or not at
 * all. A client whose ROLLBACK failed is discarded, not returned to the pool.
 */
export async function inTransaction<T>(pool: StatePool, work: (db: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}
