import type pg from 'pg';
import { clientPool, waitFor } from '../clients.js';

export interface ExclusiveLock {
  table: string;
  /** The session holding ACCESS EXCLUSIVE (idle in transaction). */
  holderPid: number;
  /** Starts a session that reads the table and so queues behind the lock; resolves once it waits. */
  addWaiter(): Promise<number>;
  /** Rolls the holder's transaction back (waiters then proceed). */
  release(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A migration caught mid-way: one session runs BEGIN; LOCK TABLE … IN ACCESS EXCLUSIVE MODE and stays
 * open. The table has rows, an index and TOASTed values, and is analyzed, so it ranks among the
 * largest relations and every size function would have to wait for it.
 */
export async function holdExclusiveLock(
  url: string,
  table = 'locked_migration',
  rows = 20_000,
): Promise<ExclusiveLock> {
  const clients = clientPool(url);
  const setup = await clients.open('scenario-setup');
  await setup.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int PRIMARY KEY, note text, blob text)`);
  await setup.query(
    `INSERT INTO ${table} SELECT g, repeat('x', 200), CASE WHEN g % 100 = 0 THEN (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 200) i) END FROM generate_series(1, $1::int) g`,
    [rows],
  );
  await setup.query(`VACUUM ANALYZE ${table}`);
  const holder = await clients.open('scenario-lock-holder');
  const holderPid = await pidOf(holder);
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  const waiters: Promise<unknown>[] = [];
  return {
    table,
    holderPid,
    async addWaiter() {
      const waiter = await clients.open('scenario-lock-waiter');
      const pid = await pidOf(waiter);
      waiters.push(waiter.query(`SELECT count(*) FROM ${table}`).catch(() => undefined));
      await waitFor(
        async () =>
          (await setup.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = $2', [pid, 'Lock']))
            .rowCount,
        'the reader to queue behind the lock',
      );
      return pid;
    },
    async release() {
      await holder.query('ROLLBACK').catch(() => undefined);
      await Promise.all(waiters);
    },
    close: () => clients.closeAll(),
  };
}

export interface QueuedExclusiveLock {
  table: string;
  /** Holds ACCESS SHARE, idle in transaction: what the migration waits for. */
  readerPid: number;
  /** Waits for ACCESS EXCLUSIVE; anyone asking for the table after it queues behind it. */
  migrationPid: number;
  release(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The other shape of the same incident: a long transaction has read the table, and a migration's
 * ALTER TABLE waits for ACCESS EXCLUSIVE behind it. The lock is not granted, yet every new reader of
 * the table queues behind the waiting ALTER.
 */
export async function queueExclusiveLock(
  url: string,
  table = 'queued_migration',
  rows = 20_000,
): Promise<QueuedExclusiveLock> {
  const clients = clientPool(url);
  const setup = await clients.open('scenario-setup');
  await setup.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
  await setup.query(`INSERT INTO ${table} SELECT g, repeat('q', 200) FROM generate_series(1, $1::int) g`, [rows]);
  await setup.query(`VACUUM ANALYZE ${table}`);
  const reader = await clients.open('scenario-long-reader');
  const migration = await clients.open('scenario-migration');
  const [readerPid, migrationPid] = [await pidOf(reader), await pidOf(migration)];
  await reader.query('BEGIN');
  await reader.query(`SELECT count(*) FROM ${table}`);
  const altering = migration.query(`ALTER TABLE ${table} ADD COLUMN added int`).catch(() => undefined);
  await waitFor(
    async () =>
      (
        await setup.query("SELECT 1 FROM pg_locks WHERE pid = $1 AND mode = 'AccessExclusiveLock' AND NOT granted", [
          migrationPid,
        ])
      ).rowCount,
    'the migration to wait for its lock',
  );
  return {
    table,
    readerPid,
    migrationPid,
    async release() {
      await reader.query('ROLLBACK').catch(() => undefined);
      await altering;
    },
    close: () => clients.closeAll(),
  };
}

async function pidOf(client: pg.Client): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}
