import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/approval.js';
import { listAlerts } from '../../src/state/alerts.js';
import { readAudit } from '../../src/state/audit.js';
import { listLeases } from '../../src/state/leases.js';
import { createStatePool } from '../../src/state/pool.js';
import { startBotProcess, type BotProcess } from '../support/bot-process.js';
import { connect, waitFor } from '../support/clients.js';
import {
  idleInTransactionSession,
  prepareHealingServer,
  sessionAlive,
  type HealingServer,
} from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createDatabases } from '../support/schedule.js';
import { eventually } from '../support/slack/bot.js';
import { buttonsOf } from '../support/slack/buttons.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

let server: TestServer;
let env: HealingServer;
let standIn: SlackStandIn;
let admin: pg.Client;
let state: pg.Pool;
let bot: BotProcess;
let dir: string;
let configPath: string;
const victims: pg.Client[] = [];

const withUser = (url: string, user: string) => {
  const u = new URL(url);
  u.username = user;
  u.password = 'pw';
  return u.toString();
};
const keep = () => `  - { name: keep, url: "${server.url('keep')}" }`;
/** `prod` on database `db`: read-only as the superuser, actions as the healer, idle in transaction alerts after 1 s. */
const prod = (db: string) =>
  `  - { name: prod, url: "${server.url(db)}", actionUrl: "${withUser(server.url(db), 'healer')}", thresholds: { idleInTransactionSeconds: { warn: 1, crit: 3600 } } }`;
const writeConfig = (targets: string[]) =>
  writeFileSync(
    configPath,
    ['targets:', ...targets, 'alerts:', '  channel: CALERTS', '  intervalSeconds: 1', '  fireAt: warn'].join('\n'),
  );

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  admin = await connect(server.url());
  await createDatabases(admin, ['keep', 'decoy']);
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CALERTS');
  standIn.state.botChannels.add('CINCIDENT');
  dir = mkdtempSync(join(tmpdir(), 'pgmedic-reload-removed-'));
  configPath = join(dir, 'pgmedic.yaml');
  writeConfig([keep()]);
  bot = await startBotProcess(standIn, {
    PGMEDIC_CONFIG: configPath,
    PGMEDIC_STATE_DATABASE_URL: env.stateUrl,
    PGMEDIC_APPROVERS: 'UBOB',
    PGMEDIC_SNAPSHOT_CRON: '*/2 * * * * *',
  });
  await waitFor(async () => bot.logs.some((l) => l.msg === 'scheduler started'), 'the scheduler to start', 30_000);
  state = createStatePool(env.stateUrl);
}, 120_000);

afterAll(async () => {
  bot?.child.kill('SIGTERM');
  await bot?.exited;
  for (const victim of victims) await victim.end().catch(() => undefined);
  await state?.end();
  await admin?.end();
  await standIn?.stop();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes the file, sends SIGHUP and waits for the bot to say the file is in force. */
async function reload(targets: string[]): Promise<void> {
  writeConfig(targets);
  const before = bot.logs.length;
  bot.child.kill('SIGHUP');
  // The file's change is noticed by polling too: wait for the reload that read these targets.
  const names = JSON.stringify(targets.map((t) => t.match(/name: ([\w-]+)/)![1]));
  await waitFor(
    async () =>
      bot.logs.slice(before).some((l) => l.msg === 'config file reloaded' && JSON.stringify(l.targets) === names),
    'the reload',
    20_000,
  );
}

const ackOf = async (text: string) => (await bot.send.command({ text })).ack?.text ?? '';
const snapshotsOf = async (target: string) =>
  Number(
    (await state.query('SELECT count(*) AS n FROM pgmedic.history_snapshots WHERE target = $1', [target])).rows[0].n,
  );

/** Asks for `terminate <pid> prod` as UALICE; returns the request id and its card. */
async function requestTerminate(pid: number): Promise<{ requestId: string; cardTs: string }> {
  const posts = standIn.state.messages.length;
  const reply = await bot.send.command({ text: `terminate ${pid} prod`, user: 'UALICE' });
  expect(reply.ack?.text).toContain('asking for approval');
  const card = await eventually(
    () =>
      standIn.state.messages
        .slice(posts)
        .find((m) => m.via === 'chat.postMessage' && JSON.stringify(m.blocks).includes('Approval needed')),
    'the approval card',
    20_000,
  );
  const requestId = JSON.stringify(card.blocks).match(/"value":"([\w-]+)","style":"primary"/)![1]!;
  return { requestId, cardTs: card.ts };
}

/** UBOB approves; returns the ephemeral answer he reads. */
async function approve(requestId: string, cardTs: string): Promise<string> {
  const posts = standIn.state.messages.length;
  await bot.send.click(APPROVE_ACTION_ID, requestId, { user: 'UBOB', messageTs: cardTs });
  const answer = await eventually(
    () => standIn.state.messages.slice(posts).find((m) => m.via === 'response_url' && m.ephemeral),
    'the answer to the click',
    20_000,
  );
  return answer.text ?? '';
}

/** The card as last redrawn: a request refused because its target is gone is closed, its buttons gone. */
async function closedCard(cardTs: string): Promise<string> {
  const update = await eventually(
    () =>
      standIn
        .callsTo('chat.update')
        .find((c) => c.args.ts === cardTs && JSON.stringify(c.args.blocks).includes('Not run, target changed')),
    'the card redrawn as closed',
    20_000,
  );
  const blocks = update.args.blocks as { type: string }[];
  expect(blocks.filter((b) => b.type === 'actions')).toEqual([]);
  return JSON.stringify(blocks);
}

describe('targets added and removed by SIGHUP (bot process, real PostgreSQL 18, Slack stand-in)', () => {
  it('an added target gets snapshots, alerts and healing; once removed its alert is closed with a note, its leases go, its snapshots stop and its pending approval is refused', async () => {
    const victim = await idleInTransactionSession(env.appUrl);
    victims.push(victim.client);
    await reload([keep(), prod('heal')]);

    // Snapshots follow the live list: prod was not there at start.
    await waitFor(async () => (await snapshotsOf('prod')) > 0, 'a snapshot of prod', 20_000);
    const alert = await waitFor(
      async () =>
        (await listAlerts(state, 'prod')).find(
          (a) => a.key === 'connections:idle-in-transaction' && a.status === 'firing' && a.messageTs,
        ),
      'the idle-in-transaction alert on prod to be posted',
      20_000,
    );
    // Healing follows the live list too: an added target has its entry's settings without a restart.
    const { requestId, cardTs } = await requestTerminate(victim.pid);

    await reload([keep()]);
    const closed = await waitFor(
      async () => (await listAlerts(state, 'prod')).find((a) => a.key === alert.key && a.status === 'resolved'),
      'the alert of prod to be closed',
      20_000,
    );
    expect(closed.resolvedAt).not.toBeNull();
    const post = standIn.state.messages.find((m) => m.channel === 'CALERTS' && m.ts === alert.messageTs)!;
    expect(post.text).toContain('closed, target removed');
    const reply = await eventually(
      () => standIn.state.messages.find((m) => m.threadTs === alert.messageTs && m.text?.includes('target removed')),
      'the note in the alert thread',
    );
    expect(JSON.stringify(reply.blocks)).toContain('removed from the configuration');
    expect((await listLeases(state, 'alerts')).map((l) => l.target)).not.toContain('prod');

    // Attack: approving the pending request after its target left must run nothing anywhere.
    const answer = await approve(requestId, cardTs);
    expect(answer).toContain('target "prod" is no longer configured');
    expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
    const audit = await readAudit(state, { requestId, limit: 10 });
    expect(audit.map((a) => [a.event, a.reason])).toContainEqual(['refused', 'target_gone']);
    expect(audit.map((a) => a.event)).not.toContain('execution_started');
    // The card is closed at once, saying why, rather than offering Approve until the request expires.
    const card = await closedCard(cardTs);
    expect(card).toContain('tried to approve: its target is gone');
    expect(card).toContain(
      'Nothing ran: target \\"prod\\" is no longer configured (config reload or database discovery)',
    );
    expect((await state.query('SELECT status FROM pgmedic.approval_requests WHERE id = $1', [requestId])).rows).toEqual(
      [{ status: 'target_changed' }],
    );
    // A second click finds it closed: still nothing runs.
    expect(await approve(requestId, cardTs)).toContain('This request is already closed: its target changed or is gone');

    // Snapshots of prod stop: nothing new after a few cron runs (each run claims and takes every live target).
    const taken = await snapshotsOf('prod');
    const keepBefore = await snapshotsOf('keep');
    await waitFor(async () => (await snapshotsOf('keep')) >= keepBefore + 2, 'two more snapshot runs', 20_000);
    expect(await snapshotsOf('prod')).toBe(taken);
  }, 120_000);

  it('a reload that points the name of a target with a pending approval at another database refuses the approval', async () => {
    const victim = await idleInTransactionSession(env.appUrl, 'victim-2');
    victims.push(victim.client);
    await reload([keep(), prod('heal')]);
    const { requestId, cardTs } = await requestTerminate(victim.pid);

    // Same name, another database of the same server: pids are server-wide, so a terminate would still hit.
    await reload([keep(), prod('decoy')]);
    const answer = await approve(requestId, cardTs);
    expect(answer).toMatch(/target "prod" reached .*\/heal when this was requested and reaches .*\/decoy now/);
    expect(await sessionAlive(env.adminUrl, victim.pid, victim.backendStart)).toBe(true);
    const audit = await readAudit(state, { requestId, limit: 10 });
    expect(audit.map((a) => [a.event, a.reason])).toContainEqual(['refused', 'target_gone']);
    expect(audit.map((a) => a.event)).not.toContain('execution_started');
    expect(await closedCard(cardTs)).toMatch(/its target is gone\.\\nNothing ran: target \\"prod\\" reached .*\/heal/);
  }, 90_000);

  it('a discovered database raises its alert once, on its entry (one look per server), heals with its entry settings, and once dropped is no target', async () => {
    await admin.query('CREATE DATABASE gone_db OWNER app');
    const appOn = (db: string) => withUser(server.url(db), 'app');
    const [first, second] = [
      await idleInTransactionSession(appOn('gone_db')),
      await idleInTransactionSession(appOn('gone_db'), 'victim-4'),
    ];
    victims.push(first.client, second.client);
    const srv = `  - { name: srv, url: "${server.url('postgres')}", actionUrl: "${withUser(server.url('postgres'), 'healer')}", discover: all-databases, include: ["gone_*"], thresholds: { idleInTransactionSeconds: { warn: 1, crit: 3600 } } }`;
    await reload([keep(), srv]);
    // The checks read server-wide views: srv's look stands for the databases it discovered (same role and settings).
    const alert = await waitFor(
      async () =>
        (await listAlerts(state, 'srv')).find(
          (a) => a.key === 'connections:idle-in-transaction' && a.status === 'firing' && a.messageTs,
        ),
      'the idle-in-transaction alert on srv to be posted',
      20_000,
    );
    const posted = standIn.state.messages.find((m) => m.channel === 'CALERTS' && m.ts === alert.messageTs)!;
    expect(JSON.stringify(posted.blocks)).toContain('server-wide, for srv and 1 other database of its server');
    expect(await listAlerts(state, 'srv/gone_db')).toEqual([]);
    expect((await listLeases(state, 'alerts')).map((l) => l.target)).not.toContain('srv/gone_db');

    // Healing on a discovered target, approved and run in its own database, no restart.
    const posts = standIn.state.messages.length;
    const reply = await bot.send.command({ text: `terminate ${first.pid} srv/gone_db`, user: 'UALICE' });
    expect(reply.ack?.text).toContain('asking for approval');
    const card = await eventually(
      () =>
        standIn.state.messages
          .slice(posts)
          .find((m) => m.via === 'chat.postMessage' && JSON.stringify(m.blocks).includes('Approval needed')),
      'the approval card',
      20_000,
    );
    const requestId = JSON.stringify(card.blocks).match(/"value":"([\w-]+)","style":"primary"/)![1]!;
    await bot.send.click(APPROVE_ACTION_ID, requestId, { user: 'UBOB', messageTs: card.ts });
    await waitFor(
      async () => !(await sessionAlive(env.adminUrl, first.pid, first.backendStart)),
      'the approved terminate to end the first session',
      20_000,
    );
    expect(await sessionAlive(env.adminUrl, second.pid, second.backendStart)).toBe(true);

    // The alert on srv offers Terminate for the session in gone_db: clicked, approved, run through srv's action
    // role from srv's own database (pg_terminate_backend reaches any database of the server), and the session ends.
    const offered = await waitFor(
      async () => {
        const latest = standIn.state.messages.find((m) => m.channel === 'CALERTS' && m.ts === alert.messageTs)!;
        for (const button of buttonsOf(latest.blocks)) {
          if (!button.action_id.startsWith('pgmedic_action:terminate')) continue;
          const offer = await state.query<{ params: { pid: string } }>(
            'SELECT params FROM pgmedic.action_offers WHERE id = $1',
            [button.value],
          );
          if (offer.rows[0]?.params.pid === String(second.pid)) return button;
        }
        return undefined;
      },
      'a Terminate button for the second session on the alert',
      20_000,
    );
    const cardsBefore = standIn.state.messages.length;
    await bot.send.click(offered.action_id, offered.value, {
      channel: 'CALERTS',
      user: 'UALICE',
      messageTs: alert.messageTs!,
    });
    const alertCard = await eventually(
      () =>
        standIn.state.messages
          .slice(cardsBefore)
          .find((m) => m.via === 'chat.postMessage' && JSON.stringify(m.blocks).includes('Approval needed')),
      'the approval card from the alert',
      20_000,
    );
    expect(JSON.stringify(alertCard.blocks)).toContain('srv');
    const alertRequest = JSON.stringify(alertCard.blocks).match(/"value":"([\w-]+)","style":"primary"/)![1]!;
    await bot.send.click(APPROVE_ACTION_ID, alertRequest, { user: 'UBOB', messageTs: alertCard.ts });
    await waitFor(
      async () => !(await sessionAlive(env.adminUrl, second.pid, second.backendStart)),
      'the terminate approved from the alert to end the second session',
      20_000,
    );

    // The database goes; the next discovery (SIGHUP runs one) drops the target.
    await admin.query('DROP DATABASE gone_db WITH (FORCE)');
    await reload([keep(), srv]);
    expect(await ackOf('health srv/gone_db')).toContain('There is no target named');
    expect(await listAlerts(state, 'srv/gone_db')).toEqual([]);
  }, 120_000);
});
