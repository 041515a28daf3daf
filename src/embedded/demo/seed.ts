import pg from 'pg';

/** Bump when the demo schema changes: an older seed is replaced on the next start. */
const SEED_VERSION = 2;

export interface SeedOptions {
  orders: number;
  progress(line: string): void;
}

/**
 * The demo shop: `orders` with 70% of its rows deleted on every page and vacuumed (bloat VACUUM cannot give
 * back) and an index nothing reads; `events` with autovacuum off and thousands of dead rows; `customers` with
 * an exact duplicate index; `accounts` for the blocking chain. Seeded once; the marker is written last.
 */
export async function seedDemo(appUrl: string, adminUrl: string, options: SeedOptions): Promise<void> {
  const client = new pg.Client({ connectionString: appUrl, application_name: 'demo-seed' });
  await client.connect();
  try {
    if (await alreadySeeded(client)) return await grantStatistics(client);
    options.progress(`seeding the demo shop database (${options.orders.toLocaleString('en-US')} orders; once)…`);
    await client.query('DROP TABLE IF EXISTS demo_seed, orders, events, customers, accounts');
    await createCustomers(client);
    await createOrders(client, options.orders);
    await createEvents(client);
    await client.query(
      'CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL)',
    );
    await client.query("INSERT INTO accounts SELECT g, 'customer ' || g, 1000 FROM generate_series(1, 100) g");
    await client.query('CREATE TABLE demo_seed (version int NOT NULL, seeded_at timestamptz NOT NULL DEFAULT now())');
    await client.query('INSERT INTO demo_seed (version) VALUES ($1)', [SEED_VERSION]);
    await grantStatistics(client);
  } finally {
    await client.end();
  }
  await resetStatements(adminUrl);
}

/** pg_stats hides a column's statistics from roles that cannot SELECT it, and bloat estimates need them. */
async function grantStatistics(client: pg.Client): Promise<void> {
  await client.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO pgmedic_monitor');
}

async function alreadySeeded(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>(
    "SELECT to_regclass('public.demo_seed') IS NOT NULL AS present",
  );
  if (!rows[0]?.present) return false;
  const seeded = await client.query<{ version: number }>('SELECT max(version) AS version FROM demo_seed');
  return seeded.rows[0]?.version === SEED_VERSION;
}

async function createCustomers(client: pg.Client): Promise<void> {
  await client.query(
    `CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, country text NOT NULL, signed_up date NOT NULL)`,
  );
  await client.query(`INSERT INTO customers SELECT g, 'customer' || g || '@example.com', (ARRAY['DE','FR','US','BR','JP','IN'])[1 + g % 6],
    date '2020-01-01' + (g % 1500) FROM generate_series(1, 100000) g`);
  // signed_up is indexed twice under two names: a duplicate.
  await client.query('CREATE INDEX customers_signed_up_idx ON customers (signed_up)');
  await client.query('CREATE INDEX customers_signed_up_idx2 ON customers (signed_up)');
  await client.query('ANALYZE customers');
}

async function createOrders(client: pg.Client, rows: number): Promise<void> {
  await client.query(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, amount numeric(10,2) NOT NULL,
    note text, created_at timestamptz NOT NULL)`);
  await client.query(
    `INSERT INTO orders SELECT g, 1 + g % 100000, (ARRAY['paid','shipped','refunded'])[1 + g % 3], (g % 500) + 0.99,
    md5(g::text) || md5((g * 7)::text), timestamptz '2024-01-01' + g * interval '30 seconds' FROM generate_series(1, $1) g`,
    [rows],
  );
  // Created for a dashboard that was retired: nothing reads it any more, every write still maintains it.
  await client.query('CREATE INDEX orders_created_at_idx ON orders (created_at)');
  // An archiving job removed 70% of the rows on every page: VACUUM frees the space inside the pages, the file stays.
  await client.query('DELETE FROM orders WHERE id % 10 < 7');
  await client.query('VACUUM (ANALYZE) orders');
}

async function createEvents(client: pg.Client): Promise<void> {
  await client.query(`CREATE TABLE events (id int PRIMARY KEY, kind text NOT NULL, seen int NOT NULL DEFAULT 0, payload text)
    WITH (autovacuum_enabled = false)`);
  await client.query(
    `INSERT INTO events SELECT g, (ARRAY['login','view','cart'])[1 + g % 3], 0, md5(g::text) FROM generate_series(1, 20000) g`,
  );
  await client.query('ANALYZE events');
  // Someone turned autovacuum off for this table "temporarily": every update leaves a dead row nobody cleans up.
  await client.query('UPDATE events SET seen = seen + 1 WHERE id % 10 < 6');
}

/** The seed's own statements would top the slow-query list; start it clean once (never done again after). */
async function resetStatements(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'demo-seed' });
  await admin.connect();
  await admin.query('SELECT pg_stat_statements_reset()').finally(() => admin.end());
}
