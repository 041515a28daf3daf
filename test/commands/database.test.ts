import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseFindings } from '../../commands/database.js';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { holdExclusiveLock } from '../support/scenarios/exclusive-lock.js';

let server: TestServer;
let target: Target;

async function truth<Row extends object>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<Row[]> {
  const client = await connect(server.url(database), 'scenario-truth');
  try {
    return (await client.query<Row>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  server = await startTestServer(18);
  target = testTarget(server.url());
  await truth('CREATE DATABASE shop');
  await truth(
    `CREATE TABLE orders (id int PRIMARY KEY, customer int, note text);
     INSERT INTO orders SELECT g, g % 100, repeat('n', 120) FROM generate_series(1, 20000) g;
     CREATE INDEX orders_customer ON orders (customer);
     CREATE TABLE customers (id int PRIMARY KEY); INSERT INTO customers SELECT generate_series(1, 100)`,
    [],
    'shop',
  );
  await truth('VACUUM ANALYZE', [], 'shop');
  // VACUUM invalidated the relation-cache init file; the next connection rewrites it (about 160 kB of
  // the database's size), so make that happen now rather than between the command and the ground truth.
  await truth('SELECT 1', [], 'shop');
});
afterAll(async () => {
  await target?.close();
  await server?.stop();
});

const findingsOf = async (tokens: string[]) => (await run(target, 'database', tokens)).findings as DatabaseFindings;

describe('database', () => {
  it('looks inside another database: its largest tables, size and XID age as PostgreSQL reports them', async () => {
    const findings = await findingsOf(['shop', '--limit', '2']);
    expect(findings).toMatchObject({
      database: 'shop',
      connected: false,
      allowConnections: true,
      connectionLimit: -1,
      relationsUnavailable: null,
      skipped: [],
    });
    const tables = await truth<{ table: string; total: number; indexes: number }>(
      `SELECT c.relname AS table, pg_total_relation_size(c.oid)::float8 AS total, pg_indexes_size(c.oid)::float8 AS indexes
       FROM pg_class c WHERE c.relkind = 'r' ORDER BY 2 DESC, 1 LIMIT 2`,
      [],
      'shop',
    );
    expect(findings.tables.map((t) => ({ table: t.table, total: t.totalBytes, indexes: t.indexBytes }))).toEqual(
      tables,
    );
    expect(findings.tables[0]!.table).toBe('orders');
    const [db] = await truth<{ bytes: number; xid_age: number; mxid_age: number }>(
      "SELECT pg_database_size('shop')::float8 AS bytes, age(datfrozenxid) AS xid_age, mxid_age(datminmxid) AS mxid_age FROM pg_database WHERE datname = 'shop'",
    );
    expect(findings.bytes).toBe(db!.bytes);
    expect(findings.xidAge).toBeLessThanOrEqual(db!.xid_age); // read-only sessions consume no XIDs; the truth read came later
    expect(findings.xidAge).toBeGreaterThan(0);
    expect(findings.multixactAge).toBe(db!.mxid_age);
  });

  it('reads activity counters from pg_stat_database and connections from pg_stat_activity', async () => {
    const idle = await connect(server.url('shop'), 'scenario-idle');
    await idle.query('BEGIN');
    await idle.query('SELECT count(*) FROM orders');
    try {
      const result = await run(target, 'database', ['shop']);
      const findings = result.findings as DatabaseFindings;
      expect(findings.connections).toContainEqual(expect.objectContaining({ state: 'idle in transaction', count: 1 }));
      expect(findings.connections.every((c) => c.count > 0)).toBe(true);
      const [stats] = await truth<{ commits: number; blocks: number }>(
        "SELECT xact_commit::float8 AS commits, (blks_hit + blks_read)::float8 AS blocks FROM pg_stat_database WHERE datname = 'shop'",
      );
      expect(findings.stats!.commits).toBeGreaterThan(0);
      expect(findings.stats!.commits).toBeLessThanOrEqual(stats!.commits);
      expect(findings.stats!.blocksHit + findings.stats!.blocksRead).toBeLessThanOrEqual(stats!.blocks);
      expect(findings.stats!.cacheHitPct).toBeCloseTo(
        (100 * findings.stats!.blocksHit) / (findings.stats!.blocksHit + findings.stats!.blocksRead),
        6,
      );
      expect(result.summary).toMatch(/^shop: .+, \d+ connections?, XID age/);
    } finally {
      await idle.end();
    }
  });

  it('defaults to the connected database', async () => {
    const findings = await findingsOf([]);
    expect(findings).toMatchObject({ database: 'postgres', connected: true, relationsUnavailable: null });
  });

  it('names the closest database when the name is unknown', async () => {
    await expect(run(target, 'database', ['shpo'])).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/no database named "shpo"/),
      hint: 'Did you mean `shop`?',
    });
  });

  it('treats the name as data, never as SQL', async () => {
    const hostile = "shop'; DROP DATABASE shop; --";
    await expect(run(target, 'database', [hostile])).rejects.toMatchObject({ code: 'bad_input' });
    expect(await truth("SELECT 1 FROM pg_database WHERE datname = 'shop'")).toHaveLength(1);
  });

  it('reports a database that takes no connections without trying to enter it', async () => {
    const findings = await findingsOf(['template0']);
    expect(findings.tables).toEqual([]);
    expect(findings.relationsUnavailable).toMatch(/does not accept connections/);
    expect(findings.bytes).toBeGreaterThan(0);
  });

  it('skips and names a table locked ACCESS EXCLUSIVE inside the other database', async () => {
    const lock = await holdExclusiveLock(server.url('shop'), 'shop_migration', 30_000);
    try {
      const result = await run(target, 'database', ['shop', '--limit', '3']);
      const findings = result.findings as DatabaseFindings;
      expect(findings.skipped).toContainEqual({ schema: 'public', name: 'shop_migration' });
      expect(findings.tables.map((t) => t.table)).not.toContain('shop_migration');
      expect(result.report.footnotes.join(' ')).toMatch(/shop_migration/);
    } finally {
      await lock.release();
      await lock.close();
    }
  });
});
