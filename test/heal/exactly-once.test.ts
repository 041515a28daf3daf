import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import terminate from '../../actions/terminate.js';
import { targetSchema } from '../../src/config/schema.js';
import { runOnActionConnection } from '../../src/heal/execute.js';
import { connect, waitFor } from '../support/clients.js';
import {
  idleInTransactionSession,
  prepareHealingServer,
  sessionAlive,
  startInstance,
  type HealingInstance,
  type HealingServer,
} from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { PGMEDIC_APPLICATION_NAME } from '../../src/db/sql.js';

let server: TestServer;
let env: HealingServer;

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
});
afterAll(async () => {
  await server?.stop();
});

/** How often PostgreSQL itself ran pgmedic's terminate statement (pg_stat_statements is ground truth). */
async function terminateCalls(): Promise<number> {
  const admin = await connect(env.adminUrl);
  const { rows } = await admin.query<{ calls: string | null }>(
    "SELECT sum(calls)::text AS calls FROM pg_stat_statements WHERE query LIKE '%SELECT pg_catalog.pg_terminate_backend(a.pid, %'",
  );
  await admin.end();
  return Number(rows[0]?.calls ?? 0);
}

describe('exactly once, across copies and restarts', () => {
  it('executes once when 20 approvals arrive at once through two independent bot copies', async () => {
    const [first, second] = [await startInstance(env), await startInstance(env)];
    const victim = await idleInTransactionSession(env.appUrl);
    try {
      const before = await terminateCalls();
      const { request } = await first.healing.requestAction({
        action: 'terminate',
        tokens: [String(victim.pid)],
        requestedBy: 'U_ALICE',
        channel: 'C1',
      });
      const approvers = ['U_BOB', 'U_CAROL', 'U_GRACE'];
      const clicks = Array.from({ length: 20 }, (_, i) =>
        ((i % 2 ? second : first) as HealingInstance).healing.approve({
          requestId: request!.id,
          userId: approvers[i % 3]!,
          channel: 'C1',
        }),
      );
      const results = await Promise.all(clicks);

      expect(results.filter((r) => r.notice.kind === 'succeeded')).toHaveLength(1);
      expect(results.filter((r) => r.notice.reason === 'already_decided')).toHaveLength(19);
      expect(await terminateCalls()).toBe(before + 1);
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(false);

      const trail = await second.healing.requestAudit(request!.id);
      const count = (event: string) => trail.filter((e) => e.event === event).length;
      expect([
        count('requested'),
        count('approved'),
        count('execution_started'),
        count('executed'),
        count('refused'),
      ]).toEqual([1, 1, 1, 1, 19]);
      const winner = results.find((r) => r.notice.kind === 'succeeded')!.request!;
      expect(trail.find((e) => e.event === 'approved')!.actor).toBe(winner.decidedBy);
      // The execution is audited between the approval and the outcome.
      const order = trail.map((e) => e.event).filter((e) => e !== 'refused');
      expect(order).toEqual(['requested', 'approved', 'execution_started', 'executed']);
      expect((await first.healing.getRequest(request!.id))!.status).toBe('succeeded');
    } finally {
      await victim.client.end().catch(() => undefined);
      await first.close();
      await second.close();
    }
  });

  it('stays approvable after a restart between request and approval (nothing lives in memory)', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    const before = await startInstance(env);
    const { request } = await before.healing.requestAction({
      action: 'terminate',
      tokens: [String(victim.pid)],
      requestedBy: 'U_ALICE',
    });
    await before.healing.attachMessage(request!.id, 'C9', '1700000000.000100');
    await before.close();

    const after = await startInstance(env);
    try {
      const approved = await after.healing.approve({ requestId: request!.id, userId: 'U_BOB' });
      expect(approved.notice.kind).toBe('succeeded');
      expect(approved.request).toMatchObject({ channel: 'C9', messageTs: '1700000000.000100', status: 'succeeded' });
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(false);
    } finally {
      await after.close();
      await victim.client.end().catch(() => undefined);
    }
  });

  it('needs as many distinct approvers as configured for the action', async () => {
    const strict = await startInstance(env, { healing: { actions: { terminate: { approvalsRequired: 2 } } } });
    const victim = await idleInTransactionSession(env.appUrl);
    try {
      const { request } = await strict.healing.requestAction({
        action: 'terminate',
        tokens: [String(victim.pid)],
        requestedBy: 'U_ALICE',
      });
      expect(request!.approvalsRequired).toBe(2);
      const one = await strict.healing.approve({ requestId: request!.id, userId: 'U_BOB' });
      const again = await strict.healing.approve({ requestId: request!.id, userId: 'U_BOB' });
      expect(one).toMatchObject({
        notice: { kind: 'approval_recorded' },
        request: { status: 'pending', approvers: ['U_BOB'] },
      });
      expect(again.notice).toMatchObject({ kind: 'refused', reason: 'already_approved_by_you' });
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
      const two = await strict.healing.approve({ requestId: request!.id, userId: 'U_GRACE' });
      expect(two.request).toMatchObject({ status: 'succeeded', approvers: ['U_BOB', 'U_GRACE'], decidedBy: 'U_GRACE' });
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(false);
    } finally {
      await strict.close();
      await victim.client.end().catch(() => undefined);
    }
  });

  it('never signals a session whose backend_start differs, even when the pid matches (a reused pid)', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    const bot = await startInstance(env);
    try {
      const stale = { pid: String(victim.pid), backendStart: '2001-01-01 00:00:00.000001+00' };
      const asked = await bot.healing.requestAction({ action: 'terminate', params: stale, requestedBy: 'U_ALICE' });
      expect(asked.notice).toMatchObject({ kind: 'refused', reason: 'preview_refused' });
      expect(asked.notice.text).toBe(
        `pid ${victim.pid} is now a different session (started ${victim.backendStart}); the one in the report (started ${stale.backendStart}) has ended.`,
      );
      // The statement's own guard, run directly with the stale identity: no row, no signal.
      const config = targetSchema.parse({ name: 'prod', url: env.monitorUrl, actionUrl: env.healerUrl });
      const rows = await runOnActionConnection(
        config,
        'terminate',
        terminate.action!,
        terminate.action!.statement(stale).text,
        terminate.action!.statement(stale).values,
      );
      expect(rows).toEqual([]);
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
    } finally {
      await bot.close();
      await victim.client.end();
    }
  });

  it("refuses superuser sessions and pgmedic's own backends at preview", async () => {
    const bot = await startInstance(env);
    const admin = await connect(env.adminUrl, 'admin-console');
    try {
      const { rows } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const superuser = await bot.healing.requestAction({
        action: 'terminate',
        tokens: [String(rows[0]!.pid)],
        requestedBy: 'U_ALICE',
      });
      expect(superuser.notice.text).toMatch(
        /\(postgres\) is a superuser session; pgmedic never signals superuser sessions/,
      );
      const own = await admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE application_name = $1 LIMIT 1',
        [`${PGMEDIC_APPLICATION_NAME}-state`],
      );
      const ownResult = await bot.healing.requestAction({
        action: 'terminate',
        tokens: [String(own.rows[0]!.pid)],
        requestedBy: 'U_ALICE',
      });
      expect(ownResult.notice).toMatchObject({
        kind: 'refused',
        reason: 'preview_refused',
        text: `There is no client session with pid ${own.rows[0]!.pid} (it ended, or it is pgmedic's own).`,
      });
    } finally {
      await admin.end();
      await bot.close();
    }
  });

  it('cancels only a running query, and only the one that was approved', async () => {
    const bot = await startInstance(env);
    const worker = await connect(env.appUrl, 'worker');
    try {
      const { rows } = await worker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const idle = await bot.healing.requestAction({
        action: 'cancel',
        tokens: [String(rows[0]!.pid)],
        requestedBy: 'U_ALICE',
      });
      expect(idle.notice.text).toMatch(/is idle: there is no query to cancel/);
      const running = worker.query('SELECT pg_sleep(60)').then(
        () => 'finished',
        (error: { code?: string }) => error.code,
      );
      const admin = await connect(env.adminUrl);
      await waitFor(
        async () =>
          (await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [rows[0]!.pid]))
            .rowCount,
        'the query to start',
      );
      await admin.end();
      const { request } = await bot.healing.requestAction({
        action: 'cancel',
        tokens: [String(rows[0]!.pid)],
        requestedBy: 'U_ALICE',
      });
      expect(request!.statementValues[2]).toBe(request!.params.queryStart);
      const approved = await bot.healing.approve({ requestId: request!.id, userId: 'U_BOB' });
      expect(approved.request?.status).toBe('succeeded');
      expect(await running).toBe('57014');
    } finally {
      await worker.end();
      await bot.close();
    }
  });
});
