import { connect, waitFor } from '../clients.js';

/** Names of the indexes the scenario creates, by what they are. */
export const INDEX_PROBLEMS = {
  table: 'ip_orders',
  /** Never scanned, enforces nothing, well above 1 MB. */
  unused: 'ip_orders_status_idx',
  /** Two identical indexes on (sku): the newer one is the duplicate. */
  exactOriginal: 'ip_orders_sku_idx',
  exactDuplicate: 'ip_orders_sku_idx_again',
  /** (customer) is the leading part of (customer, created). */
  prefix: 'ip_orders_customer_idx',
  prefixCover: 'ip_orders_customer_created_idx',
  /** UNIQUE (ref) is a prefix of (ref, created) but enforces uniqueness: never redundant. */
  unique: 'ip_orders_ref_key',
  uniqueLonger: 'ip_orders_ref_created_idx',
  /** Exceptions that look like duplicates but are not. */
  withInclude: 'ip_orders_customer_incl_idx',
  partial: 'ip_orders_customer_open_idx',
  otherOpclass: 'ip_orders_ref_pattern_idx',
  /** 15+: UNIQUE NULLS NOT DISTINCT on the same column as a plain UNIQUE: a different constraint. */
  nullsNotDistinct: 'ip_orders_ref_nnd_key',
  /** CREATE UNIQUE INDEX CONCURRENTLY on duplicate values: fails and leaves an invalid index. */
  invalid: 'ip_orders_customer_uniq',
  /** A large table read only by sequential scans (60 × 20,000 rows). */
  seqScanned: 'ip_events',
} as const;

const N = INDEX_PROBLEMS;

/**
 * Builds every index problem on real data in `url`'s database: unused, exact duplicate, redundant prefix,
 * invalid (a failed concurrent unique build), the look-alikes that must not be flagged, and a table read
 * by sequential scans. Waits until the statistics show the scans.
 */
export async function createIndexProblems(url: string): Promise<void> {
  const client = await connect(url, 'scenario-indexes');
  try {
    await client.query(`
      DROP TABLE IF EXISTS ${N.table}, ${N.seqScanned};
      CREATE TABLE ${N.table} (id int PRIMARY KEY, customer int NOT NULL, status text NOT NULL, sku text NOT NULL, ref text NOT NULL, created timestamptz NOT NULL);
      INSERT INTO ${N.table} SELECT g, g % 500, (ARRAY['open','paid','shipped'])[g % 3 + 1], 'sku-' || (g % 2000), 'ref-' || g, now() - g * interval '1 minute'
      FROM generate_series(1, 60000) g;
      CREATE INDEX ${N.unused} ON ${N.table} (status, created);
      CREATE INDEX ${N.exactOriginal} ON ${N.table} (sku);
      CREATE INDEX ${N.exactDuplicate} ON ${N.table} (sku);
      CREATE INDEX ${N.prefix} ON ${N.table} (customer);
      CREATE INDEX ${N.prefixCover} ON ${N.table} (customer, created);
      CREATE UNIQUE INDEX ${N.unique} ON ${N.table} (ref);
      CREATE INDEX ${N.uniqueLonger} ON ${N.table} (ref, created);
      CREATE INDEX ${N.withInclude} ON ${N.table} (customer) INCLUDE (status);
      CREATE INDEX ${N.partial} ON ${N.table} (customer) WHERE status = 'open';
      CREATE INDEX ${N.otherOpclass} ON ${N.table} (ref text_pattern_ops);
      CREATE TABLE ${N.seqScanned} (id int, kind int, payload text);
      INSERT INTO ${N.seqScanned} SELECT g, g % 10, 'payload' FROM generate_series(1, 20000) g;
      ANALYZE ${N.table}, ${N.seqScanned};`);
    if ((await client.query("SELECT current_setting('server_version_num')::int >= 150000 AS modern")).rows[0].modern) {
      await client.query(`CREATE UNIQUE INDEX ${N.nullsNotDistinct} ON ${N.table} (ref) NULLS NOT DISTINCT`);
    }
    await client.query(`CREATE UNIQUE INDEX CONCURRENTLY ${N.invalid} ON ${N.table} (customer)`).then(
      () => Promise.reject(new Error('the unique build should have failed on duplicate customers')),
      () => undefined,
    );
    for (let scan = 0; scan < 60; scan++)
      await client.query(`SELECT count(*) FROM ${N.seqScanned} WHERE kind = $1`, [scan]);
  } finally {
    await client.end(); // a backend flushes its statistics when it exits
  }
  const observer = await connect(url, 'scenario-observer');
  try {
    await waitFor(
      async () =>
        (
          await observer.query(
            `SELECT 1 FROM pg_stat_user_tables WHERE relname = $1 AND seq_scan >= 60 AND n_live_tup >= 20000`,
            [N.seqScanned],
          )
        ).rowCount,
      'the sequential scans to reach the statistics',
    );
  } finally {
    await observer.end();
  }
}
