import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SizesFindings } from '../../commands/sizes.js';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { holdExclusiveLock, queueExclusiveLock } from '../support/scenarios/exclusive-lock.js';

let server: TestServer;
let target: Target;

/** Ground truth: size functions called on every table and index, no ranking shortcuts. */
const ALL_TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS table, pg_total_relation_size(c.oid)::float8 AS total,
       (pg_table_size(c.oid) - coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0))::float8 AS heap,
       pg_indexes_size(c.oid)::float8 AS indexes, coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0)::float8 AS toast
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND c.relname <> $2 ORDER BY 3 DESC, 1, 2 LIMIT $1`;
const ALL_INDEXES_SQL = `
SELECT n.nspname AS schema, i.relname AS index, pg_total_relation_size(i.oid)::float8 AS bytes
FROM pg_class i JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE i.relkind = 'i' ORDER BY 3 DESC, 1, 2 LIMIT $1`;

beforeAll(async () => {
  server = await startTestServer(18);
  target = testTarget(server.url());
  const setup = await connect(server.url(), 'scenario-setup');
  // Analyzed: ranked by relpages. A wide TOASTed column and two indexes give every part a size.
  await setup.query(`CREATE TABLE sized_orders (id int PRIMARY KEY, customer int, body text);
    INSERT INTO sized_orders SELECT g, g % 1000, CASE WHEN g % 50 = 0 THEN (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 300) i) ELSE repeat('o', 100) END FROM generate_series(1, 40000) g;
    CREATE INDEX sized_orders_customer ON sized_orders (customer)`);
  await setup.query('VACUUM ANALYZE sized_orders');
  // Never vacuumed or analyzed: relpages is 0, only the statistics' tuple counts know it is big.
  await setup.query(`CREATE TABLE sized_fresh_load (id int, payload text) WITH (autovacuum_enabled = off);
    INSERT INTO sized_fresh_load SELECT g, repeat('f', 150) FROM generate_series(1, 30000) g`);
  await setup.query(
    `CREATE TABLE sized_small (id int PRIMARY KEY); INSERT INTO sized_small SELECT generate_series(1, 2000)`,
  );
  await setup.query('VACUUM ANALYZE sized_small');
  await setup.end(); // a backend flushes its table statistics when it exits
});
afterAll(async () => {
  await target?.close();
  await server?.stop();
});

async function truth<Row extends object>(sql: string, params: unknown[] = [], url = server.url()): Promise<Row[]> {
  const client = await connect(url, 'scenario-truth');
  try {
    return (await client.query<Row>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('sizes', () => {
  it('measures the same largest tables as calling the size functions on every table', async () => {
    const [fresh] = await truth<{ relpages: number; reltuples: number }>(
      "SELECT relpages, reltuples FROM pg_class WHERE relname = 'sized_fresh_load'",
    );
    expect(fresh).toEqual({ relpages: 0, reltuples: -1 }); // the premise: the catalog does not know its size
    const result = await run(target, 'sizes', ['--limit', '5']);
    const findings = result.findings as SizesFindings;
    const expected = await truth<{
      schema: string;
      table: string;
      total: number;
      heap: number;
      indexes: number;
      toast: number;
    }>(ALL_TABLES_SQL, [5, '']);
    expect(findings.tables).toEqual(
      expected.map((t) => ({
        schema: t.schema,
        table: t.table,
        totalBytes: t.total,
        heapBytes: t.heap,
        indexBytes: t.indexes,
        toastBytes: t.toast,
      })),
    );
    expect(findings.tables.map((t) => t.table).slice(0, 2)).toEqual(['sized_orders', 'sized_fresh_load']);
    const orders = findings.tables[0]!;
    expect(orders.toastBytes).toBeGreaterThan(0);
    expect(orders.heapBytes + orders.indexBytes + orders.toastBytes).toBe(orders.totalBytes);
    expect(findings.skipped).toEqual([]);
    expect(result.summary).toMatch(/largest table in postgres: sized_orders/);
  });

  it('measures the same largest indexes as pg_total_relation_size on every index', async () => {
    const result = await run(target, 'sizes', ['--limit', '4']);
    const expected = await truth<{ schema: string; index: string; bytes: number }>(ALL_INDEXES_SQL, [4]);
    expect(
      (result.findings as SizesFindings).indexes.map(({ schema, index, bytes }) => ({ schema, index, bytes })),
    ).toEqual(expected);
    expect((result.findings as SizesFindings).indexes[0]).toMatchObject({
      table: 'sized_orders',
      index: 'sized_orders_pkey',
    });
  });

  it('lists every connectable database with its pg_database_size', async () => {
    const result = await run(target, 'sizes');
    const findings = result.findings as SizesFindings;
    const expected = await truth<{ name: string; bytes: number }>(
      'SELECT datname AS name, pg_database_size(oid)::float8 AS bytes FROM pg_database WHERE datallowconn ORDER BY 1',
    );
    expect(findings.databases.map((d) => d.name).sort()).toEqual(expected.map((d) => d.name));
    for (const database of expected) {
      const found = findings.databases.find((d) => d.name === database.name)!;
      expect(found.readable).toBe(true);
      // The relation cache init file can be rewritten between the two reads; allow 1%.
      expect(Math.abs(found.bytes! - database.bytes)).toBeLessThanOrEqual(database.bytes * 0.01);
    }
    expect(findings.databases.map((d) => d.name)).not.toContain('template0');
  });

  it('skips and names a table another session holds ACCESS EXCLUSIVE on instead of waiting for it', async () => {
    const lock = await holdExclusiveLock(server.url(), 'sized_migration', 50_000);
    try {
      await lock.addWaiter(); // a queue behind the lock, as in a real incident
      const result = await run(target, 'sizes', ['--limit', '3']);
      const findings = result.findings as SizesFindings;
      expect(findings.skipped).toContainEqual({ schema: 'public', name: 'sized_migration' });
      expect(findings.tables.map((t) => t.table)).not.toContain('sized_migration');
      const expected = await truth<{ table: string }>(ALL_TABLES_SQL, [3, 'sized_migration']);
      expect(findings.tables.map((t) => t.table)).toEqual(expected.map((t) => t.table));
      expect(result.report.footnotes.join(' ')).toMatch(/ACCESS EXCLUSIVE.*sized_migration/);
      const [held] = await truth<{ granted: boolean }>(
        "SELECT granted FROM pg_locks WHERE relation = 'sized_migration'::regclass AND mode = 'AccessExclusiveLock'",
      );
      expect(held?.granted).toBe(true); // still held: the command did not need it released
    } finally {
      await lock.release();
      await lock.close();
    }
  });

  it('skips a table whose ACCESS EXCLUSIVE request is still waiting, since readers queue behind it', async () => {
    const queue = await queueExclusiveLock(server.url(), 'sized_queued', 50_000);
    try {
      const result = await run(target, 'sizes', ['--limit', '3']);
      const findings = result.findings as SizesFindings;
      expect(findings.skipped).toContainEqual({ schema: 'public', name: 'sized_queued' });
      expect(findings.tables.map((t) => t.table)).not.toContain('sized_queued');
      const [waiting] = await truth<{ granted: boolean }>(
        "SELECT granted FROM pg_locks WHERE relation = 'sized_queued'::regclass AND mode = 'AccessExclusiveLock'",
      );
      expect(waiting?.granted).toBe(false);
    } finally {
      await queue.release();
      await queue.close();
    }
  });

  it('flags databases the role may not connect to instead of failing', async () => {
    await truth('CREATE DATABASE sized_private');
    await truth('REVOKE CONNECT ON DATABASE sized_private FROM PUBLIC; CREATE ROLE sized_watcher LOGIN');
    // A plain login role: no pg_read_all_stats, so databases without CONNECT cannot be sized.
    const url = new URL(server.url());
    url.username = 'sized_watcher';
    url.password = '';
    const watcher = testTarget(url.toString());
    try {
      const result = await run(watcher, 'sizes');
      const findings = result.findings as SizesFindings;
      expect(findings.databases.find((d) => d.name === 'sized_private')).toEqual({
        name: 'sized_private',
        readable: false,
        bytes: null,
      });
      expect(findings.databases.find((d) => d.name === 'postgres')?.readable).toBe(true);
      expect(result.report.footnotes.join(' ')).toMatch(/No CONNECT privilege on sized_private/);
    } finally {
      await watcher.close();
    }
  });
});
