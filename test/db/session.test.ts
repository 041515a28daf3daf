import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/db/targets.js';
import { listCommands } from '../../src/engine/registry.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

let server: TestServer;
const targets: Target[] = [];

function target(url: string, overrides: Parameters<typeof testTarget>[1] = {}): Target {
  const created = testTarget(url, overrides);
  targets.push(created);
  return created;
}

beforeAll(async () => {
  server = await startTestServer(18);
  const admin = await connect(server.url());
  await admin.query('CREATE EXTENSION pg_stat_statements; CREATE SCHEMA elsewhere');
  await admin.end();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
  await server?.stop();
});

describe('diagnostic connections', () => {
  it('start read-only with the target’s own timeouts, set at connection start', async () => {
    const t = target(server.url(), { statementTimeoutMs: 300, lockTimeoutMs: 123 });
    const settings = await t.readOnly('probe', (s) =>
      s.query<{ ro: string; st: string; lt: string }>(
        "SELECT current_setting('transaction_read_only') AS ro, current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt",
      ),
    );
    expect(settings[0]).toEqual({ ro: 'on', st: '300ms', lt: '123ms' });
    await expect(t.readOnly('probe', (s) => s.query('CREATE TABLE sneaky (id int)'))).rejects.toThrow(/read-only/);
    await expect(t.readOnly('probe', (s) => s.query('SELECT pg_sleep(5)'))).rejects.toThrow(/timeout|gave up/i);
  });

  it('keep options the connection string already carries (e.g. a search_path)', async () => {
    const url = new URL(server.url());
    url.searchParams.set('options', '-c search_path=elsewhere');
    const t = target(url.toString());
    const [row] = await t.readOnly('probe', (s) =>
      s.query<{ path: string; ro: string }>(
        "SELECT current_setting('search_path') AS path, current_setting('transaction_read_only') AS ro",
      ),
    );
    expect(row).toEqual({ path: 'elsewhere', ro: 'on' });
  });

  it('send only tagged statements: no BEGIN, SET or COMMIT around a check', async () => {
    const admin = await connect(server.url(), 'scenario-truth');
    await admin.query('CREATE ROLE session_monitor LOGIN PASSWORD $$pw$$ IN ROLE pg_monitor');
    const url = new URL(server.url());
    url.username = 'session_monitor';
    url.password = 'pw';
    const t = target(url.toString());
    for (const command of listCommands('diagnostic')) await run(t, command.name);
    const { rows } = await admin.query<{ query: string }>(
      "SELECT s.query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'session_monitor'",
    );
    await admin.end();
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((r) => !r.query.includes('/* pgmedic:'))).toEqual([]);
  });
});
