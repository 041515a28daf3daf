import { connect, waitFor } from '../clients.js';

/**
 * Tables and indexes for the maintenance actions, owned by the connecting (non-superuser) role:
 * a duplicate index, an INVALID unique index (a CONCURRENTLY build that failed on duplicates, the
 * duplicates removed since), and a vacuum-starved table (autovacuum off, most rows deleted).
 */
export async function createMaintenanceTargets(url: string): Promise<void> {
  const c = await connect(url, 'scenario-setup');
  try {
    await c.query(`CREATE TABLE items (id int PRIMARY KEY, a int, b text);
      INSERT INTO items SELECT g, g % 50, 'b' || (g % 900) FROM generate_series(1, 1000) g;
      CREATE INDEX items_a ON items (a);
      CREATE INDEX items_a_dup ON items (a);
      CREATE TABLE starved (id int, pad text) WITH (autovacuum_enabled = false);
      INSERT INTO starved SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g;
      DELETE FROM starved WHERE id % 10 < 6`);
    await c.query('CREATE UNIQUE INDEX CONCURRENTLY items_b_unique ON items (b)').catch(() => undefined);
    await c.query('DELETE FROM items WHERE id > 900');
    await waitFor(
      async () =>
        (await c.query('SELECT 1 FROM pg_stat_user_tables WHERE relname = $1 AND n_dead_tup >= 12000', ['starved']))
          .rowCount,
      'dead rows to show in statistics',
    );
  } finally {
    await c.end();
  }
}
