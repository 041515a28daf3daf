import type { Cluster } from '../../../src/embedded/cluster.js';
import { connect, waitFor } from '../clients.js';
import type { TestServer } from '../pg.js';
import { startStandby } from '../standby.js';

export interface PausedStandby {
  standby: Cluster;
  /** The primary's WAL position once the writes were done (the standby has received up to here). */
  writtenLsn: string;
  /** Resumes replay and waits until the standby has replayed everything the primary wrote. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real streaming standby of `server` whose replay is paused (pg_wal_replay_pause) while the primary keeps
 * writing: the standby receives the WAL but does not replay it, so its lag grows for real. Returns once the
 * standby has received everything and told the primary so.
 */
export async function createPausedStandby(server: TestServer): Promise<PausedStandby> {
  const standby = await startStandby(server.cluster!);
  const primary = await connect(server.url(), 'scenario-primary');
  const replica = await connect(standby.url(), 'scenario-standby');
  try {
    // The test servers run with synchronous_commit = off: flush at commit here so pg_current_wal_lsn() covers the writes.
    await primary.query('SET synchronous_commit = on');
    // A replayed commit first, so pg_last_xact_replay_timestamp() is set on the standby.
    await primary.query('CREATE TABLE IF NOT EXISTS lag_filler (id int, payload text)');
    await caughtUp(primary, replica);
    await replica.query('SELECT pg_wal_replay_pause()');
    await waitFor(
      async () => (await replica.query("SELECT pg_get_wal_replay_pause_state() = 'paused' AS paused")).rows[0].paused,
      'replay to pause',
    );
    await primary.query("INSERT INTO lag_filler SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g");
    const writtenLsn: string = (await primary.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
    await waitFor(
      async () =>
        (await replica.query('SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS got', [writtenLsn])).rows[0].got,
      'the standby to receive the writes',
    );
    await waitFor(
      async () =>
        (await primary.query('SELECT 1 FROM pg_stat_replication WHERE flush_lsn >= $1::pg_lsn', [writtenLsn])).rowCount,
      'the standby to report it',
    );
    return {
      standby,
      writtenLsn,
      async resume() {
        const client = await connect(standby.url(), 'scenario-standby');
        const upstream = await connect(server.url(), 'scenario-primary');
        await client.query('SELECT pg_wal_replay_resume()');
        await caughtUp(upstream, client);
        await Promise.all([client.end(), upstream.end()]);
      },
      stop: () => standby.stop(),
    };
  } finally {
    await Promise.all([primary.end(), replica.end()]);
  }
}

type Client = Awaited<ReturnType<typeof connect>>;

/** The standby has replayed everything the primary has written, and the primary knows it. */
async function caughtUp(primary: Client, replica: Client): Promise<void> {
  const lsn: string = (await primary.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
  await waitFor(
    async () => (await replica.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn])).rows[0].done,
    'the standby to replay',
  );
  await waitFor(
    async () =>
      (await primary.query('SELECT 1 FROM pg_stat_replication WHERE replay_lsn >= $1::pg_lsn', [lsn])).rowCount,
    'the primary to see the replay',
  );
}
