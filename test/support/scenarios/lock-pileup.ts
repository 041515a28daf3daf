import type pg from 'pg';
import { clientPool, waitFor } from '../clients.js';

export interface LockPileup {
  rootPid: number;
  waiterPids: number[];
  release(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real stall: the root updates a row and stays idle in transaction (a forgotten psql session); `waiters`
 * sessions update the same row and queue behind it (and behind each other, as pg_blocking_pids shows).
 */
export async function createLockPileup(url: string, waiters = 10, table = 'pileup_branches'): Promise<LockPileup> {
  const clients = clientPool(url);
  const setup = await clients.open('scenario-setup');
  await setup.query(
    `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int PRIMARY KEY, balance int); INSERT INTO ${table} VALUES (1, 0)`,
  );
  const pidOf = async (c: pg.Client) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const root = await clients.open('scenario-root');
  const rootPid = await pidOf(root);
  await root.query('BEGIN');
  await root.query(`UPDATE ${table} SET balance = balance + 1 WHERE id = 1`);
  const waiterPids: number[] = [];
  const done: Promise<unknown>[] = [];
  for (let i = 0; i < waiters; i++) {
    const waiter = await clients.open('scenario-waiter');
    waiterPids.push(await pidOf(waiter));
    done.push(waiter.query(`UPDATE ${table} SET balance = balance + 1 WHERE id = 1`).catch(() => undefined));
  }
  await waitFor(
    async () =>
      (
        await setup.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1) AND wait_event_type = 'Lock'",
          [waiterPids],
        )
      ).rows[0]!.n === waiters,
    `${waiters} sessions to wait on the lock`,
  );
  return {
    rootPid,
    waiterPids,
    async release() {
      await root.query('COMMIT').catch(() => undefined);
      await Promise.all(done);
    },
    close: () => clients.closeAll(),
  };
}
