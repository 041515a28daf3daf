import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ratesBetween, type PerformanceFindings } from '../../commands/performance.js';
import type { Major } from '../../src/embedded/binaries.js';
import type { Target } from '../../src/db/targets.js';
import { connect, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import {
  causeDeadlock,
  createDatabase,
  rollBackTransactions,
  spillSortToTempFile,
} from '../support/scenarios/database-activity.js';

interface StatRow {
  rollbacks: number;
  temp_files: number;
  temp_bytes: number;
  deadlocks: number;
}

const STATS_SQL =
  "SELECT xact_rollback::int AS rollbacks, temp_files::int, temp_bytes::float8 AS temp_bytes, deadlocks::int FROM pg_stat_database WHERE datname = 'perfdb'";

// 16 reads pg_stat_bgwriter, 17 and 18 pg_stat_checkpointer (18 adds columns): each SQL path on a real server.
describe.each([16, 17, 18] as Major[])('performance on PostgreSQL %i', (major) => {
  let server: TestServer;
  let target: Target;

  beforeAll(async () => {
    server = await startTestServer(major);
    target = testTarget(server.url());
    await createDatabase(server.url(), 'perfdb');
    await rollBackTransactions(server.url('perfdb'), 7);
    await spillSortToTempFile(server.url('perfdb'));
    await causeDeadlock(server.url('perfdb'));
  });
  afterAll(async () => {
    await target?.close();
    await server?.stop();
  });

  async function settledStats(): Promise<StatRow> {
    const truth = await connect(server.url());
    try {
      return await waitFor(async () => {
        const row = (await truth.query<StatRow>(STATS_SQL)).rows[0];
        return row && row.rollbacks >= 8 && row.temp_files >= 1 && row.deadlocks >= 1 ? row : undefined;
      }, 'perfdb statistics to arrive');
    } finally {
      await truth.end();
    }
  }

  it('reports the rollbacks, temp file and deadlock pg_stat_database counted', async () => {
    const truth = await settledStats();
    const result = await run(target, 'performance');
    const perfdb = (result.findings as PerformanceFindings).databases.find((d) => d.database === 'perfdb')!;
    expect(perfdb).toMatchObject({
      rollbacks: truth.rollbacks,
      tempFiles: truth.temp_files,
      tempBytes: truth.temp_bytes,
      deadlocks: truth.deadlocks,
      conflicts: 0,
    });
    expect(perfdb.rollbackPct).toBeCloseTo((100 * perfdb.rollbacks) / (perfdb.rollbacks + perfdb.commits), 6);
    expect((result.findings as PerformanceFindings).databases.map((d) => d.database)).not.toContain('template1');
    expect(result.report.footnotes.some((n) => n.includes('work_mem'))).toBe(true);
  });

  it('reads checkpoint counters from the view this version has', async () => {
    const truth = await connect(server.url());
    const view = major >= 17 ? 'pg_stat_checkpointer' : 'pg_stat_bgwriter';
    const requestedColumn = major >= 17 ? 'num_requested' : 'checkpoints_req';
    const requested = async () =>
      (await truth.query<{ n: number }>(`SELECT ${requestedColumn}::int AS n FROM ${view}`)).rows[0]!.n;
    const before = await requested();
    await truth.query('CHECKPOINT');
    const after = await waitFor(
      async () => ((await requested()) > before ? requested() : undefined),
      'the checkpoint to be counted',
    );
    await truth.end();
    const checkpoints = ((await run(target, 'performance')).findings as PerformanceFindings).checkpoints;
    expect(checkpoints.source).toBe(view);
    expect(checkpoints.requested).toBe(after);
    expect(checkpoints.restartpointsTimed === null).toBe(major < 17);
  });

  it('turns two samples into rates (the hook for stored snapshots)', async () => {
    await settledStats();
    const first = (await run(target, 'performance')).findings as PerformanceFindings;
    const previous = first.databases.find((d) => d.database === 'perfdb')!.rollbacks;
    await rollBackTransactions(server.url('perfdb'), 5);
    const truth = await connect(server.url());
    await waitFor(
      async () => (await truth.query<StatRow>(STATS_SQL)).rows[0]!.rollbacks >= previous + 5,
      'new rollbacks to arrive',
    );
    await truth.end();
    const second = (await run(target, 'performance')).findings as PerformanceFindings;
    const rates = ratesBetween(first, second).find((r) => r.database === 'perfdb')!;
    expect(rates.rollbacksPerSecond * (second.sampledAtEpoch - first.sampledAtEpoch)).toBeCloseTo(5, 6);
  });
});
