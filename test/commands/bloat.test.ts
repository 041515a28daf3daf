import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BloatFindings, RelationBloat } from '../../commands/bloat.js';
import type { Target } from '../../src/db/targets.js';
import { clientPool, connect, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBloatedTable, type BloatedTable } from '../support/scenarios/bloated-table.js';

let server: TestServer;
let scenario: BloatedTable;
let admin: pg.Client;
const targets: Target[] = [];

function target(url = server.url()): Target {
  const created = testTarget(url);
  targets.push(created);
  return created;
}

async function bloat(
  args: string[],
  on = target(),
): Promise<
  BloatFindings & { status: string; footnotes: string[]; actions: { action: string; params: Record<string, string> }[] }
> {
  const result = await run(on, 'bloat', args);
  return {
    ...(result.findings as BloatFindings),
    status: result.status,
    footnotes: result.report.footnotes,
    actions: result.report.actions,
  };
}

const findRelation = (findings: BloatFindings, name: string): RelationBloat | undefined =>
  findings.relations.find((r) => (r.index ?? r.table) === name);

/** Ground truth for a heap: pgstattuple's share of free space (dead tuples are ≈ 0 after VACUUM). */
async function heapTruth(name: string): Promise<number> {
  const { rows } = await admin.query<{ free_percent: number; dead_tuple_percent: number }>(
    'SELECT free_percent, dead_tuple_percent FROM pgstattuple($1::regclass)',
    [name],
  );
  return rows[0]!.free_percent + rows[0]!.dead_tuple_percent;
}

/** Ground truth for a btree: the share of the index beyond leaves packed to the fillfactor (90). */
async function indexTruth(name: string): Promise<{ percent: number; density: number }> {
  const { rows } = await admin.query<{
    index_size: number;
    internal_pages: number;
    leaf_pages: number;
    avg_leaf_density: number;
  }>(
    'SELECT index_size::float8, internal_pages::float8, leaf_pages::float8, avg_leaf_density FROM pgstatindex($1::regclass)',
    [name],
  );
  const row = rows[0]!;
  const needed = (1 + row.internal_pages + (row.leaf_pages * row.avg_leaf_density) / 90) * 8192;
  return { percent: (100 * (row.index_size - needed)) / row.index_size, density: row.avg_leaf_density };
}

beforeAll(async () => {
  server = await startTestServer(18);
  scenario = await createBloatedTable(server.url());
  admin = await connect(server.url(), 'scenario-truth');
});
afterAll(async () => {
  await admin?.end();
  await Promise.all(targets.map((t) => t.close()));
  await server?.stop();
});

describe('bloat', () => {
  it('says how to install pgstattuple when --exact cannot run', async () => {
    const findings = await bloat(['--min-size', '512kB', '--exact']);
    expect(findings.exact).toMatchObject({ requested: true, unavailable: 'not-installed', confirmed: 0 });
    expect(findings.footnotes.join('\n')).toContain('`CREATE EXTENSION pgstattuple;`');
    expect(findRelation(findings, scenario.table)?.exactBloatPercent).toBeUndefined();
  });

  it('estimates table and index bloat within 10 points of pgstattuple, with the control near zero', async () => {
    await admin.query('CREATE EXTENSION IF NOT EXISTS pgstattuple');
    const findings = await bloat(['--min-size', '0', '--limit', '100']);
    const table = findRelation(findings, scenario.table)!;
    const truth = await heapTruth(scenario.table);
    expect(truth).toBeGreaterThan(50);
    expect(Math.abs(table.bloatPercent - truth)).toBeLessThanOrEqual(10);
    const [dead] = (
      await admin.query<{ n: number }>('SELECT n_dead_tup::int AS n FROM pg_stat_user_tables WHERE relname = $1', [
        scenario.table,
      ])
    ).rows;
    expect(table).toMatchObject({
      kind: 'table',
      schema: 'public',
      index: null,
      reliable: true,
      unreliableReasons: [],
      deadTuples: dead!.n,
      locked: false,
    });
    const [size] = (
      await admin.query<{ bytes: number }>('SELECT pg_relation_size($1::regclass)::float8 AS bytes', [scenario.table])
    ).rows;
    expect(table.totalBytes).toBe(size!.bytes);
    expect(table.bloatBytes).toBe(Math.round((table.totalBytes * table.bloatPercent) / 100));

    const control = findRelation(findings, scenario.controlTable)!;
    expect(control.bloatPercent).toBeLessThan(10);
    expect(Math.abs(control.bloatPercent - (await heapTruth(scenario.controlTable)))).toBeLessThanOrEqual(10);

    const index = findRelation(findings, scenario.index)!;
    const indexTruthNow = await indexTruth(scenario.index);
    expect(index).toMatchObject({
      kind: 'index',
      schema: 'public',
      table: scenario.table,
      index: scenario.index,
      reliable: true,
      deadTuples: null,
    });
    expect(Math.abs(index.bloatPercent - indexTruthNow.percent)).toBeLessThanOrEqual(10);
    expect(findRelation(findings, scenario.controlIndex)!.bloatPercent).toBeLessThan(10);

    expect(findings.status).toBe('crit');
    expect(findings.footnotes.join('\n')).toMatch(/does not shrink it.*pg_repack/);
    expect(findings.actions).toEqual([]); // n_dead_tup ≈ 0: VACUUM is no fix for bloat
  });

  it('confirms the top rows with pgstattuple_approx and pgstatindex under --exact', async () => {
    const findings = await bloat(['--min-size', '512kB', '--exact'], target());
    expect(findings.exact).toMatchObject({ requested: true, unavailable: null });
    const table = findRelation(findings, scenario.table)!;
    expect(Math.abs(table.exactBloatPercent! - (await heapTruth(scenario.table)))).toBeLessThanOrEqual(5);
    expect(table.exactDeadTuplePercent).toBe(0);
    const index = findRelation(findings, scenario.index)!;
    const truth = await indexTruth(scenario.index);
    expect(index.exactLeafDensity).toBeCloseTo(truth.density, 5);
    expect(index.exactBloatPercent).toBeCloseTo(truth.percent, 0);
  });

  it('applies the size floor on relpages, with units', async () => {
    const [pages] = (
      await admin.query<{ relpages: number }>('SELECT relpages FROM pg_class WHERE relname = $1', [scenario.table])
    ).rows;
    const justAbove = `${Math.floor((pages!.relpages * 8) / 1024) + 1}MB`;
    const none = await bloat(['--min-size', justAbove]);
    expect(findRelation(none, scenario.table)).toBeUndefined();
    const some = await bloat(['--min-size', '1 MB']);
    expect(some.minSizeBytes).toBe(1024 * 1024);
    expect(findRelation(some, scenario.table)).toBeDefined();
    expect(some.relations.every((r) => r.totalBytes >= 1024 * 1024 || r.locked)).toBe(true);
    const byDefault = await bloat([]);
    expect(byDefault.minSizeBytes).toBe(100 * 1024 * 1024);
    expect(byDefault.relations).toEqual([]);
    expect(byDefault.status).toBe('ok');
  });

  it('flags estimates whose statistics are missing or hidden from the role', async () => {
    await admin.query(`DROP TABLE IF EXISTS bloat_unanalyzed; CREATE TABLE bloat_unanalyzed (id int, note text) WITH (autovacuum_enabled = false);
      INSERT INTO bloat_unanalyzed SELECT g, repeat('x', 200) FROM generate_series(1, 10000) g`);
    await admin.query('SELECT pg_stat_force_next_flush()');
    await waitFor(
      async () =>
        (await admin.query("SELECT 1 FROM pg_stat_user_tables WHERE relname = 'bloat_unanalyzed' AND n_live_tup > 0"))
          .rowCount,
      'live tuples in stats',
    );
    await admin.query(
      `DROP ROLE IF EXISTS bloat_monitor; CREATE ROLE bloat_monitor LOGIN PASSWORD 'monitor'; GRANT pg_monitor TO bloat_monitor`,
    );
    const findings = await bloat(['--min-size', '512kB']);
    const unanalyzed = findRelation(findings, 'bloat_unanalyzed')!;
    expect(unanalyzed.reliable).toBe(false);
    expect(unanalyzed.unreliableReasons[0]).toMatch(/never vacuumed or analyzed/);

    const monitorUrl = new URL(server.url());
    monitorUrl.username = 'bloat_monitor';
    monitorUrl.password = 'monitor';
    const asMonitor = await bloat(['--min-size', '512kB'], target(monitorUrl.toString()));
    const [columns] = (
      await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
        [scenario.table],
      )
    ).rows;
    const hidden = findRelation(asMonitor, scenario.table)!;
    expect(hidden.reliable).toBe(false);
    expect(hidden.unreliableReasons).toContain(
      `pg_stats hides ${columns!.n} of ${columns!.n} columns from this role (no SELECT privilege on them)`,
    );
    expect(asMonitor.hiddenStatsRelations).toContain(`public.${scenario.table}`);
    // pgstattuple (callable through pg_monitor's pg_stat_scan_tables) replaces the estimate built on hidden statistics
    expect(asMonitor.hiddenStats.measured).toBeGreaterThanOrEqual(1);
    expect(hidden.exactBloatPercent).toBeCloseTo(await heapTruth(scenario.table), -1);
    expect(asMonitor.footnotes.join('\n')).toMatch(/pg_stats hides columns of .* pgstattuple measured/);
    expect(asMonitor.footnotes.join('\n')).not.toMatch(/pg_catalog|pg_authid|pg_statistic/);
  });

  it('says which grant --exact needs when the role may not call pgstattuple', async () => {
    await admin.query(`DROP ROLE IF EXISTS bloat_plain; CREATE ROLE bloat_plain LOGIN PASSWORD 'plain'`); // a plain login role, no grants
    const plainUrl = new URL(server.url());
    plainUrl.username = 'bloat_plain';
    plainUrl.password = 'plain';
    const findings = await bloat(['--min-size', '512kB', '--exact'], target(plainUrl.toString()));
    const [granted] = (
      await admin.query<{ ok: boolean }>(
        "SELECT has_function_privilege('bloat_plain', 'pgstattuple_approx(regclass)', 'EXECUTE') AS ok",
      )
    ).rows;
    expect(granted!.ok).toBe(false);
    expect(findings.exact).toMatchObject({ requested: true, unavailable: 'no-privilege', confirmed: 0 });
    expect(findings.footnotes.join('\n')).toContain('GRANT pg_stat_scan_tables TO <role>;');
  });

  it('skips relations held in ACCESS EXCLUSIVE and says so', async () => {
    const clients = clientPool(server.url());
    const holder = await clients.open('scenario-locker');
    try {
      await holder.query(`BEGIN; LOCK TABLE ${scenario.table} IN ACCESS EXCLUSIVE MODE`);
      const findings = await bloat(['--min-size', '512kB', '--exact']);
      expect(findings.lockedRelations).toEqual(expect.arrayContaining([`public.${scenario.table}`]));
      const table = findRelation(findings, scenario.table)!;
      expect(table).toMatchObject({ locked: true, exactBloatPercent: null });
      expect(findRelation(findings, scenario.index)!.exactBloatPercent).toBeNull();
      expect(findings.footnotes.join('\n')).toContain(`Skipped (held in ACCESS EXCLUSIVE`);
    } finally {
      await holder.query('ROLLBACK');
      await clients.closeAll();
    }
  });

  it('offers VACUUM only for tables autovacuum is behind on, never VACUUM FULL', async () => {
    const worker = await connect(server.url(), 'scenario-starve');
    await worker.query(`DROP TABLE IF EXISTS bloat_starved; CREATE TABLE bloat_starved (id int, note text) WITH (autovacuum_enabled = false);
      INSERT INTO bloat_starved SELECT g, repeat('y', 100) FROM generate_series(1, 20000) g; ANALYZE bloat_starved`);
    await worker.query('DELETE FROM bloat_starved WHERE id % 4 <> 0');
    await worker.query('SELECT pg_stat_force_next_flush()');
    await worker.end();
    await waitFor(
      async () =>
        (await admin.query("SELECT 1 FROM pg_stat_user_tables WHERE relname = 'bloat_starved' AND n_dead_tup > 0"))
          .rowCount,
      'dead tuples in stats',
    );
    const findings = await bloat(['--min-size', '512kB']);
    const starved = findRelation(findings, 'bloat_starved')!;
    expect(starved.deadTuples).toBe(15000);
    expect(starved.autovacuumThreshold).toBe(50 + 0.2 * 20000);
    expect(starved.autovacuumBehind).toBe(true);
    const [truth] = (await admin.query<{ oid: string }>("SELECT 'bloat_starved'::regclass::oid::text AS oid")).rows;
    expect(findings.actions).toEqual([
      {
        action: 'vacuum-table',
        label: 'VACUUM bloat_starved',
        params: { table: '"public"."bloat_starved"', oid: truth!.oid },
      },
    ]);
    const [resolved] = (
      await admin.query<{ name: string }>('SELECT to_regclass($1)::text AS name', [findings.actions[0]!.params.table])
    ).rows;
    expect(resolved!.name).toBe('bloat_starved');
  });
});
