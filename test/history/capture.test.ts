import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/db/targets.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { readHistorySnapshot, textsOf } from '../../src/state/history.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, waitFor } from '../support/clients.js';
import { testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

/** Snapshots on every supported version: the SQL that differs (checkpointer, pg_stat_statements columns) runs on each. */
describe.each([14, 15, 16, 17, 18] as const)('query history snapshots on PostgreSQL %i', (major) => {
  let server: TestServer;
  let state: pg.Pool;
  let target: Target;
  let bare: Target;
  let app: pg.Client;

  beforeAll(async () => {
    server = await startTestServer(major);
    const admin = await connect(server.url());
    for (const name of ['app', 'state', 'bare']) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    app = await connect(server.url('app'));
    await app.query('CREATE EXTENSION pg_stat_statements');
    await app.query('CREATE TABLE items (id int PRIMARY KEY, note text)');
    state = createStatePool(server.url('state'));
    await migrateStateDatabase(state);
    target = testTarget(server.url('app'));
    bare = testTarget(server.url('bare'));
  }, 60_000);
  afterAll(async () => {
    await app?.end();
    await Promise.all([target?.close(), bare?.close(), state?.end()]);
    await server?.stop();
  });

  it('stores each statement’s counters exactly as pg_stat_statements has them, and its text once', async () => {
    for (let i = 0; i < 7; i++) await app.query('INSERT INTO items VALUES ($1, $2)', [i, `note ${i}`]);
    const { id, snapshot } = await takeSnapshot(target, state);
    const { rows: truth } = await app.query<{ id: string; calls: number; rows: number; total: number; query: string }>(
      `SELECT queryid::text AS id, calls::float8 AS calls, rows::float8 AS rows, total_exec_time AS total, query
       FROM pg_stat_statements WHERE query LIKE 'INSERT INTO items%'`,
    );
    expect(truth).toHaveLength(1);
    const stored = await readHistorySnapshot(state, id);
    expect(stored!.statements).toEqual(snapshot.statements);
    const entries = 'entries' in stored!.statements ? stored!.statements.entries : [];
    const insert = entries.find((e) => e.queryId === truth[0]!.id);
    expect(insert).toMatchObject({ calls: 7, rows: 7, totalMs: truth[0]!.total });
    expect(insert!.toplevel).toBe(true);
    expect(insert!.statsSince === null).toBe(major < 17);
    // pgmedic's own statements are not recorded.
    const texts = await textsOf(
      state,
      'test',
      entries.map((e) => e.queryId),
    );
    expect([...texts.values()].filter((t) => t.includes('/* pgmedic:'))).toEqual([]);
    expect(texts.get(truth[0]!.id)).toBe(truth[0]!.query);
    // The next snapshot fetches and stores only texts it does not have yet.
    const again = await takeSnapshot(target, state);
    const next = 'entries' in again.snapshot.statements ? again.snapshot.statements.entries : [];
    const known = new Set(entries.map((e) => e.queryId));
    expect(again.texts).toBe(new Set(next.map((e) => e.queryId).filter((q) => !known.has(q))).size);
    expect(again.texts).toBeLessThan(known.size);
  });

  it('reads the checkpointer where this version keeps it, and the server’s epoch marks', async () => {
    await app.query('CHECKPOINT');
    const view = major >= 17 ? 'pg_stat_checkpointer' : 'pg_stat_bgwriter';
    const column = major >= 17 ? 'num_requested' : 'checkpoints_req';
    // PostgreSQL 14's statistics collector publishes the count a moment later.
    await waitFor(
      async () => (await app.query(`SELECT ${column} > 0 AS done FROM ${view}`)).rows[0]?.done,
      'the checkpoint to be counted',
    );
    const { snapshot } = await takeSnapshot(target, state);
    const { rows } = await app.query<{ requested: number; start: string }>(
      `SELECT ${column}::float8 AS requested, extract(epoch FROM pg_postmaster_start_time())::text AS start FROM ${view}`,
    );
    expect(snapshot.checkpoints.source).toBe(view);
    expect(snapshot.checkpoints.requested).toBe(rows[0]!.requested);
    expect(snapshot.checkpoints.requested).toBeGreaterThan(0);
    expect(snapshot.postmasterStart).toBe(rows[0]!.start);
    expect(snapshot.inRecovery).toBe(false);
    expect(snapshot.replication).toEqual({
      role: 'primary',
      standbys: [],
      replayLagBytes: null,
      replayLagSeconds: null,
    });
    const appRow = snapshot.databases.find((d) => d.database === 'app');
    const { rows: size } = await app.query<{ bytes: number }>("SELECT pg_database_size('app')::float8 AS bytes");
    expect(appRow!.sizeBytes).toBe(size[0]!.bytes);
    expect(snapshot.relations.map((r) => r.relation)).toContain('items');
  });

  it('records a target without pg_stat_statements, and says why its statements are missing', async () => {
    const { id } = await takeSnapshot(bare, state);
    const stored = await readHistorySnapshot(state, id);
    expect(stored!.statements).toEqual({ unavailable: 'not-installed' });
    expect(stored!.databases.map((d) => d.database)).toContain('bare');
  });
});
