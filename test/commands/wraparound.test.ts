import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STOP_LIMIT_AGE, type WraparoundFindings } from '../../commands/wraparound.js';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { consumeXids, createMultixacts, holdTemporaryTable } from '../support/scenarios/aged-xids.js';

let server: TestServer;
let target: Target;

beforeAll(async () => {
  server = await startTestServer(18);
  target = testTarget(server.url());
  const setup = await connect(server.url());
  await setup.query(
    'CREATE TABLE wrap_low (id int, note text) WITH (autovacuum_freeze_max_age = 100000); INSERT INTO wrap_low VALUES (1, $$a$$)',
  );
  await setup.query('CREATE TABLE wrap_plain (id int); INSERT INTO wrap_plain VALUES (1)');
  await setup.query('CREATE DATABASE wrapdb');
  await setup.end();
  const other = await connect(server.url('wrapdb'));
  await other.query('CREATE TABLE wrap_elsewhere (id int) WITH (autovacuum_freeze_max_age = 100000)');
  await other.end();
  await createMultixacts(server.url(), 'wrap_low', 3);
  await consumeXids(server.url(), 2000);
});
afterAll(async () => {
  await target?.close();
  await server?.stop();
});

interface TruthRow {
  name: string;
  xid_age: number;
  mxid_age: number;
}

async function truth(sql: string, url = server.url()): Promise<Map<string, TruthRow>> {
  const client = await connect(url);
  const rows = (await client.query<TruthRow>(sql)).rows;
  await client.end();
  return new Map(rows.map((r) => [r.name, r]));
}

describe('wraparound', () => {
  it('matches age(datfrozenxid) and mxid_age(datminmxid) for every database', async () => {
    const findings = (await run(target, 'wraparound')).findings as WraparoundFindings;
    const ages = await truth(
      'SELECT datname AS name, age(datfrozenxid) AS xid_age, mxid_age(datminmxid) AS mxid_age FROM pg_database',
    );
    expect(findings.databases.map((d) => d.database).sort()).toEqual([...ages.keys()].sort());
    for (const d of findings.databases) {
      const expected = ages.get(d.database)!;
      expect(expected.xid_age - d.xidAge).toBeGreaterThanOrEqual(0);
      expect(expected.xid_age - d.xidAge).toBeLessThanOrEqual(3);
      expect(d.multixactAge).toBe(expected.mxid_age);
      expect(d.pctToStopLimit).toBeCloseTo((100 * Math.max(d.xidAge, d.multixactAge)) / STOP_LIMIT_AGE, 9);
    }
    expect(findings.freezeMaxAge).toBe(200_000_000);
  });

  it('ranks the table with a low autovacuum_freeze_max_age reloption first, with its own ages', async () => {
    const result = await run(target, 'wraparound');
    const findings = result.findings as WraparoundFindings;
    const ages = await truth(
      "SELECT relname AS name, age(relfrozenxid) AS xid_age, mxid_age(relminmxid) AS mxid_age FROM pg_class WHERE relname IN ('wrap_low', 'wrap_plain')",
    );
    const [first] = findings.tables;
    expect(first).toMatchObject({
      schema: 'public',
      table: 'wrap_low',
      freezeMaxAge: 100_000,
      multixactFreezeMaxAge: 400_000_000,
      temporary: false,
    });
    expect(ages.get('wrap_low')!.xid_age - first!.xidAge).toBeLessThanOrEqual(3);
    expect(first!.xidAge).toBeGreaterThanOrEqual(2000);
    expect(first!.multixactAge).toBe(ages.get('wrap_low')!.mxid_age);
    expect(first!.multixactAge).toBeGreaterThanOrEqual(3);
    expect(first!.pctToForcedVacuum).toBeCloseTo(first!.xidAge / 1000, 9);
    expect(findings.tablesDatabase).toBe('postgres');
    expect(result.summary).toContain('Closest table in postgres: wrap_low');
  });

  it('lists the tables of another database given positionally', async () => {
    const findings = (await run(target, 'wraparound', ['wrapdb'])).findings as WraparoundFindings;
    const ages = await truth(
      "SELECT relname AS name, age(relfrozenxid) AS xid_age, 0 AS mxid_age FROM pg_class WHERE relname = 'wrap_elsewhere'",
      server.url('wrapdb'),
    );
    expect(findings.tablesDatabase).toBe('wrapdb');
    expect(findings.tables[0]).toMatchObject({ table: 'wrap_elsewhere', freezeMaxAge: 100_000 });
    expect(ages.get('wrap_elsewhere')!.xid_age - findings.tables[0]!.xidAge).toBeLessThanOrEqual(3);
  });

  it("flags another session's temporary table, which autovacuum cannot freeze", async () => {
    const temp = await holdTemporaryTable(server.url(), 'wrap_temp');
    try {
      await consumeXids(server.url(), 10);
      const result = await run(target, 'wraparound', ['--limit', '100']);
      const row = (result.findings as WraparoundFindings).tables.find((t) => t.table === 'wrap_temp');
      expect(row).toMatchObject({ temporary: true, freezeMaxAge: 100_000 });
      expect(row!.schema).toMatch(/^pg_temp_\d+$/);
      expect(result.report.footnotes.some((n) => n.startsWith('Autovacuum cannot process temporary tables'))).toBe(
        true,
      );
    } finally {
      await temp.close();
    }
  });

  it('judges the oldest database against the xidAge thresholds', async () => {
    const strict = testTarget(server.url(), { thresholds: { xidAge: { warn: 1000, crit: 1_000_000 } } });
    try {
      const result = await run(strict, 'wraparound');
      expect(result.status).toBe('warn');
      expect((await run(target, 'wraparound')).status).toBe('ok');
    } finally {
      await strict.close();
    }
  });
});
