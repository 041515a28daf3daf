import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerformanceWindowFindings } from '../../commands/performance/since.js';
import type { Target } from '../../src/db/targets.js';
import { toJson } from '../../src/report/json.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { stateHistory } from '../../src/state/history-reader.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, waitFor } from '../support/clients.js';
import { testTarget } from '../support/engine.js';
import { runWithHistory } from '../support/history.js';
import { startTestServer, type TestServer } from '../support/pg.js';

type Ready = Extract<PerformanceWindowFindings, { state: 'ready' }>;

describe.each([14, 18] as const)('performance --since on PostgreSQL %i', (major) => {
  let server: TestServer;
  let state: pg.Pool;
  let target: Target;
  let admin: pg.Client;

  /** pg_stat_database of `work` (nobody but the test uses it) and the checkpointer, once they stop moving. */
  const truth = async () => {
    const view = major >= 17 ? 'pg_stat_checkpointer' : 'pg_stat_bgwriter';
    const column = major >= 17 ? 'num_requested' : 'checkpoints_req';
    const read = async () =>
      JSON.stringify(
        (
          await admin.query(
            `SELECT xact_commit::float8 AS commits, xact_rollback::float8 AS rollbacks, deadlocks::float8 AS deadlocks,
                    (SELECT ${column}::float8 FROM ${view}) AS requested
             FROM pg_stat_database WHERE datname = 'work'`,
          )
        ).rows[0],
      );
    let last = await read();
    // Backends publish their counters up to a second after a transaction (15+): wait until two reads agree.
    const settled = await waitFor(
      async () => {
        await new Promise((r) => setTimeout(r, 1100));
        const next = await read();
        const same = next === last;
        last = next;
        return same && next;
      },
      'statistics to settle',
      20_000,
    );
    return JSON.parse(settled) as { commits: number; rollbacks: number; deadlocks: number; requested: number };
  };

  beforeAll(async () => {
    server = await startTestServer(major);
    admin = await connect(server.url());
    for (const name of ['work', 'state']) await admin.query(`CREATE DATABASE ${name}`);
    state = createStatePool(server.url('state'));
    await migrateStateDatabase(state);
    target = testTarget(server.url());
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await Promise.all([target?.close(), state?.end()]);
    await server?.stop();
  });

  it('gives commits, rollbacks, deadlocks and checkpoints within the window as PostgreSQL counted them', async () => {
    const work = await connect(server.url('work'));
    const other = await connect(server.url('work'));
    await work.query('CREATE TABLE t (id int PRIMARY KEY)');
    await work.query('INSERT INTO t VALUES (1), (2)');
    const before = await truth();
    await takeSnapshot(target, state);
    for (let i = 0; i < 40; i++) await work.query('SELECT 1');
    for (let i = 0; i < 7; i++) {
      await work.query('BEGIN');
      await work.query('ROLLBACK');
    }
    // One real deadlock: two sessions lock the same two rows in opposite order.
    await work.query('BEGIN');
    await other.query('BEGIN');
    await work.query('UPDATE t SET id = id WHERE id = 1');
    await other.query('UPDATE t SET id = id WHERE id = 2');
    const first = work.query('UPDATE t SET id = id WHERE id = 2').catch((e: Error) => e);
    const second = other.query('UPDATE t SET id = id WHERE id = 1').catch((e: Error) => e);
    const outcomes = await Promise.all([first, second]);
    expect(outcomes.filter((o) => o instanceof Error && /deadlock/.test(o.message))).toHaveLength(1);
    await work.query('ROLLBACK');
    await other.query('ROLLBACK');
    await work.end();
    await other.end();
    await admin.query('CHECKPOINT');
    await admin.query('CHECKPOINT');
    const after = await truth();
    const result = await runWithHistory(target, 'performance', ['--since', '1h'], stateHistory(state));
    const findings = result.findings as Ready;
    expect(findings.state).toBe('ready');
    const row = findings.databases.find((d) => d.database === 'work')!;
    expect(row).toMatchObject({
      commits: after.commits - before.commits,
      rollbacks: after.rollbacks - before.rollbacks,
      deadlocks: 1,
      reset: false,
    });
    expect(row.rollbacks).toBeGreaterThanOrEqual(9);
    expect(row.commitsPerSecond).toBeCloseTo(row.commits / findings.window.seconds, 9);
    expect(row.deadlocksPerMinute).toBeCloseTo(60 / findings.window.seconds, 9);
    expect(findings.checkpoints).toMatchObject({
      source: major >= 17 ? 'pg_stat_checkpointer' : 'pg_stat_bgwriter',
      requested: after.requested - before.requested,
    });
    expect(findings.checkpoints.requested).toBeGreaterThanOrEqual(2);
    expect((toJson(result).meta as { window?: unknown }).window).toEqual(findings.window);
  });

  it('counts from a statistics reset within the window, never negative', async () => {
    const work = await connect(server.url('work'));
    for (let i = 0; i < 30; i++) await work.query('SELECT 1');
    await truth();
    await state.query('DELETE FROM pgmedic.history_snapshots');
    await takeSnapshot(target, state);
    await work.query('SELECT pg_stat_reset()');
    for (let i = 0; i < 3; i++) await work.query('SELECT 1');
    await work.end();
    const after = await truth();
    const findings = (await runWithHistory(target, 'performance', ['--since', '1h'], stateHistory(state)))
      .findings as Ready;
    const row = findings.databases.find((d) => d.database === 'work')!;
    expect(row.reset).toBe(true);
    expect(row.commits).toBe(after.commits);
    for (const d of findings.databases)
      for (const value of [d.commits, d.rollbacks, d.deadlocks, d.tempBytes, d.tempFiles, d.blocksHit, d.blocksRead])
        expect(value).toBeGreaterThanOrEqual(0);
  });
});
