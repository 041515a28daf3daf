import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCommands } from '../../src/engine/registry.js';
import type { Target } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import {
  idleInTransactionSession,
  prepareHealingServer,
  sessionAlive,
  startInstance,
  type HealingInstance,
  type HealingServer,
} from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createMaintenanceTargets } from '../support/scenarios/maintenance-targets.js';

// 14 is the oldest supported major: pg_terminate_backend(pid, timeout) and REINDEX CONCURRENTLY must work there too.
let server: TestServer;
let env: HealingServer;
let bot: HealingInstance;
let monitor: Target;

beforeAll(async () => {
  server = await startTestServer(14);
  env = await prepareHealingServer(server);
  await createMaintenanceTargets(env.appUrl);
  bot = await startInstance(env);
  monitor = testTarget(env.monitorUrl);
});
afterAll(async () => {
  await bot?.close();
  await monitor?.close();
  await server?.stop();
});

describe('healing actions on PostgreSQL 14', () => {
  it('previews every action command with its default options without touching anything', async () => {
    for (const command of listCommands('action')) {
      const result = await run(monitor, command.name);
      expect(result.status).toBe('ok');
      expect(result.summary).toMatch(/^Name (a|an) (session|table|index|statement)\b/);
    }
  });

  it('refuses a typed name that is no relation name at all as "no such table", not an error (to_regclass raises on 14)', async () => {
    for (const [action, name, noun] of [
      ['vacuum-table', 'a.b.c.d', 'table or materialized view'],
      ['analyze', '"unterminated', 'table or materialized view'],
      ['drop-index', 'otherdb.public.items_a', 'index'],
    ] as const) {
      const asked = await bot.healing.requestAction({ action, tokens: [name], requestedBy: 'U_ALICE' });
      expect(asked.notice).toMatchObject({
        kind: 'refused',
        reason: 'preview_refused',
        text: `There is no ${noun} named "${name}" in this database.`,
      });
    }
  });

  it('terminates a session and reports that it exited', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    const { request } = await bot.healing.requestAction({
      action: 'terminate',
      tokens: [String(victim.pid)],
      requestedBy: 'U_ALICE',
    });
    const done = await bot.healing.approve({ requestId: request!.id, userId: 'U_BOB' });
    expect(done.request).toMatchObject({ status: 'succeeded', outcome: { result: [{ exited: true }] } });
    expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(false);
    await victim.client.end().catch(() => undefined);
  });

  it('explain-analyze runs as the monitoring role: a function that terminates a session is refused, the session lives', async () => {
    const admin = await connect(env.adminUrl);
    await admin.query(`CREATE FUNCTION tidy_sessions(victim int) RETURNS boolean LANGUAGE plpgsql VOLATILE
      AS $$ BEGIN RETURN pg_terminate_backend(victim); END $$`);
    await admin.end();
    const victim = await idleInTransactionSession(env.appUrl);
    try {
      const { request } = await bot.healing.requestAction({
        action: 'explain-analyze',
        tokens: [`SELECT tidy_sessions(${victim.pid})`],
        requestedBy: 'U_ALICE',
      });
      const done = (await bot.healing.approve({ requestId: request!.id, userId: 'U_BOB' })).request!;
      expect(done.status).toBe('failed');
      // 14 and 15 word the refusal differently from 16+; the SQLSTATE is the same.
      expect(done.outcome!.error).toEqual({
        code: '42501',
        message: 'must be a member of the role whose process is being terminated or member of pg_signal_backend',
      });
      expect(done.outcome!.summary).toContain("It ran as the target's monitoring role");
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
      expect((await bot.healing.requestAudit(request!.id)).map((e) => e.event)).toEqual([
        'requested',
        'approved',
        'execution_started',
        'execution_failed',
      ]);
    } finally {
      await victim.client.end().catch(() => undefined);
    }
  });

  it('rebuilds an invalid index and drops a duplicate one, concurrently', async () => {
    const reindex = await bot.healing.requestAction({
      action: 'reindex',
      tokens: ['items_b_unique'],
      requestedBy: 'U_ALICE',
    });
    expect((await bot.healing.approve({ requestId: reindex.request!.id, userId: 'U_BOB' })).request!.status).toBe(
      'succeeded',
    );
    const drop = await bot.healing.requestAction({
      action: 'drop-index',
      tokens: ['items_a_dup'],
      requestedBy: 'U_ALICE',
    });
    expect((await bot.healing.approve({ requestId: drop.request!.id, userId: 'U_BOB' })).request!.status).toBe(
      'succeeded',
    );
    const admin = await connect(env.adminUrl);
    const { rows } = await admin.query(
      "SELECT relname, (SELECT indisvalid FROM pg_index WHERE indexrelid = c.oid) AS valid FROM pg_class c WHERE relname IN ('items_b_unique', 'items_a_dup')",
    );
    await admin.end();
    expect(rows).toEqual([{ relname: 'items_b_unique', valid: true }]);
  });
});
