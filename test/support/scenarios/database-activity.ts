import { clientPool, connect, waitFor } from '../clients.js';

/**
 * Real activity in one database, for pg_stat_database: rolled-back transactions, a sort that spills
 * to a temp file, and a deadlock. Each runs on its own connection and closes it, because a backend
 * flushes its statistics when it exits (15+ otherwise batch them for up to a second or longer).
 */
export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = await connect(adminUrl, 'scenario-setup');
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

export async function rollBackTransactions(url: string, count: number): Promise<void> {
  const client = await connect(url, 'scenario-rollbacks');
  for (let i = 0; i < count; i++) await client.query('BEGIN; SELECT 1; ROLLBACK');
  await client.end();
}

/** A sort of 200k integers under work_mem = 64kB must spill to disk. */
export async function spillSortToTempFile(url: string): Promise<void> {
  const client = await connect(url, 'scenario-temp-file');
  await client.query("SET work_mem = '64kB'");
  await client.query('SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC LIMIT 1');
  await client.end();
}

/** Two sessions lock rows in opposite order; PostgreSQL aborts one of them (deadlock_timeout is cut to 50 ms). */
export async function causeDeadlock(url: string): Promise<void> {
  const clients = clientPool(url);
  const setup = await clients.open('scenario-setup');
  await setup.query(
    'DROP TABLE IF EXISTS deadlock_pair; CREATE TABLE deadlock_pair (id int PRIMARY KEY, v int); INSERT INTO deadlock_pair VALUES (1, 0), (2, 0)',
  );
  const [a, b] = [await clients.open('scenario-deadlock-a'), await clients.open('scenario-deadlock-b')];
  for (const c of [a, b]) await c.query("SET deadlock_timeout = '50ms'; BEGIN");
  await a.query('UPDATE deadlock_pair SET v = 1 WHERE id = 1');
  await b.query('UPDATE deadlock_pair SET v = 1 WHERE id = 2');
  const aWaits = a.query('UPDATE deadlock_pair SET v = 2 WHERE id = 2').then(
    () => 'ok',
    (e: Error) => e.message,
  );
  await waitFor(
    async () =>
      (
        await setup.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name = 'scenario-deadlock-a' AND wait_event_type = 'Lock'",
        )
      ).rowCount,
    'a to wait',
  );
  const bWaits = b.query('UPDATE deadlock_pair SET v = 2 WHERE id = 1').then(
    () => 'ok',
    (e: Error) => e.message,
  );
  const outcomes = await Promise.all([aWaits, bWaits]);
  if (!outcomes.some((o) => o.includes('deadlock detected'))) throw new Error(`no deadlock: ${outcomes.join(', ')}`);
  for (const c of [a, b]) await c.query('ROLLBACK');
  await clients.closeAll();
}
