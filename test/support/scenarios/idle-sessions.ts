import pg from 'pg';
import { clientPool, waitFor } from '../clients.js';

export interface IdleSessions {
  /** Sessions that ran a statement inside BEGIN and then went quiet. */
  idleInTransactionPids: number[];
  /** A session whose transaction failed and stays open: `idle in transaction (aborted)`. */
  abortedPid: number;
  /** A session running `SELECT pg_sleep(…)`. */
  sleeperPid: number;
  /** A walsender (replication-protocol connection) running the same sleep: not a client backend. */
  walsenderPid: number;
  /** Ends the transactions and cancels the sleeper. */
  release(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Idle-in-transaction sessions (one of them aborted), a long-running query, and a walsender running
 * one too, each with its own application_name (`scenario-idle`, `scenario-aborted`, `scenario-sleeper`,
 * `scenario-walsender`). Ages grow from the moment this returns; tests use small thresholds rather than
 * wait minutes.
 */
export async function createIdleSessions(url: string, idleCount = 2, sleepSeconds = 120): Promise<IdleSessions> {
  const clients = clientPool(url);
  const idle: pg.Client[] = [];
  for (let i = 0; i < idleCount; i++) idle.push(await clients.open('scenario-idle'));
  const aborted = await clients.open('scenario-aborted');
  const sleeper = await clients.open('scenario-sleeper');
  const watcher = await clients.open('scenario-watcher');
  // replication=database makes a walsender that still accepts plain SQL (simple protocol only).
  const walsender = new pg.Client({
    connectionString: url,
    application_name: 'scenario-walsender',
    replication: 'database',
  } as pg.ClientConfig);
  walsender.on('error', () => undefined);
  await walsender.connect();
  const walsenderPid = Number((await walsender.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  const idleInTransactionPids = await Promise.all(idle.map(pidOf));
  const abortedPid = await pidOf(aborted);
  for (const client of idle) {
    await client.query('BEGIN');
    await client.query('SELECT count(*) FROM pg_class');
  }
  await aborted.query('BEGIN');
  await aborted.query('SELECT 1 / 0').catch(() => undefined);
  const sleeperPid = await pidOf(sleeper);
  const sleeping = [
    sleeper.query('SELECT pg_sleep($1)', [sleepSeconds]),
    walsender.query(`SELECT pg_sleep(${Number(sleepSeconds)})`),
  ].map((q) => q.catch(() => undefined));
  await waitFor(
    async () =>
      (
        await watcher.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid IN ($1, $2) AND state = 'active' AND query LIKE '%pg_sleep%'",
          [sleeperPid, walsenderPid],
        )
      ).rows[0].n === 2,
    'the sleepers to start',
  );
  return {
    idleInTransactionPids,
    abortedPid,
    sleeperPid,
    walsenderPid,
    async release() {
      await Promise.all([...idle, aborted].map((c) => c.query('ROLLBACK').catch(() => undefined)));
      await watcher.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) pid', [[sleeperPid, walsenderPid]]);
      await Promise.all(sleeping);
    },
    async close() {
      await walsender.end().catch(() => undefined);
      await clients.closeAll();
    },
  };
}

async function pidOf(client: pg.Client): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}
