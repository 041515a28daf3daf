import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerformanceWindowFindings } from '../../commands/performance/since.js';
import type { WindowFindings } from '../../commands/slow-queries/since.js';
import { startCluster, type Cluster } from '../../src/embedded/cluster.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { stateHistory } from '../../src/state/history-reader.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { testTarget } from '../support/engine.js';
import { runWithHistory, slowQueries } from '../support/history.js';

const SCAN = 'SELECT count(*) FROM pg_class WHERE relpages > $1';

/** A server restarted between the snapshot and now: its kept counters continue, nothing goes negative. */
describe('query history across a server restart', () => {
  let parent: string;
  let cluster: Cluster;
  let state: pg.Pool;
  let stateCluster: Cluster;

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'pgmedic-history-restart-'));
    stateCluster = await startCluster({ major: 18 });
    cluster = await startCluster({ major: 17, dataDir: join(parent, 'data') });
    const admin = await connect(cluster.url());
    await admin.query('CREATE EXTENSION pg_stat_statements');
    await admin.end();
    state = createStatePool(stateCluster.url());
    await migrateStateDatabase(state);
  }, 60_000);
  afterAll(async () => {
    await state?.end();
    await cluster?.stop();
    await stateCluster?.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  it('counts statements and activity across the restart', async () => {
    const run = async (times: number) => {
      const client = await connect(cluster.url());
      for (let i = 0; i < times; i++) await client.query(SCAN, [i]);
      const { rows } = await client.query<{ calls: number }>(
        'SELECT calls::float8 AS calls FROM pg_stat_statements WHERE query = $1',
        [SCAN],
      );
      await client.end();
      return rows[0]!.calls;
    };
    await run(5);
    const target = testTarget(cluster.url());
    await takeSnapshot(target, state);
    await target.close();
    const before = await run(2);
    await cluster.stop();
    cluster = await startCluster({ major: 17, dataDir: join(parent, 'data') });
    const after = await run(3);
    const again = testTarget(cluster.url());
    try {
      const findings = (await slowQueries(again, ['--since', '1h', '--limit', '100'], stateHistory(state)))
        .findings as Extract<WindowFindings, { state: 'ready' }>;
      // pg_stat_statements keeps its entries over a clean restart: the delta is the real one.
      expect(after).toBe(before + 3);
      expect(findings.statements.find((s) => s.query === SCAN)).toMatchObject({ calls: 5, baseline: 'counted' });
      const performance = (await runWithHistory(again, 'performance', ['--since', '1h'], stateHistory(state)))
        .findings as Extract<PerformanceWindowFindings, { state: 'ready' }>;
      expect(performance.restarted).toBe(true);
      for (const d of performance.databases) expect(d.commits).toBeGreaterThanOrEqual(0);
      expect(performance.checkpoints.timed).toBeGreaterThanOrEqual(0);
      expect(performance.checkpoints.requested).toBeGreaterThanOrEqual(0);
    } finally {
      await again.close();
    }
  });
});
