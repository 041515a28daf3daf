import type pg from 'pg';
import { clientPool, waitFor } from '../clients.js';

export interface BlockingChain {
  rootPid: number;
  middlePid: number;
  tailPid: number;
  /** Commits the root's transaction so the chain drains. */
  release(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Three sessions: the root updates a row and stays idle in transaction; the middle updates the same row
 * and waits on the root; the tail updates it too and waits on the middle (its tuple lock).
 */
export async function createBlockingChain(url: string, table = 'chain_accounts'): Promise<BlockingChain> {
  const clients = clientPool(url);
  const setup = await clients.open('scenario-setup');
  await setup.query(
    `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int PRIMARY KEY, balance int); INSERT INTO ${table} VALUES (1, 100)`,
  );
  const root = await clients.open('scenario-root');
  const middle = await clients.open('scenario-middle');
  const tail = await clients.open('scenario-tail');
  const pidOf = async (c: pg.Client) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const [rootPid, middlePid, tailPid] = [await pidOf(root), await pidOf(middle), await pidOf(tail)];
  await root.query('BEGIN');
  await root.query(`UPDATE ${table} SET balance = balance - 1 WHERE id = 1`);
  const middleDone = middle.query(`UPDATE ${table} SET balance = balance + 1 WHERE id = 1`).catch(() => undefined);
  await waitFor(
    async () =>
      (await setup.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = $2', [middlePid, 'Lock']))
        .rowCount,
    'middle to wait',
  );
  const tailDone = tail.query(`UPDATE ${table} SET balance = balance + 2 WHERE id = 1`).catch(() => undefined);
  await waitFor(
    async () =>
      (await setup.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = $2', [tailPid, 'Lock']))
        .rowCount,
    'tail to wait',
  );
  return {
    rootPid,
    middlePid,
    tailPid,
    async release() {
      await root.query('COMMIT').catch(() => undefined);
      await Promise.all([middleDone, tailDone]);
    },
    close: () => clients.closeAll(),
  };
}
