import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../src/slack/blocks/approval.js';
import { blockKitProblems } from '../../src/slack/blocks/validate.js';
import { connect, waitFor } from '../support/clients.js';
import {
  idleInTransactionSession,
  prepareHealingServer,
  sessionAlive,
  type HealingServer,
} from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';
import { eventually } from '../support/slack/bot.js';
import { startHealingBot, type HealingBot } from '../support/slack/healing-bot.js';
import type { StoredMessage } from '../support/slack/state.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';
import { buttonsOf } from '../support/slack/buttons.js';

let server: TestServer;
let env: HealingServer;
let standIn: SlackStandIn;
let config: Config;
let bot: HealingBot;
const POLICY = { approvers: ['UBOB', 'SONCALL'] };

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  standIn.state.usergroups.set('SONCALL', ['UCAROL']);
  const target = (extra: Record<string, unknown>) =>
    targetSchema.parse({ url: env.monitorUrl, actionUrl: env.healerUrl, ...extra });
  config = {
    targets: [target({ name: 'prod' }), target({ name: 'quiet', healing: { enabled: false } })],
    defaultTarget: 'prod',
  };
  bot = await startHealingBot(standIn, config, env.stateUrl, POLICY);
});
afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
  await server?.stop();
});
afterEach(() => {
  expect(standIn.state.problems).toEqual([]);
});

const newPost = (count: number, match: string) => () =>
  standIn.state.messages
    .filter((m) => m.via === 'chat.postMessage')
    .slice(count)
    .find((m) => JSON.stringify(m.blocks).includes(match));
const postCount = () => standIn.state.messages.filter((m) => m.via === 'chat.postMessage').length;
/** Card updates other than the "approved, running" one that comes before the outcome. */
const updatesOf = (ts: string) =>
  standIn
    .callsTo('chat.update')
    .filter((c) => c.args.ts === ts && !JSON.stringify(c.args.blocks).includes(':gear: Approved, running'));
const runningUpdatesOf = (ts: string) =>
  standIn
    .callsTo('chat.update')
    .filter((c) => c.args.ts === ts && JSON.stringify(c.args.blocks).includes(':gear: Approved, running'));
const ephemeralTo = (user: string, match: string, after: number) => () =>
  standIn.state.messages.slice(after).find((m) => m.ephemeral && m.user === user && (m.text ?? '').includes(match));
const auditEvents = async (requestId: string) =>
  (
    await bot.statePool.query<{ event: string; reason: string | null; actor: string | null }>(
      'SELECT event, reason, actor FROM pgmedic.audit_log WHERE request_id = $1 ORDER BY id',
      [requestId],
    )
  ).rows;
/** Ground truth from pg_stat_activity for one pid (undefined when it is gone). */
async function activity(pid: number): Promise<{ state: string | null; backend_start: string } | undefined> {
  const admin = await connect(env.adminUrl, 'ground-truth');
  const { rows } = await admin.query<{ state: string | null; backend_start: string }>(
    'SELECT state, backend_start::text FROM pg_stat_activity WHERE pid = $1',
    [pid],
  );
  await admin.end();
  return rows[0];
}

/** `/pg <action> …` by `user`: the card it posts, and the request id its Approve button carries. */
async function requestByCommand(
  on: HealingBot,
  text: string,
  user = 'UALICE',
): Promise<{ card: StoredMessage; requestId: string }> {
  const before = postCount();
  const reply = await on.send.command({ text, user });
  expect(reply.ack?.text).toContain('asking for approval');
  const card = await eventually(newPost(before, 'Approval needed'), 'the approval card');
  return { card, requestId: buttonsOf(card.blocks).find((b) => b.action_id === APPROVE_ACTION_ID)!.value };
}

describe('healing actions through Slack, against a real PostgreSQL 18', () => {
  it('locks → Terminate on the root → approval card → approved by a group member: the root is gone, the chain drains, the card and audit say so', async () => {
    const chain = await createBlockingChain(env.appUrl);
    try {
      const before = postCount();
      await bot.send.command({ text: 'locks', user: 'UALICE' });
      const report = await eventually(newPost(before, 'Locks'), 'the locks report');
      const terminate = buttonsOf(report.blocks).find(
        (b) => b.action_id.startsWith('pgmedic_action:terminate') && b.text.text.includes(String(chain.rootPid)),
      )!;
      // The button value is an opaque offer id: no pid, no SQL.
      expect(terminate.value).toMatch(/^o_[\w-]+$/);
      expect(terminate.value).not.toContain(String(chain.rootPid));

      const cards = postCount();
      await bot.send.click(terminate.action_id, terminate.value, { user: 'UALICE', messageTs: report.ts });
      const card = await eventually(newPost(cards, 'Approval needed'), 'the approval card');
      expect(blockKitProblems({ text: card.text, blocks: card.blocks })).toEqual([]);
      const cardText = JSON.stringify(card.blocks);
      const root = (await activity(chain.rootPid))!;
      for (const expected of [
        '<@UALICE>',
        String(chain.rootPid),
        'scenario-root',
        '*User*\\napp',
        root.backend_start,
        'UPDATE chain_accounts',
        String(chain.middlePid),
        'pg_terminate_backend',
        'Expires <!date^',
      ]) {
        expect(cardText).toContain(expected);
      }
      const [approve, reject] = buttonsOf(card.blocks);
      expect([approve!.action_id, reject!.action_id]).toEqual([APPROVE_ACTION_ID, REJECT_ACTION_ID]);
      expect(approve!.confirm?.text.text).toContain('prod');
      const requestId = approve!.value;
      const stored = await bot.statePool.query(
        'SELECT status, channel, message_ts FROM pgmedic.approval_requests WHERE id = $1',
        [requestId],
      );
      expect(stored.rows).toEqual([{ status: 'pending', channel: 'CINCIDENT', message_ts: card.ts }]);

      // Refused: the requester approving their own request, and someone who is not an approver.
      for (const [user, answer] of [
        ['UALICE', 'someone else has to approve'],
        ['UDAVE', 'Only approvers can approve'],
      ] as const) {
        const seen = standIn.state.messages.length;
        await bot.send.click(APPROVE_ACTION_ID, requestId, { user, messageTs: card.ts });
        await eventually(ephemeralTo(user, answer, seen), `the refusal for ${user}`);
      }
      expect(await sessionAlive(env.adminUrl, chain.rootPid, root.backend_start)).toBe(true);
      expect(updatesOf(card.ts)).toEqual([]);

      // Approved by UCAROL, an approver only through the SONCALL user group (looked up at click time).
      await bot.send.click(APPROVE_ACTION_ID, requestId, { user: 'UCAROL', messageTs: card.ts });
      const update = await eventually(() => updatesOf(card.ts)[0], 'the card update');
      const outcome = JSON.stringify(update.args.blocks);
      expect(outcome).toContain(':white_check_mark: Done');
      expect(outcome).toContain('Approved by <@UCAROL>');
      expect(outcome).toContain(`Session ${chain.rootPid} was terminated and has exited.`);
      expect(buttonsOf(update.args.blocks as unknown[])).toEqual([]);
      // Between approval and outcome the card said it was running, without buttons.
      expect(runningUpdatesOf(card.ts)).toHaveLength(1);
      expect(buttonsOf(runningUpdatesOf(card.ts)[0]!.args.blocks as unknown[])).toEqual([]);
      expect(standIn.callsTo('usergroups.users.list').some((c) => c.args.usergroup === 'SONCALL')).toBe(true);

      expect(await sessionAlive(env.adminUrl, chain.rootPid, root.backend_start)).toBe(false);
      // The blocked sessions got their lock and finished their updates (autocommit): idle, waiting on nothing.
      for (const pid of [chain.middlePid, chain.tailPid]) {
        await waitFor(async () => (await activity(pid))?.state === 'idle', `pid ${pid} to finish`);
      }
      expect(await auditEvents(requestId)).toEqual([
        { event: 'requested', reason: null, actor: 'UALICE' },
        { event: 'refused', reason: 'self_approval', actor: 'UALICE' },
        { event: 'refused', reason: 'not_an_approver', actor: 'UDAVE' },
        { event: 'approved', reason: null, actor: 'UCAROL' },
        { event: 'execution_started', reason: null, actor: 'UCAROL' },
        { event: 'executed', reason: null, actor: 'UCAROL' },
      ]);
    } finally {
      await chain.release().catch(() => undefined);
      await chain.close();
    }
  });

  it('executes once when 20 approve clicks reach two running copies at the same moment', async () => {
    const second = await startHealingBot(standIn, config, env.stateUrl, POLICY);
    const victim = await idleInTransactionSession(env.appUrl);
    try {
      const { card, requestId } = await requestByCommand(bot, `terminate ${victim.pid} prod`);
      const seen = standIn.state.messages.length;
      const copies = [bot, second];
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          copies[i % 2]!.send.click(APPROVE_ACTION_ID, requestId, {
            user: i % 3 ? 'UBOB' : 'UCAROL',
            messageTs: card.ts,
          }),
        ),
      );
      await eventually(() => updatesOf(card.ts)[0], 'the outcome');
      await Promise.all(copies.map((copy) => copy.bot.deps.jobs.idle(15_000)));

      expect(updatesOf(card.ts)).toHaveLength(1);
      expect(JSON.stringify(updatesOf(card.ts)[0]!.args.blocks)).toContain(':white_check_mark: Done');
      expect(
        standIn.state.messages
          .slice(seen)
          .filter((m) => m.ephemeral && (m.text ?? '').includes('nothing more will run')),
      ).toHaveLength(19);
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(false);
      const trail = await auditEvents(requestId);
      const count = (event: string) => trail.filter((e) => e.event === event).length;
      expect([
        count('requested'),
        count('approved'),
        count('execution_started'),
        count('executed'),
        count('refused'),
      ]).toEqual([1, 1, 1, 1, 19]);
      expect(trail.filter((e) => e.event === 'refused').every((e) => e.reason === 'already_decided')).toBe(true);
    } finally {
      await victim.client.end().catch(() => undefined);
      await second.stop();
    }
  });

  it('stays approvable after the bot restarts between request and approval', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    const first = await startHealingBot(standIn, config, env.stateUrl, POLICY);
    try {
      const { card, requestId } = await requestByCommand(first, `terminate ${victim.pid}`);
      await first.stop();
      const restarted = await startHealingBot(standIn, config, env.stateUrl, POLICY);
      try {
        await restarted.send.click(APPROVE_ACTION_ID, requestId, { user: 'UBOB', messageTs: card.ts });
        const update = await eventually(() => updatesOf(card.ts)[0], 'the outcome');
        expect(JSON.stringify(update.args.blocks)).toContain(`Session ${victim.pid} was terminated and has exited.`);
        expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(false);
      } finally {
        await restarted.stop();
      }
    } finally {
      await victim.client.end().catch(() => undefined);
    }
  });

  it('rejects, and expires on the timer: the buttons give way to the outcome, nothing runs', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    try {
      const rejected = await requestByCommand(bot, `terminate ${victim.pid}`);
      await bot.send.click(REJECT_ACTION_ID, rejected.requestId, { user: 'UBOB', messageTs: rejected.card.ts });
      const update = await eventually(() => updatesOf(rejected.card.ts)[0], 'the rejected card');
      expect(JSON.stringify(update.args.blocks)).toContain('Rejected by <@UBOB>');

      const expiring = await requestByCommand(bot, `terminate ${victim.pid}`);
      await bot.statePool.query(
        "UPDATE pgmedic.approval_requests SET expires_at = now() - interval '1 second' WHERE id = $1",
        [expiring.requestId],
      );
      const expired = await eventually(() => updatesOf(expiring.card.ts)[0], 'the expired card');
      expect(JSON.stringify(expired.args.blocks)).toContain(':hourglass: Expired');
      const seen = standIn.state.messages.length;
      await bot.send.click(APPROVE_ACTION_ID, expiring.requestId, { user: 'UBOB', messageTs: expiring.card.ts });
      await eventually(ephemeralTo('UBOB', 'expired at', seen), 'the expired refusal');
      expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
      expect((await auditEvents(expiring.requestId)).map((e) => e.reason ?? e.event)).toEqual([
        'requested',
        'expired',
        'expired',
      ]);
    } finally {
      await victim.client.end().catch(() => undefined);
    }
  });

  it('offers no buttons where healing is off, and says so', async () => {
    const chain = await createBlockingChain(env.appUrl, 'quiet_accounts');
    try {
      const before = postCount();
      await bot.send.command({ text: 'locks quiet' });
      const report = await eventually(newPost(before, 'Locks'), 'the report');
      expect(buttonsOf(report.blocks)).toEqual([]);
      expect(JSON.stringify(report.blocks)).toContain('Healing actions are off for this target');
      const seen = standIn.state.messages.length;
      await bot.send.command({ text: `terminate ${chain.rootPid} quiet` });
      await eventually(
        () => standIn.state.messages.slice(seen).find((m) => (m.text ?? '').includes('turned off for target')),
        'the refusal',
      );
    } finally {
      await chain.release().catch(() => undefined);
      await chain.close();
    }
  });

  it('drops a retried delivery that reaches the other running copy', async () => {
    // This is about the shared claim, not its 250 ms ack deadline (test/slack/state-locked.test.ts): on a loaded
    // 2-core machine a new copy's first claim (a new state connection) took over 2 s, and the fallback to memory
    // would then run it twice.
    const second = await startHealingBot(standIn, config, env.stateUrl, POLICY, 200, { dedupeDeadlineMs: 20_000 });
    try {
      const first = await bot.send.command({ text: 'audit prod --private' });
      // Slack retries only after 3 s without an ack; by then the first delivery's claim (sent after its ack) is in.
      const firstId = first.responseUrl.split('/').pop();
      await eventually(
        () => standIn.callsTo('response_url').find((c) => c.args.responseUrlId === firstId),
        'the first delivery’s audit report',
      );
      const retry = await second.send.command({
        text: 'audit prod --private',
        triggerId: first.triggerId,
        retryNum: 1,
      });
      expect(first.ack?.text).toContain('Running');
      expect(retry).toMatchObject({ status: 200, ack: undefined });
      expect(second.logs.some((l) => l.msg === 'dropped a repeated delivery')).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('acks a first /pg delivery before its shared claim, and a replay that reaches the other copy only takes its note back', async () => {
    // Slack signs the body and timestamp, not the retry header: a replayed first delivery carries none.
    const second = await startHealingBot(standIn, config, env.stateUrl, POLICY, 200, { dedupeDeadlineMs: 20_000 });
    try {
      const first = await bot.send.command({ text: 'audit prod --private' });
      const firstId = first.responseUrl.split('/').pop();
      await eventually(
        () => standIn.callsTo('response_url').find((c) => c.args.responseUrlId === firstId),
        'the first delivery’s audit report',
      );
      const replay = await second.send.command({ text: 'audit prod --private', triggerId: first.triggerId });
      expect(replay.ack?.text).toContain('Running');
      const id = replay.responseUrl.split('/').pop();
      const taken = await eventually(
        () => standIn.callsTo('response_url').find((c) => c.args.responseUrlId === id),
        'the replay’s note taken back',
      );
      expect(taken.args).toMatchObject({ delete_original: true });
      await second.bot.deps.jobs.idle(10_000);
      expect(standIn.callsTo('response_url').filter((c) => c.args.responseUrlId === id)).toHaveLength(1);
      expect(second.logs.some((l) => l.msg === 'dropped a repeated delivery')).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('/pg audit renders the trail as a report', async () => {
    const before = postCount();
    await bot.send.command({ text: 'audit prod --limit 30' });
    const report = await eventually(newPost(before, 'Healing audit'), 'the audit report');
    const text = JSON.stringify(report.blocks);
    for (const expected of [
      'Healing audit (target prod)',
      'refused (already_decided)',
      'rejected',
      'expired',
      'executed',
      'Session ',
      'UBOB',
      'terminate',
    ])
      expect(text).toContain(expected);
  });

  it('bin/pgmedic audit reads the same trail from PGMEDIC_STATE_DATABASE_URL', async () => {
    const cliEnv = { ...process.env, PGMEDIC_STATE_DATABASE_URL: env.stateUrl, NO_COLOR: '1' };
    const { stdout } = await promisify(execFile)('bin/pgmedic', ['audit', '--target', 'prod', '--limit', '5'], {
      env: cliEnv,
    });
    expect(stdout).toContain('Healing audit (target prod)');
    expect(stdout).toContain('The 5 most recent audit entries');
    const { stdout: json } = await promisify(execFile)('bin/pgmedic', ['audit', '--limit=3', '--format', 'json'], {
      env: cliEnv,
    });
    expect((JSON.parse(json) as { entries: unknown[] }).entries).toHaveLength(3);
  });
});
