import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target, Targets } from '../../src/db/targets.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { createScheduler } from '../../src/schedule/scheduler.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { recordingLog, recordingSlack, targetsOf } from '../support/schedule.js';

const SLEEP = 'SELECT pg_sleep($1)';

describe('the digest’s history sections', () => {
  let server: TestServer;
  let state: pg.Pool;
  let targets: Targets;
  let target: Target;
  let app: pg.Client;

  const snapshotDated = async (hoursAgo: number) => {
    const { id } = await takeSnapshot(target, state);
    await state.query(
      'UPDATE pgmedic.history_snapshots SET taken_at = taken_at - make_interval(secs => $2) WHERE id = $1',
      [id, hoursAgo * 3600],
    );
  };
  const sleep = async (seconds: number, times: number) => {
    for (let i = 0; i < times; i++) await app.query(SLEEP, [seconds]);
  };
  const sizeOfBig = async () =>
    (await app.query<{ bytes: number }>("SELECT (pg_table_size('big') + pg_indexes_size('big'))::float8 AS bytes"))
      .rows[0]!.bytes;
  const digestNow = () =>
    createScheduler({
      statePool: state,
      targets,
      poster: recordingSlack().posterFor('digest'),
      log: recordingLog(),
      schedule: { digests: [], alerts: undefined },
    }).digestNow({ targets: ['app'] });

  beforeAll(async () => {
    server = await startTestServer(18);
    const admin = await connect(server.url());
    for (const name of ['app', 'state']) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    app = await connect(server.url('app'));
    await app.query('CREATE EXTENSION pg_stat_statements');
    await app.query('CREATE TABLE big (id int PRIMARY KEY, pad text)');
    state = createStatePool(server.url('state'));
    await migrateStateDatabase(state);
    targets = targetsOf([{ name: 'app', url: server.url('app') }]);
    target = targets.get('app');
  }, 60_000);
  afterAll(async () => {
    await app?.end();
    await Promise.all([targets?.closeAll(), state?.end()]);
    await server?.stop();
  });

  it('leaves them out until there are two days of snapshots', async () => {
    await snapshotDated(1);
    const digest = await digestNow();
    const titles = digest.targets[0]!.pieces.map((p) => p.report?.title);
    expect(titles).not.toContain('Queries that got slower since yesterday');
    expect(titles).not.toContain('Largest growth in size since yesterday');
    expect(digest.targets[0]!.pieces.every((p) => p.error === null)).toBe(true);
    await state.query('DELETE FROM pgmedic.history_snapshots');
  });

  it('shows the queries that got slower since yesterday and the largest growth in size', async () => {
    await sleep(0.001, 25);
    await snapshotDated(48.1);
    await sleep(0.001, 25);
    await app.query('ANALYZE big');
    await snapshotDated(24.1);
    const before = await sizeOfBig();
    await sleep(0.02, 25);
    await app.query("INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
    await app.query('ANALYZE big');
    await takeSnapshot(target, state);
    const after = await sizeOfBig();
    const pieces = (await digestNow()).targets[0]!.pieces;
    const slower = pieces.find((p) => p.report?.title === 'Queries that got slower since yesterday');
    expect(slower?.error).toBeNull();
    const row = slower!.report!.sections[0];
    expect(row?.kind === 'table' && row.rows[0]![7]).toBe(SLEEP);
    const growth = pieces.find((p) => p.report?.title === 'Largest growth in size since yesterday');
    const tables = (growth!.findings as { name: string; kind: string; growth: number }[]).filter(
      (g) => g.kind === 'table',
    );
    expect(tables[0]).toMatchObject({ name: 'big', growth: after - before });
    expect(growth!.report!.summary).toContain('big grew most: ');
  });
});
