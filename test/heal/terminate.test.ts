import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionFindings } from '../../actions/pinned-session.js';
import type { Target } from '../../src/db/targets.js';
import { connect, waitFor } from '../support/clients.js';
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
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';

let server: TestServer;
let env: HealingServer;
let bot: HealingInstance;
let monitor: Target;

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  bot = await startInstance(env);
  monitor = testTarget(env.monitorUrl);
});
afterAll(async () => {
  await bot?.close();
  await monitor?.close();
  await server?.stop();
});

const events = async (instance: HealingInstance, requestId: string) =>
  (await instance.healing.requestAudit(requestId)).map((e) => (e.reason ? `${e.event}:${e.reason}` : e.event));

describe('terminate behind approval', () => {
  it('ends the root of a real blocking chain after an approver approves; the blocked sessions proceed', async () => {
    const chain = await createBlockingChain(env.appUrl);
    try {
      const locks = await run(monitor, 'locks');
      const offered = locks.report.actions.find((a) => a.action === 'terminate')!;
      expect(offered.params.pid).toBe(String(chain.rootPid));

      const asked = await bot.healing.requestAction({
        action: 'terminate',
        target: 'prod',
        params: offered.params,
        requestedBy: 'U_ALICE',
        channel: 'C_INCIDENT',
      });
      const request = asked.request!;
      expect(asked.notice.kind).toBe('requested');
      expect(request).toMatchObject({
        status: 'pending',
        action: 'terminate',
        target: 'prod',
        requestedBy: 'U_ALICE',
        channel: 'C_INCIDENT',
        approvalsRequired: 1,
        approvers: [],
      });
      expect(request.statement).toContain('pg_terminate_backend(a.pid, 5000)');
      expect(request.statementValues).toEqual([String(chain.rootPid), offered.params.backendStart]);
      const preview = (request.details.findings as SessionFindings).session!;
      expect(preview).toMatchObject({
        pid: chain.rootPid,
        user: 'app',
        application: 'scenario-root',
        state: 'idle in transaction',
        backendStart: offered.params.backendStart,
      });
      expect(preview.blocks.sort()).toEqual([chain.middlePid, chain.tailPid].sort());
      expect(preview.query).toContain('UPDATE chain_accounts');
      expect(Date.parse(request.expiresAt) - Date.parse(request.createdAt)).toBe(10 * 60_000);

      const approved = await bot.healing.approve({ requestId: request.id, userId: 'U_BOB', channel: 'C_INCIDENT' });
      expect(approved.notice).toMatchObject({
        kind: 'succeeded',
        text: `Session ${chain.rootPid} was terminated and has exited.`,
      });
      expect(approved.request).toMatchObject({
        status: 'succeeded',
        decidedBy: 'U_BOB',
        approvers: ['U_BOB'],
        outcome: { ok: true },
      });

      expect(await sessionAlive(env.adminUrl, chain.rootPid, offered.params.backendStart!)).toBe(false);
      const truth = await connect(env.adminUrl);
      // The root's update is rolled back; the middle (+1) and the tail (+2) went through.
      await waitFor(
        async () => (await truth.query('SELECT 1 FROM chain_accounts WHERE balance = 103')).rowCount,
        'the blocked updates to finish',
      );
      const waiting = await truth.query(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name LIKE 'scenario-%'",
      );
      await truth.end();
      expect(waiting.rowCount).toBe(0);
      expect(await events(bot, request.id)).toEqual(['requested', 'approved', 'execution_started', 'executed']);
      const trail = await bot.healing.requestAudit(request.id);
      expect(
        trail.every(
          (e) =>
            e.target === 'prod' &&
            e.action === 'terminate' &&
            e.statement === request.statement &&
            e.channel === 'C_INCIDENT',
        ),
      ).toBe(true);
      expect(trail.map((e) => e.actor)).toEqual(['U_ALICE', 'U_BOB', 'U_BOB', 'U_BOB']);
    } finally {
      await chain.release();
      await chain.close();
    }
  });

  it('refuses self-approval and non-approvers, audits both, and runs nothing', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    const { request } = await bot.healing.requestAction({
      action: 'terminate',
      tokens: [String(victim.pid)],
      requestedBy: 'U_ALICE',
      channel: 'C1',
    });
    const self = await bot.healing.approve({ requestId: request!.id, userId: 'U_ALICE' });
    const stranger = await bot.healing.approve({ requestId: request!.id, userId: 'U_MALLORY' });
    expect(self.notice).toMatchObject({ kind: 'refused', reason: 'self_approval' });
    expect(stranger.notice).toMatchObject({ kind: 'refused', reason: 'not_an_approver' });
    expect(stranger.request?.status).toBe('pending');
    expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
    expect(await events(bot, request!.id)).toEqual(['requested', 'refused:self_approval', 'refused:not_an_approver']);
    // A member of an approver user group (resolved at click time) may approve.
    const member = await bot.healing.approve({ requestId: request!.id, userId: 'U_GRACE' });
    expect(member.notice.kind).toBe('succeeded');
    expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(false);
    await victim.client.end().catch(() => undefined);
  });

  it('refuses an approval after a rejection, audited as already decided', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    const { request } = await bot.healing.requestAction({
      action: 'terminate',
      tokens: [String(victim.pid)],
      requestedBy: 'U_ALICE',
    });
    const stranger = await bot.healing.reject({ requestId: request!.id, userId: 'U_MALLORY' });
    expect(stranger.notice).toMatchObject({ kind: 'refused', reason: 'not_an_approver' });
    const rejected = await bot.healing.reject({
      requestId: request!.id,
      userId: 'U_CAROL',
      note: 'not during the deploy',
    });
    expect(rejected.request).toMatchObject({ status: 'rejected', decidedBy: 'U_CAROL' });
    const late = await bot.healing.approve({ requestId: request!.id, userId: 'U_BOB' });
    expect(late.notice).toMatchObject({ kind: 'refused', reason: 'already_decided' });
    expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
    expect(await events(bot, request!.id)).toEqual([
      'requested',
      'refused:not_an_approver',
      'rejected',
      'refused:already_decided',
    ]);
    await victim.client.end();
  });

  it('refuses an expired request, records the expiry once, and expireDue finds nothing more', async () => {
    let clock = new Date('2030-01-01T12:00:00Z');
    const timed = await startInstance(env, { now: () => clock });
    try {
      const victim = await idleInTransactionSession(env.appUrl);
      const { request } = await timed.healing.requestAction({
        action: 'terminate',
        tokens: [String(victim.pid)],
        requestedBy: 'U_ALICE',
      });
      expect(request!.expiresAt).toBe('2030-01-01T12:10:00.000Z');
      clock = new Date('2030-01-01T12:10:00Z');
      const late = await timed.healing.approve({ requestId: request!.id, userId: 'U_BOB' });
      expect(late.notice).toMatchObject({ kind: 'refused', reason: 'expired' });
      expect(late).toMatchObject({ cardChanged: true, request: { status: 'expired' } });
      const again = await timed.healing.approve({ requestId: request!.id, userId: 'U_CAROL' });
      expect(again.notice).toMatchObject({ kind: 'refused', reason: 'expired' });
      expect(await timed.healing.expireDue()).toEqual([]);
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
      expect(await events(timed, request!.id)).toEqual(['requested', 'expired', 'refused:expired', 'refused:expired']);

      const second = await timed.healing.requestAction({
        action: 'terminate',
        tokens: [String(victim.pid)],
        requestedBy: 'U_ALICE',
      });
      clock = new Date('2030-01-01T12:30:00Z');
      expect((await timed.healing.expireDue()).map((r) => [r.id, r.status])).toEqual([[second.request!.id, 'expired']]);
      await victim.client.end();
    } finally {
      await timed.close();
    }
  });

  it('refuses requests and approvals while healing is off for the target', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    const { request } = await bot.healing.requestAction({
      action: 'terminate',
      tokens: [String(victim.pid)],
      requestedBy: 'U_ALICE',
    });
    const off = await startInstance(env, { targetHealing: { enabled: false } });
    try {
      const asked = await off.healing.requestAction({
        action: 'terminate',
        tokens: [String(victim.pid)],
        requestedBy: 'U_ALICE',
        channel: 'C2',
      });
      expect(asked).toMatchObject({ request: null, notice: { kind: 'refused', reason: 'healing_off' } });
      const approved = await off.healing.approve({ requestId: request!.id, userId: 'U_BOB' });
      expect(approved.notice).toMatchObject({ kind: 'refused', reason: 'healing_off' });
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
      expect(await events(bot, request!.id)).toEqual(['requested', 'refused:healing_off']);
      const [, refusedRequest] = await off.healing.recentAudit('prod', 2);
      expect(refusedRequest).toMatchObject({
        event: 'refused',
        reason: 'healing_off',
        requestId: null,
        actor: 'U_ALICE',
        channel: 'C2',
        action: 'terminate',
      });
    } finally {
      await off.close();
      await victim.client.end();
    }
  });

  it('runs nothing when the session ended and another started between request and approval', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    const { request } = await bot.healing.requestAction({
      action: 'terminate',
      tokens: [String(victim.pid)],
      requestedBy: 'U_ALICE',
    });
    await victim.client.end();
    const successor = await idleInTransactionSession(env.appUrl, 'successor');
    const approved = await bot.healing.approve({ requestId: request!.id, userId: 'U_BOB' });
    expect(approved.notice.kind).toBe('target_changed');
    expect(approved.request).toMatchObject({ status: 'target_changed', outcome: { ok: false } });
    expect(approved.request!.outcome!.summary).toMatch(
      new RegExp(
        `^Session ${victim.pid} has ended since the request\\. Nothing was signalled\\.$|^pid ${victim.pid} now belongs to a different session`,
      ),
    );
    expect(await sessionAlive(env.adminUrl, successor.pid, successor.backendStart)).toBe(true);
    expect(await events(bot, request!.id)).toEqual(['requested', 'approved', 'verification_failed']);
    await successor.client.end();
  });
});
