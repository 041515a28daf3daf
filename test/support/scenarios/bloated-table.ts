import type pg from 'pg';
import { connect } from '../clients.js';

export interface BloatedTable {
  schema: 'public';
  /** Most rows deleted, then VACUUM ANALYZE: real bloat with n_dead_tup ≈ 0. */
  table: string;
  /** Its primary key, left with the same share of its entries. */
  index: string;
  /** The same table, same rows, nothing deleted. */
  controlTable: string;
  controlIndex: string;
  deletedShare: number;
}

export interface BloatedTableOptions {
  /** Rows inserted into each table (about 110 bytes each). */
  rows?: number;
  /** Rows deleted out of every ten, spread over every page so VACUUM cannot truncate the file. */
  deletedPerTen?: number;
  prefix?: string;
}

/**
 * Two identical tables of `rows` rows; from the first, `deletedPerTen` rows in ten are deleted on every page,
 * then both are VACUUMed and ANALYZEd. VACUUM frees the space inside the pages (and the index leaves) but
 * keeps the file: the table and its primary key stay their full size with most of it empty.
 */
export async function createBloatedTable(url: string, options: BloatedTableOptions = {}): Promise<BloatedTable> {
  const { rows = 40_000, deletedPerTen = 7, prefix = 'bloat' } = options;
  const table = `${prefix}_orders`;
  const controlTable = `${prefix}_tidy_orders`;
  const client = await connect(url, 'scenario-bloat');
  try {
    for (const name of [table, controlTable]) {
      await client.query(`DROP TABLE IF EXISTS ${name}`);
      await client.query(
        `CREATE TABLE ${name} (id int PRIMARY KEY, account int NOT NULL, note text, created timestamptz NOT NULL DEFAULT now())`,
      );
      await client.query(
        `INSERT INTO ${name} (id, account, note) SELECT g, g % 1000, repeat(md5(g::text), 2) FROM generate_series(1, $1) g`,
        [rows],
      );
    }
    await client.query(`DELETE FROM ${table} WHERE id % 10 < $1`, [deletedPerTen]);
    await flushTableStats(client);
    // VACUUM refuses to run inside a transaction block: one statement per call.
    for (const name of [table, controlTable]) await client.query(`VACUUM (ANALYZE) ${name}`);
  } finally {
    await client.end();
  }
  return {
    schema: 'public',
    table,
    index: `${table}_pkey`,
    controlTable,
    controlIndex: `${controlTable}_pkey`,
    deletedShare: deletedPerTen / 10,
  };
}

/**
 * Makes the DELETE's counts reach the statistics before VACUUM resets them: otherwise they arrive after it and
 * n_dead_tup shows rows VACUUM already removed. 15+ flushes on request; 14's collector gets them within 500 ms.
 */
async function flushTableStats(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ version: number }>(
    "SELECT current_setting('server_version_num')::int AS version",
  );
  if (rows[0]!.version >= 150000) await client.query('SELECT pg_stat_force_next_flush()');
  else await new Promise((resolve) => setTimeout(resolve, 1000));
}
