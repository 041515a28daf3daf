import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningVacuum, VacuumFindings, VacuumTable } from '../../commands/vacuum.js';
import type { Target } from '../../src/db/targets.js';
import { connect, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createVacuumStarved, type VacuumStarved } from '../support/scenarios/vacuum-starved.js';

async function vacuumFindings(target: Target, args: string[] = []) {
  const result = await run(target, 'vacuum', args);
  return { findings: result.findings as VacuumFindings, result };
}

const tableNamed = (findings: VacuumFindings, name: string): VacuumTable | undefined =>
  findings.tables.find((t) => t.table === name);

describe('vacuum on 18', () => {
  let server: TestServer;
  let target: Target;
  let scenario: VacuumStarved;
  let truth: pg.Client;

  beforeAll(async () => {
    server = await startTestServer(18);
    target = testTarget(server.url());
    scenario = await createVacuumStarved(server.url());
    truth = await connect(server.url(), 'scenario-truth');
  });
  afterAll(async () => {
    await scenario?.release();
    await scenario?.close();
    await truth?.end();
    await target?.close();
    await server?.stop();
  });

  it('compares dead tuples with the trigger autovacuum computes, honouring per-table settings', async () => {
    const { findings, result } = await vacuumFindings(target);
    const settings = Object.fromEntries(
      (
        await truth.query<{ name: string; setting: string }>(
          "SELECT name, setting FROM pg_settings WHERE name LIKE 'autovacuum_vacuum_%'",
        )
      ).rows.map((r) => [r.name, Number(r.setting)]),
    );
    const stats = async (name: string) =>
      (
        await truth.query<{ dead: number; reltuples: number }>(
          'SELECT s.n_dead_tup::int AS dead, c.reltuples::float8 AS reltuples FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = $1',
          [name],
        )
      ).rows[0]!;

    const starvedTruth = await stats(scenario.table);
    const expectedTrigger = Math.min(
      settings.autovacuum_vacuum_threshold! + settings.autovacuum_vacuum_scale_factor! * starvedTruth.reltuples,
      settings.autovacuum_vacuum_max_threshold!,
    );
    const starved = tableNamed(findings, scenario.table)!;
    expect(starved).toMatchObject({
      schema: 'public',
      deadTuples: starvedTruth.dead,
      autovacuumThreshold: Math.round(expectedTrigger),
      autovacuumEnabled: false,
      tableSettings: true,
      behind: true,
    });
    expect(starved.deadTuples).toBe(scenario.deadTuples);
    expect(starved.ratio).toBeCloseTo(starvedTruth.dead / expectedTrigger, 6);
    expect(starved.lastAnalyzeSeconds).toBeGreaterThanOrEqual(0);
    expect(starved.lastVacuumSeconds).toBeNull();

    const tuned = tableNamed(findings, scenario.tunedTable)!;
    expect(tuned).toMatchObject({
      autovacuumThreshold: 10,
      tableSettings: true,
      deadTuples: (await stats(scenario.tunedTable)).dead,
    });
    expect(tuned.ratio).toBeCloseTo(tuned.deadTuples / 10, 6);
    expect(findings.tables.indexOf(tuned)).toBeLessThan(findings.tables.indexOf(starved)); // furthest past its trigger first

    expect(findings.settings).toMatchObject({
      autovacuum: true,
      trackCounts: true,
      vacuumThreshold: settings.autovacuum_vacuum_threshold,
      vacuumMaxThreshold: settings.autovacuum_vacuum_max_threshold,
    });
    expect(findings.autovacuumDisabled.map((d) => d.table)).toEqual(
      expect.arrayContaining([scenario.table, scenario.tunedTable]),
    );
    expect(findings.overTriggerCount).toBeGreaterThanOrEqual(2);
    expect(result.status).toBe('crit'); // the tuned table is 800× past its trigger with autovacuum off
    expect(result.report.actions.map((a) => a.params.table)).toEqual([
      '"public"."starved_tuned_events"',
      '"public"."starved_events"',
    ]);
    expect(result.report.actions.every((a) => a.action === 'vacuum-table')).toBe(true);
    expect(result.report.footnotes.join('\n')).toMatch(/autovacuum_enabled = false on .*starved_events/);
  });

  it('names what holds the xmin horizon: the snapshot holder and the prepared transaction', async () => {
    const { findings, result } = await vacuumFindings(target);
    const [session] = (
      await truth.query<{ backend_start: string; xmin_age: number }>(
        'SELECT backend_start::text, age(backend_xmin) AS xmin_age FROM pg_stat_activity WHERE pid = $1',
        [scenario.holderPid],
      )
    ).rows;
    const holder = findings.horizon.find((h) => h.pid === scenario.holderPid)!;
    expect(holder).toMatchObject({
      kind: 'transaction',
      state: 'idle in transaction',
      name: 'scenario-xmin-holder',
      backendStart: session!.backend_start,
    });
    expect(holder.xminAge).toBeGreaterThan(0);
    expect(holder.xminAge).toBeLessThanOrEqual(session!.xmin_age); // read later, so never younger
    expect(holder.ageSeconds).toBeGreaterThan(0);
    const [prepared] = (
      await truth.query<{ xid_age: number }>(
        'SELECT age(transaction) AS xid_age FROM pg_prepared_xacts WHERE gid = $1',
        [scenario.preparedGid],
      )
    ).rows;
    const preparedHolder = findings.horizon.find((h) => h.kind === 'prepared transaction')!;
    expect(preparedHolder).toMatchObject({ name: scenario.preparedGid, pid: null, user: 'postgres' });
    expect(preparedHolder.xminAge).toBeGreaterThan(0);
    expect(preparedHolder.xminAge).toBeLessThanOrEqual(prepared!.xid_age);
    // oldest first: the snapshot was taken before the prepared transaction got its XID
    expect(findings.horizon.indexOf(holder)).toBeLessThan(findings.horizon.indexOf(preparedHolder));
    expect(findings.horizon.every((h) => h.name !== 'pgmedic')).toBe(true);
    expect(result.report.footnotes.join('\n')).toContain('ROLLBACK PREPARED');
  });

  it('shows that a manual VACUUM cannot clean what the horizon protects', async () => {
    await truth.query(`VACUUM ${scenario.table}`);
    await truth.query('SELECT pg_stat_force_next_flush()');
    const { findings } = await vacuumFindings(target);
    const starved = tableNamed(findings, scenario.table)!;
    expect(starved.lastVacuumSeconds).toBeGreaterThanOrEqual(0);
    const [after] = (
      await truth.query<{ dead: number }>(
        'SELECT n_dead_tup::int AS dead FROM pg_stat_user_tables WHERE relname = $1',
        [scenario.table],
      )
    ).rows;
    expect(after!.dead).toBe(scenario.deadTuples); // still there: the REPEATABLE READ snapshot may see them
    expect(starved.deadTuples).toBe(after!.dead);
  });

  it('applies autovacuum_vacuum_max_threshold as a cap on 18', async () => {
    await truth.query(`DROP TABLE IF EXISTS capped; CREATE TABLE capped (id int) WITH (autovacuum_enabled = false, autovacuum_vacuum_max_threshold = 100);
      INSERT INTO capped SELECT generate_series(1, 10000); ANALYZE capped`);
    const { findings } = await vacuumFindings(target, ['--limit', '100']);
    expect(tableNamed(findings, 'capped')).toMatchObject({ autovacuumThreshold: 100, tableSettings: true });
  });

  it('lists the tables closest to a forced anti-wraparound vacuum, as age(relfrozenxid) says', async () => {
    const { findings } = await vacuumFindings(target);
    const [oldest] = (
      await truth.query<{ age: number }>(
        "SELECT max(greatest(age(c.relfrozenxid), age(t.relfrozenxid)))::int AS age FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.relkind IN ('r', 'm')",
      )
    ).rows;
    expect(findings.wraparound.length).toBeGreaterThan(0);
    expect(findings.wraparound[0]!.xidAge).toBeGreaterThanOrEqual(oldest!.age);
    expect(findings.wraparound[0]!.freezeMaxAge).toBe(200_000_000);
  });

  it('leaves catalog tables out of the list unless they are past their trigger', async () => {
    // Autovacuum off while the catalogs' counters are compared, so it cannot clean them in between.
    await truth.query('ALTER SYSTEM SET autovacuum = off');
    await truth.query('SELECT pg_reload_conf()');
    try {
      await waitFor(
        async () => (await vacuumFindings(target)).findings.settings.autovacuum === false,
        'autovacuum off',
      );
      await truth.query(`DROP TABLE IF EXISTS quiet_user_table; CREATE TABLE quiet_user_table (id int); ANALYZE quiet_user_table;
        DO $$ BEGIN FOR i IN 1..200 LOOP EXECUTE format('CREATE TABLE catalog_churn_%s (a int, b int, c int, d int, e int)', i); EXECUTE format('DROP TABLE catalog_churn_%s', i); END LOOP; END $$;
        SELECT pg_stat_force_next_flush()`);
      const catalogs = async () =>
        (
          await truth.query<{ relname: string; dead: number; inserts: number; trigger: number }>(
            `SELECT s.relname, s.n_dead_tup::int AS dead, s.n_ins_since_vacuum::int AS inserts,
                    least(current_setting('autovacuum_vacuum_threshold')::float8 + current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0),
                          current_setting('autovacuum_vacuum_max_threshold')::float8) AS trigger
               FROM pg_stat_sys_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = 'pg_catalog'`,
          )
        ).rows;
      await waitFor(
        async () => (await catalogs()).find((c) => c.relname === 'pg_attribute' && c.dead > c.trigger),
        'pg_attribute past its trigger',
      );
      const { findings } = await vacuumFindings(target, ['--limit', '100']);
      const truthNow = await catalogs();
      const listed = findings.tables.filter((t) => t.schema === 'pg_catalog');
      const attribute = listed.find((t) => t.table === 'pg_attribute');
      expect(attribute?.deadTuples).toBe(truthNow.find((c) => c.relname === 'pg_attribute')!.dead);
      for (const past of truthNow.filter((c) => c.dead > c.trigger))
        expect(listed.map((t) => t.table)).toContain(past.relname);
      const quiet = truthNow.filter((c) => c.dead === 0 && c.inserts === 0).map((c) => c.relname);
      expect(quiet.length).toBeGreaterThan(10);
      expect(listed.filter((t) => quiet.includes(t.table))).toEqual([]);
      expect(
        listed.every(
          (t) =>
            t.deadTuples > t.autovacuumThreshold ||
            (t.insertThreshold !== null && t.insertsSinceVacuum > t.insertThreshold),
        ),
      ).toBe(true);
      // A user table is listed even with nothing to clean, and the counts still cover every table.
      expect(tableNamed(findings, 'quiet_user_table')).toMatchObject({ deadTuples: 0, behind: false });
      expect(findings.tableCount).toBeGreaterThan(findings.tables.length);
    } finally {
      await truth.query('ALTER SYSTEM RESET autovacuum');
      await truth.query('SELECT pg_reload_conf()');
    }
  });
});

/** A VACUUM (FREEZE) that waits for a cleanup lock on a page a cursor keeps pinned: it stays in pg_stat_progress_vacuum. */
async function withWaitingVacuum(url: string, work: (pid: number) => Promise<void>): Promise<void> {
  const setup = await connect(url, 'scenario-vacuum-progress');
  const pinner = await connect(url, 'scenario-pinner');
  const vacuumer = await connect(url, 'scenario-vacuumer');
  try {
    await setup.query(
      'DROP TABLE IF EXISTS pinned; CREATE TABLE pinned (id int, note text); INSERT INTO pinned SELECT g, repeat($$z$$, 50) FROM generate_series(1, 5000) g',
    );
    await pinner.query('BEGIN; DECLARE pin CURSOR FOR SELECT * FROM pinned; FETCH 1 FROM pin');
    const pid = (await vacuumer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const vacuuming = vacuumer.query('VACUUM (FREEZE) pinned');
    try {
      await waitFor(
        async () =>
          (await setup.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'BufferPin'", [pid]))
            .rowCount,
        'VACUUM to wait on the pinned page',
      );
      await work(pid);
    } finally {
      await pinner.query('COMMIT'); // unpins the page: the VACUUM finishes
      await vacuuming;
    }
  } finally {
    await Promise.all([setup.end(), pinner.end(), vacuumer.end()]);
  }
}

describe.each([16, 17] as const)('vacuum progress on %i', (major) => {
  let server: TestServer;
  let target: Target;
  beforeAll(async () => {
    server = await startTestServer(major);
    target = testTarget(server.url());
  });
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  it('reports the running VACUUM with its progress, as pg_stat_progress_vacuum shows it', async () => {
    await withWaitingVacuum(server.url(), async (pid) => {
      const { findings, result } = await vacuumFindings(target);
      const running = findings.running.find((r) => r.pid === pid) as RunningVacuum;
      const truth = await connect(server.url(), 'scenario-truth');
      const [progress] = (await truth.query('SELECT * FROM pg_stat_progress_vacuum WHERE pid = $1', [pid])).rows;
      await truth.end();
      expect(running).toMatchObject({
        schema: 'public',
        table: 'pinned',
        phase: progress.phase,
        autovacuum: false,
        toPreventWraparound: false,
        waitEvent: 'BufferPin',
      });
      expect(running.heapBlocksTotal).toBe(Number(progress.heap_blks_total));
      if (major >= 17) {
        expect(running.maxDeadTupleBytes).toBe(Number(progress.max_dead_tuple_bytes));
        expect(running.maxDeadTuples).toBeNull();
        expect(running.deadItemIds).toBe(Number(progress.num_dead_item_ids));
        expect(running.indexesTotal).toBe(Number(progress.indexes_total));
      } else {
        expect(running.maxDeadTuples).toBe(Number(progress.max_dead_tuples));
        expect(running.maxDeadTupleBytes).toBeNull();
        expect(running.deadItemIds).toBe(Number(progress.num_dead_tuples));
      }
      const section = result.report.sections.find((s) => s.title === 'Vacuums running now');
      expect(
        section?.kind === 'table' && section.rows.some((row) => row[0] === String(pid) && row[1] === 'pinned'),
      ).toBe(true);
    });
  });
});
