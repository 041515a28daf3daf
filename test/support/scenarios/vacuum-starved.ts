import type pg from 'pg';
import { clientPool, waitFor } from '../clients.js';

export interface VacuumStarved {
  schema: 'public';
  /** autovacuum_enabled = false, 10,000 rows analyzed, then 6,000 deleted and 2,000 updated: 8,000 dead tuples. */
  table: string;
  deadTuples: number;
  /** Same rows and changes, with per-table settings: autovacuum_vacuum_threshold = 10, scale factor 0. */
  tunedTable: string;
  /** An idle REPEATABLE READ transaction whose snapshot predates the deletes: it holds the xmin horizon. */
  holderPid: number;
  /** A prepared transaction (it holds its XID, and the horizon, until COMMIT/ROLLBACK PREPARED). */
  preparedGid: string;
  /** Ends the holder and rolls the prepared transaction back. */
  release(): Promise<void>;
  close(): Promise<void>;
}

const ROWS = 10_000;

async function fillAndAnalyze(setup: pg.Client, table: string, reloptions: string): Promise<void> {
  await setup.query(`DROP TABLE IF EXISTS ${table}`);
  await setup.query(`CREATE TABLE ${table} (id int PRIMARY KEY, value int NOT NULL) WITH (${reloptions})`);
  await setup.query(`INSERT INTO ${table} SELECT g, 0 FROM generate_series(1, ${ROWS}) g`);
  await setup.query(`ANALYZE ${table}`);
}

async function churn(client: pg.Client, table: string): Promise<void> {
  await client.query(`DELETE FROM ${table} WHERE id % 10 < 6`);
  await client.query(`UPDATE ${table} SET value = value + 1 WHERE id % 10 IN (6, 7)`);
}

/**
 * Tables autovacuum will not touch (autovacuum_enabled = false) with thousands of dead tuples, plus two things
 * that hold the xmin horizon: a REPEATABLE READ snapshot taken before the changes, and a prepared transaction.
 */
export async function createVacuumStarved(url: string, prefix = 'starved'): Promise<VacuumStarved> {
  const clients = clientPool(url);
  const setup = await clients.open('scenario-vacuum-setup');
  const table = `${prefix}_events`;
  const tunedTable = `${prefix}_tuned_events`;
  const preparedGid = `${prefix}_prepared`;
  await fillAndAnalyze(setup, table, 'autovacuum_enabled = false');
  await fillAndAnalyze(
    setup,
    tunedTable,
    'autovacuum_enabled = false, autovacuum_vacuum_threshold = 10, autovacuum_vacuum_scale_factor = 0',
  );

  const holder = await clients.open('scenario-xmin-holder');
  await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await holder.query(`SELECT count(*) FROM ${table}`); // takes the snapshot
  const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  await churn(setup, table);
  await churn(setup, tunedTable);
  await setup.query(`BEGIN; INSERT INTO ${tunedTable} VALUES (-1, 0); PREPARE TRANSACTION '${preparedGid}'`);
  await flushStats(setup, [table, tunedTable]);
  return {
    schema: 'public',
    table,
    deadTuples: 8_000,
    tunedTable,
    holderPid,
    preparedGid,
    async release() {
      await holder.query('ROLLBACK').catch(() => undefined);
      await setup.query(`ROLLBACK PREPARED '${preparedGid}'`).catch(() => undefined);
    },
    close: () => clients.closeAll(),
  };
}

/** Waits until the statistics show the dead tuples (15+ flushes on request; 14's collector within ~500 ms). */
async function flushStats(client: pg.Client, tables: string[]): Promise<void> {
  const { rows } = await client.query<{ version: number }>(
    "SELECT current_setting('server_version_num')::int AS version",
  );
  if (rows[0]!.version >= 150000) await client.query('SELECT pg_stat_force_next_flush()');
  await waitFor(
    async () =>
      (
        await client.query('SELECT 1 FROM pg_stat_user_tables WHERE relname = ANY ($1) AND n_dead_tup >= 8000', [
          tables,
        ])
      ).rowCount === tables.length,
    'dead tuples in pg_stat_user_tables',
  );
}
