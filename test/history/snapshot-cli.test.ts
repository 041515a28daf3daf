import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { pgmedic } from '../support/cli.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';

describe('pgmedic snapshot', () => {
  let server: TestServer;
  let state: pg.Pool;

  beforeAll(async () => {
    server = await startTestServer(18);
    const admin = await connect(server.url());
    for (const name of ['app', 'state', 'empty_state']) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const app = await connect(server.url('app'));
    await app.query('CREATE EXTENSION pg_stat_statements');
    await app.end();
    state = createStatePool(server.url('state'));
    await migrateStateDatabase(state);
  }, 60_000);
  afterAll(async () => {
    await state?.end();
    await server?.stop();
  });

  it('takes one snapshot of the target and stores it in the state database', async () => {
    const run = await pgmedic(['snapshot'], {
      DATABASE_URL: server.url('app'),
      PGMEDIC_STATE_DATABASE_URL: server.url('state'),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { rows } = await state.query<{ id: string; target: string; statements_status: string }>(
      'SELECT id::text AS id, target, statements_status FROM pgmedic.history_snapshots',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ target: 'default', statements_status: 'recorded' });
    expect(run.stdout).toMatch(new RegExp(`^default: snapshot ${rows[0]!.id} taken at \\S+: \\d+ statements, `));
    const json = await pgmedic(['snapshot', '--target', 'default', '--format', 'json'], {
      DATABASE_URL: server.url('app'),
      PGMEDIC_STATE_DATABASE_URL: server.url('state'),
    });
    expect(JSON.parse(json.stdout).snapshots[0]).toMatchObject({ target: 'default', status: 'taken' });
  });

  it('slow-queries --since reads the stored snapshots on the command line, meta.window included', async () => {
    const env = { DATABASE_URL: server.url('app'), PGMEDIC_STATE_DATABASE_URL: server.url('state') };
    const run = await pgmedic(['slow-queries', '--since', '24h', '--format', 'json'], env);
    expect(run.stderr).toBe('');
    const json = JSON.parse(run.stdout);
    expect(json.meta.window).toMatchObject({ requestedSeconds: 86_400, coversRequest: false });
    const { rows } = await state.query<{ taken_at: Date }>(
      'SELECT taken_at FROM pgmedic.history_snapshots ORDER BY taken_at LIMIT 1',
    );
    expect(json.meta.window.from).toBe(rows[0]!.taken_at.toISOString());
    const text = await pgmedic(['slow-queries', '--since', '24h'], env);
    expect(text.stdout).toContain('No snapshot is 24h old');
    const without = await pgmedic(['slow-queries', '--since', '24h'], { DATABASE_URL: server.url('app') });
    expect(without.stdout).toContain('set PGMEDIC_STATE_DATABASE_URL');
    const hostile = await pgmedic(['slow-queries', '--since', '24; DROP TABLE x'], env);
    expect(hostile.code).toBe(3);
    expect(hostile.stderr).toContain('1h, 24h or 7d');
  });

  it('says what to set when there is no state database, no schema, or an unknown target', async () => {
    const none = await pgmedic(['snapshot'], { DATABASE_URL: server.url('app') });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('PGMEDIC_STATE_DATABASE_URL is not set');
    const empty = await pgmedic(['snapshot'], {
      DATABASE_URL: server.url('app'),
      PGMEDIC_STATE_DATABASE_URL: server.url('empty_state'),
    });
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain('pgmedic migrate-state');
    const unknown = await pgmedic(['snapshot', '--target', "x'; DROP TABLE y"], {
      DATABASE_URL: server.url('app'),
      PGMEDIC_STATE_DATABASE_URL: server.url('state'),
    });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('No target named');
    const extra = await pgmedic(['snapshot', '--limit', '5'], { DATABASE_URL: server.url('app') });
    expect(extra.code).toBe(3);
    expect(extra.stderr).toContain('`snapshot` takes only a target');
  });

  it('records nothing for an unreachable target and exits 3', async () => {
    const run = await pgmedic(['snapshot'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/app',
      PGMEDIC_STATE_DATABASE_URL: server.url('state'),
    });
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^default: no snapshot recorded: /);
    const { rows } = await state.query('SELECT count(*)::int AS n FROM pgmedic.history_snapshots');
    expect(rows[0].n).toBe(2);
  });
});
