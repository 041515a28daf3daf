import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/db/targets.js';
import { captureSnapshot } from '../../src/schedule/history/capture.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, loginRole } from '../support/clients.js';
import { testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

/** A role with only pg_monitor takes the same snapshot as the superuser: every part, every user's statements. */
describe.each([14, 18] as const)('snapshots as a pg_monitor role on PostgreSQL %i', (major) => {
  let server: TestServer;
  let state: pg.Pool;
  let monitor: Target;
  let superuser: Target;

  beforeAll(async () => {
    server = await startTestServer(major);
    const admin = await connect(server.url());
    await admin.query('CREATE DATABASE state');
    await admin.query('CREATE EXTENSION pg_stat_statements');
    await admin.query('CREATE TABLE private_data AS SELECT g AS id FROM generate_series(1, 5000) g');
    await admin.query('REVOKE ALL ON private_data FROM PUBLIC');
    for (let i = 0; i < 3; i++) await admin.query('SELECT count(*) FROM private_data WHERE id > $1', [i]);
    await admin.query('ANALYZE private_data');
    await admin.end();
    const url = await loginRole(server.url(), 'pgmedic_monitor');
    const grant = await connect(server.url());
    await grant.query('GRANT pg_monitor TO pgmedic_monitor');
    await grant.end();
    state = createStatePool(server.url('state'));
    await migrateStateDatabase(state);
    monitor = testTarget(url, { name: 'monitor' });
    superuser = testTarget(server.url(), { name: 'superuser' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([monitor?.close(), superuser?.close(), state?.end()]);
    await server?.stop();
  });

  it('reads statements, sizes and counters without any grant beyond pg_monitor', async () => {
    const [asMonitor, asSuperuser] = [await captureSnapshot(monitor, state), await captureSnapshot(superuser, state)];
    const entries = (s: typeof asMonitor) => ('entries' in s.snapshot.statements ? s.snapshot.statements.entries : []);
    const scan = (s: typeof asMonitor) =>
      entries(s).find((e) => s.texts.get(e.queryId)?.startsWith('SELECT count(*) FROM private_data'));
    expect(scan(asMonitor)?.calls).toBe(3);
    expect(scan(asMonitor)?.queryId).toBe(scan(asSuperuser)?.queryId);
    expect(asMonitor.snapshot.relations.find((r) => r.relation === 'private_data')).toEqual(
      asSuperuser.snapshot.relations.find((r) => r.relation === 'private_data'),
    );
    expect(asMonitor.snapshot.databases.map((d) => d.sizeBytes)).toEqual(
      asSuperuser.snapshot.databases.map((d) => d.sizeBytes),
    );
    expect(asMonitor.snapshot.statements).toMatchObject({ statsReset: expect.any(String) });
    expect(asMonitor.snapshot.checkpoints.source).toBe(asSuperuser.snapshot.checkpoints.source);
  });
});
