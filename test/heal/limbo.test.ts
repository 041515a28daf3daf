import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/approval.js';
import { startBotProcess, type BotProcess } from '../support/bot-process.js';
import { connect, waitFor } from '../support/clients.js';
import { prepareHealingServer, type HealingServer } from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { eventually } from '../support/slack/bot.js';
import { startHealingBot, type HealingBot } from '../support/slack/healing-bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

/**
 * Fractions of a second instead of the defaults (10 s beat, 60 s silence, 30 s sweep) so the test runs in seconds.
 * LIMBO_TEST_DEFAULTS=1 keeps the defaults, to measure the real time to "outcome unknown" (about 60–90 s).
 */
const REAL_DEFAULTS = process.env.LIMBO_TEST_DEFAULTS === '1';
const FAST = REAL_DEFAULTS ? {} : { heartbeatMs: 300, staleAfterMs: 3_000, sweepMs: 300 };
const FAST_ENV: Record<string, string> = REAL_DEFAULTS
  ? {}
  : { PGMEDIC_HEARTBEAT_SECONDS: '0.3', PGMEDIC_EXECUTOR_STALE_SECONDS: '3', PGMEDIC_LIMBO_SWEEP_SECONDS: '0.3' };

let server: TestServer;
let env: HealingServer;
let standIn: SlackStandIn;
let watcher: HealingBot;
let dir: string;
let configPath: string;

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  const app = await connect(env.appUrl);
  await app.query(
    'CREATE TABLE big (id int PRIMARY KEY, val int); INSERT INTO big SELECT g, g % 1000 FROM generate_series(1, 50000) g; CREATE INDEX big_val_idx ON big (val)',
  );
  await app.end();
  // A long lock wait is the long action here: the target lets the REINDEX wait up to 10 minutes for its lock.
  const target = { name: 'prod', url: env.monitorUrl, actionUrl: env.healerUrl, healing: { lockTimeoutMs: 600_000 } };
  dir = mkdtempSync(join(tmpdir(), 'pgmedic-limbo-'));
  configPath = join(dir, 'pgmedic.yml');
  writeFileSync(
    configPath,
    `targets:\n  - name: prod\n    url: ${target.url}\n    actionUrl: ${target.actionUrl}\n    healing: { lockTimeoutMs: 600000 }\n`,
  );
  const config: Config = { targets: [targetSchema.parse(target)], defaultTarget: 'prod' };
  // The other copy: it never executes here, it only watches the shared state database.
  watcher = await startHealingBot(standIn, config, env.stateUrl, { approvers: ['UBOB'] }, 200, { limbo: FAST });
}, 60_000);
afterAll(async () => {
  await watcher?.stop();
  await standIn?.stop();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const startExecutor = (extra: Record<string, string> = {}) =>
  startBotProcess(standIn, {
    PGMEDIC_CONFIG: configPath,
    PGMEDIC_STATE_DATABASE_URL: env.stateUrl,
    PGMEDIC_APPROVERS: 'UBOB',
    ...FAST_ENV,
    ...extra,
  });

const updatesOf = (ts: string) =>
  standIn
    .callsTo('chat.update')
    .filter((c) => c.args.ts === ts)
    .map((c) => JSON.stringify(c.args.blocks));
const auditOf = async (requestId: string) =>
  (
    await watcher.statePool.query<{ event: string; actor: string | null }>(
      'SELECT event, actor FROM pgmedic.audit_log WHERE request_id = $1 ORDER BY id',
      [requestId],
    )
  ).rows;
const statusOf = async (requestId: string) =>
  (
    await watcher.statePool.query<{ status: string; executor: string }>(
      'SELECT status, executor FROM pgmedic.approval_requests WHERE id = $1',
      [requestId],
    )
  ).rows[0];

/** The REINDEX pgmedic sent, as the target sees it (waiting for its lock). */
async function reindexBackend(admin: pg.Client): Promise<{ pid: number; wait: string | null } | undefined> {
  const { rows } = await admin.query<{ pid: number; wait: string | null }>(
    "SELECT pid, wait_event_type AS wait FROM pg_stat_activity WHERE application_name LIKE 'pgmedic-%-action' AND query LIKE '%REINDEX INDEX CONCURRENTLY%'",
  );
  return rows[0];
}

/**
 * Holds SHARE UPDATE EXCLUSIVE on `big` (REINDEX CONCURRENTLY needs the same lock, so it waits), asks the
 * executor process for the REINDEX and has UBOB approve it there; resolves once the target shows it waiting.
 */
async function approvedReindexWaiting(
  executor: Pick<BotProcess, 'send'>,
  admin: pg.Client,
): Promise<{ holder: pg.Client; requestId: string; cardTs: string }> {
  const holder = await connect(env.appUrl, 'lock-holder');
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE big IN SHARE UPDATE EXCLUSIVE MODE');
  const posts = standIn.state.messages.length;
  const reply = await executor.send.command({ text: 'reindex public.big_val_idx', user: 'UALICE' });
  expect(reply.ack?.text).toContain('asking for approval');
  const card = await eventually(
    () =>
      standIn.state.messages
        .slice(posts)
        .find((m) => m.via === 'chat.postMessage' && JSON.stringify(m.blocks).includes('Approval needed')),
    'the approval card',
  );
  const requestId = JSON.stringify(card.blocks).match(/"value":"([\w-]+)","style":"primary"/)![1]!;
  await executor.send.click(APPROVE_ACTION_ID, requestId, { user: 'UBOB', messageTs: card.ts });
  await waitFor(async () => (await reindexBackend(admin))?.wait === 'Lock', 'the REINDEX to wait for its lock', 20_000);
  await eventually(() => updatesOf(card.ts).find((u) => u.includes('Approved, running')), 'the card to say running');
  return { holder, requestId, cardTs: card.ts };
}

async function cleanUp(admin: pg.Client, holder: pg.Client | undefined): Promise<void> {
  await admin.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'pgmedic-%-action'",
  );
  await holder?.query('ROLLBACK').catch(() => undefined);
  await holder?.end();
  await admin.query('DROP INDEX IF EXISTS big_val_idx_ccnew');
}

describe('no approved request left in limbo (bot processes, real PostgreSQL 18, Slack stand-in)', () => {
  it('SIGKILL of the copy running a REINDEX CONCURRENTLY: the other copy marks it outcome unknown, the card says what to check, the audit has the row', async () => {
    const admin = await connect(env.adminUrl, 'ground-truth');
    const executor = await startExecutor();
    let holder: pg.Client | undefined;
    try {
      const running = await approvedReindexWaiting(executor, admin);
      holder = running.holder;
      expect(await statusOf(running.requestId)).toMatchObject({ status: 'approved' });

      const killedAt = Date.now();
      executor.child.kill('SIGKILL');
      expect(await executor.exited).toEqual({ code: null, signal: 'SIGKILL' });
      const card = await eventually(
        () => updatesOf(running.cardTs).find((u) => u.includes('Outcome unknown')),
        'the outcome-unknown card',
        120_000,
      );
      console.log(
        `outcome unknown ${Date.now() - killedAt} ms after SIGKILL (${REAL_DEFAULTS ? 'default settings' : 'heartbeat 0.3 s, silence 3 s, sweep 0.3 s'})`,
      );

      expect(card).toContain('stopped answering');
      expect(card).toContain('Does index big_val_idx exist, is it valid, and is there a leftover big_val_idx_ccnew?');
      expect(card).toContain('pg_stat_progress_create_index');
      expect(await statusOf(running.requestId)).toMatchObject({ status: 'outcome_unknown' });
      const audit = await auditOf(running.requestId);
      expect(audit.map((a) => a.event)).toEqual(['requested', 'approved', 'execution_started', 'outcome_unknown']);
      expect(audit.at(-1)!.actor).toBeNull();
      // Why "unknown" is the honest word: the statement outlived the process that sent it.
      expect(await reindexBackend(admin)).toBeDefined();

      // `/pg audit` on the surviving copy shows the outcome.
      const reply = await watcher.send.command({ text: 'audit --private', user: 'UBOB' });
      const answer = await eventually(() => {
        const id = standIn.state.responseUrls.get(reply.responseUrl.split('/').pop()!)?.originalId;
        const note = standIn.state.messages.find((m) => m.id === id);
        return note?.history.length ? JSON.stringify(note.blocks) : undefined;
      }, 'the audit report');
      expect(answer).toContain('outcome_unknown');
      expect(answer).toContain(running.requestId);
    } finally {
      executor.child.kill('SIGKILL');
      await cleanUp(admin, holder);
      await admin.end();
    }
  }, 180_000);

  it('SIGTERM during an action waits for it: the lock goes away within the grace, the REINDEX finishes, the card says done, then the process exits', async () => {
    const admin = await connect(env.adminUrl, 'ground-truth');
    const executor = await startExecutor({ PGMEDIC_SHUTDOWN_GRACE_SECONDS: '60' });
    let holder: pg.Client | undefined;
    try {
      const running = await approvedReindexWaiting(executor, admin);
      holder = running.holder;
      executor.child.kill('SIGTERM');
      await waitFor(async () => executor.logs.some((l) => String(l.msg).startsWith('stopping')), 'the stop to begin');
      await holder.query('ROLLBACK');
      const card = await eventually(
        () => updatesOf(running.cardTs).find((u) => u.includes(':white_check_mark: Done')),
        'the done card',
        30_000,
      );
      expect(card).toContain('Index big_val_idx was rebuilt concurrently.');
      expect(await executor.exited).toEqual({ code: 0, signal: null });
      expect(await statusOf(running.requestId)).toMatchObject({ status: 'succeeded' });
      expect((await auditOf(running.requestId)).map((a) => a.event)).toEqual([
        'requested',
        'approved',
        'execution_started',
        'executed',
      ]);
    } finally {
      executor.child.kill('SIGKILL');
      await cleanUp(admin, holder);
      await admin.end();
    }
  }, 120_000);

  it('SIGTERM during an action that outlasts the grace: marked interrupted (audited, card updated), its statement cancelled on the target', async () => {
    const admin = await connect(env.adminUrl, 'ground-truth');
    const executor = await startExecutor({ PGMEDIC_SHUTDOWN_GRACE_SECONDS: '1' });
    let holder: pg.Client | undefined;
    try {
      const running = await approvedReindexWaiting(executor, admin);
      holder = running.holder;
      executor.child.kill('SIGTERM');
      expect(await executor.exited).toEqual({ code: 0, signal: null });
      const card = updatesOf(running.cardTs).find((u) => u.includes('Interrupted'));
      expect(card).toContain('pgmedic was stopped while this ran and waited 1 s for it; the statement was cancelled.');
      expect(card).toContain('Does index big_val_idx exist');
      expect(await statusOf(running.requestId)).toMatchObject({ status: 'interrupted' });
      expect((await auditOf(running.requestId)).map((a) => a.event)).toContain('interrupted');
      // bin/pgmedic audit shows it too, with what to check.
      const cliEnv = { ...process.env, PGMEDIC_STATE_DATABASE_URL: env.stateUrl, NO_COLOR: '1' };
      const { stdout } = await promisify(execFile)('bin/pgmedic', ['audit', '--target', 'prod', '--limit', '3'], {
        env: cliEnv,
      });
      expect(stdout).toMatch(/interrupted +reindex +prod +pgmedic +[\w-]+ +pgmedic was stopped while this ran/);
      // Ground truth: nothing of pgmedic's is still running on the target.
      await waitFor(async () => !(await reindexBackend(admin)), 'the cancelled REINDEX to be gone');
    } finally {
      executor.child.kill('SIGKILL');
      await cleanUp(admin, holder);
      await admin.end();
    }
  }, 120_000);

  it('the outcome cannot be recorded (audit log locked when the REINDEX ends): nothing stays approved, the request ends outcome unknown once the state database answers', async () => {
    const admin = await connect(env.adminUrl, 'ground-truth');
    const stateLocker = await connect(env.stateUrl, 'state-locker');
    let holder: pg.Client | undefined;
    try {
      // This time the in-process copy executes; it is also the one that sweeps.
      const running = await approvedReindexWaiting(watcher, admin);
      holder = running.holder;
      await stateLocker.query('BEGIN');
      await stateLocker.query('LOCK TABLE pgmedic.audit_log IN ACCESS EXCLUSIVE MODE');
      await holder.query('ROLLBACK');
      await waitFor(async () => !(await reindexBackend(admin)), 'the REINDEX to finish on the target');
      // The outcome and its audit row commit together, so neither lands; the executor gives up after the state statement_timeout.
      await eventually(
        () => watcher.logs.find((l) => l.msg === 'approval decision failed' && l.requestId === running.requestId),
        'the executor to give up recording',
        30_000,
      );
      expect(await statusOf(running.requestId)).toMatchObject({ status: 'approved' });
      await stateLocker.query('ROLLBACK');
      const card = await eventually(
        () => updatesOf(running.cardTs).find((u) => u.includes('Outcome unknown')),
        'the outcome-unknown card',
        30_000,
      );
      expect(card).toContain('Does index big_val_idx exist');
      expect(await statusOf(running.requestId)).toMatchObject({ status: 'outcome_unknown' });
      expect((await auditOf(running.requestId)).map((a) => a.event)).toEqual([
        'requested',
        'approved',
        'execution_started',
        'outcome_unknown',
      ]);
    } finally {
      await stateLocker.end();
      await cleanUp(admin, holder);
      await admin.end();
    }
  }, 120_000);
});
