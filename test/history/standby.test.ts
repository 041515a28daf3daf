import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/embedded/cluster.js';
import type { Target } from '../../src/db/targets.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { readHistorySnapshot } from '../../src/state/history.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, waitFor } from '../support/clients.js';
import { testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { startStandby } from '../support/standby.js';

describe.each([14, 18] as const)('snapshots of a primary and its standby on PostgreSQL %i', (major) => {
  let primary: TestServer;
  let standby: Cluster;
  let state: pg.Pool;
  let onPrimary: Target;
  let onStandby: Target;

  beforeAll(async () => {
    primary = await startTestServer(major, { embedded: true });
    const admin = await connect(primary.url());
    await admin.query('CREATE EXTENSION pg_stat_statements');
    await admin.query('CREATE DATABASE state');
    await admin.end();
    standby = await startStandby(primary.cluster!);
    const probe = await connect(standby.url());
    await waitFor(
      async () => (await probe.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")).rowCount,
      'the standby to replay the extension',
    );
    await probe.end();
    state = createStatePool(primary.url('state'));
    await migrateStateDatabase(state);
    onPrimary = testTarget(primary.url(), { name: 'primary' });
    onStandby = testTarget(standby.url(), { name: 'standby' });
  }, 90_000);
  afterAll(async () => {
    await Promise.all([onPrimary?.close(), onStandby?.close(), state?.end()]);
    await standby?.stop();
    await primary?.stop();
  });

  it('records what applies on each: standbys and their lag on the primary, replay delay and statements on the standby', async () => {
    const fromPrimary = await takeSnapshot(onPrimary, state);
    expect(fromPrimary.snapshot.inRecovery).toBe(false);
    expect(fromPrimary.snapshot.replication?.role).toBe('primary');
    expect(fromPrimary.snapshot.replication?.standbys).toHaveLength(1);
    expect(fromPrimary.snapshot.replication?.standbys[0]?.state).toBe('streaming');
    const fromStandby = await takeSnapshot(onStandby, state);
    const stored = await readHistorySnapshot(state, fromStandby.id);
    expect(stored).toMatchObject({ target: 'standby', inRecovery: true });
    expect(stored!.replication).toMatchObject({ role: 'standby', standbys: [] });
    expect(stored!.replication!.replayLagBytes).toBeGreaterThanOrEqual(0);
    // pg_stat_statements counts the standby's own read queries.
    expect('entries' in stored!.statements).toBe(true);
    expect(stored!.checkpoints.source).toBe(major >= 17 ? 'pg_stat_checkpointer' : 'pg_stat_bgwriter');
  });
});
