import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { alertsSchema, digestScheduleSchema, type ScheduleConfig } from '../../src/config/schedule.js';
import { blockKitProblems } from '../../src/slack/blocks/validate.js';
import { connect, waitFor } from '../support/clients.js';
import { prepareHealingServer, type HealingServer } from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';
import { createBloatedTable, type BloatedTable } from '../support/scenarios/bloated-table.js';
import { createVacuumStarved, type VacuumStarved } from '../support/scenarios/vacuum-starved.js';
import { eventually } from '../support/slack/bot.js';
import { channelPosts, startScheduledBot, threadReplies, type ScheduledBot } from '../support/slack/scheduled-bot.js';
import type { StoredMessage } from '../support/slack/state.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';
import { buttonsOf } from '../support/slack/buttons.js';

let server: TestServer;
let env: HealingServer;
let standIn: SlackStandIn;
let config: Config;
let admin: pg.Client;
let bloated: BloatedTable;
let starved: VacuumStarved;
const POLICY = { approvers: ['UBOB'] };
/** Raise a blocker at once: any lock wait counts, two sessions held up is enough. */
const THRESHOLDS = { lockWaitSeconds: { warn: 0, crit: 600 }, rootBlockerSessions: { warn: 2, crit: 50 } };
const NOTHING: ScheduleConfig = { digests: [], alerts: undefined };
const running: ScheduledBot[] = [];

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  admin = await connect(env.adminUrl, 'ground-truth');
  bloated = await createBloatedTable(env.appUrl);
  starved = await createVacuumStarved(env.appUrl);
  standIn = await startSlackStandIn();
  for (const channel of ['CINCIDENT', 'CDIGEST', 'CALERTS']) standIn.state.botChannels.add(channel);
  const prod = targetSchema.parse({
    name: 'prod',
    url: env.monitorUrl,
    actionUrl: env.healerUrl,
    thresholds: THRESHOLDS,
  });
  // Same database, but only #secret-ops may query it: digests leave it out elsewhere.
  const secret = targetSchema.parse({ name: 'secret', url: env.monitorUrl, channels: ['CSECRET'] });
  config = { targets: [prod, secret], defaultTarget: 'prod' };
}, 60_000);
afterAll(async () => {
  await starved?.release();
  await starved?.close();
  await admin?.end();
  await standIn?.stop();
  await server?.stop();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((bot) => bot.stop()));
  expect(standIn.state.problems).toEqual([]);
});

async function copies(count: number, schedule: ScheduleConfig, alertIntervalMs?: number): Promise<ScheduledBot[]> {
  for (let i = 0; i < count; i++) {
    running.push(
      await startScheduledBot(standIn, config, env.stateUrl, POLICY, schedule, {
        instanceId: `copy-${i}`,
        ...(alertIntervalMs ? { alertIntervalMs } : {}),
      }),
    );
  }
  return running.slice(-count);
}

const textOf = (m: { text?: string; blocks?: unknown[] }) => JSON.stringify([m.text, m.blocks]);
const valid = (m: { text?: string; blocks?: unknown[] }) => blockKitProblems({ text: m.text, blocks: m.blocks });

describe('digests and alerts in Slack, against a real PostgreSQL 18', () => {
  it('/pg digest posts a summary in the channel and each section in its thread, with working VACUUM buttons', async () => {
    // `/pg digest` runs the sections of the first configured digest (this one never comes due in the test).
    const yearly = digestScheduleSchema.parse({
      name: 'yearly',
      cron: '0 6 1 1 *',
      channel: 'CDIGEST',
      sections: ['bloat --min-size 0 --limit 5', 'vacuum --limit 5'],
    });
    const [bot] = await copies(1, { digests: [yearly], alerts: undefined });
    const before = channelPosts(standIn, 'CINCIDENT').length;
    const reply = await bot!.send.command({ text: 'digest prod' });
    expect(reply.ack?.text).toContain('Running `digest` on `prod`');
    const summary = await eventually(
      () =>
        channelPosts(standIn, 'CINCIDENT')
          .slice(before)
          .find((m) => textOf(m).includes('Digest:')),
      'the digest summary',
      30_000,
    );
    const replies = await eventually(
      () =>
        threadReplies(standIn, 'CINCIDENT', summary.ts).length === 2
          ? threadReplies(standIn, 'CINCIDENT', summary.ts)
          : undefined,
      'both section replies',
      30_000,
    );
    for (const message of [summary, ...replies]) expect(valid(message)).toEqual([]);
    expect(textOf(summary)).toContain('prod');
    const [bloat, vacuum] = replies as [StoredMessage, StoredMessage];
    expect(textOf(bloat)).toContain(bloated.table);
    expect(textOf(vacuum)).toContain(starved.table);
    // The "Running" note went away once the digest was in the channel.
    await eventually(
      () => standIn.state.messages.find((m) => m.via === 'ack' && textOf(m).includes('Running `digest`'))?.deleted,
      'the running note to be deleted',
    );

    // VACUUM buttons carry opaque offer ids; a click asks for approval like a report's button.
    const vacuumButton = buttonsOf(vacuum.blocks).find(
      (b) => b.action_id.startsWith('pgmedic_action:vacuum-table') && b.text.text.includes(starved.table),
    )!;
    expect(vacuumButton.value).toMatch(/^o_[\w-]+$/);
    const stored = await bot!.statePool.query<{ action: string; params: { table: string }; channel: string }>(
      'SELECT action, params, channel FROM pgmedic.action_offers WHERE id = $1',
      [vacuumButton.value],
    );
    expect(stored.rows).toEqual([
      {
        action: 'vacuum-table',
        params: { table: `"public"."${starved.table}"`, oid: expect.stringMatching(/^\d+$/) },
        channel: 'CINCIDENT',
      },
    ]);
    const cards = channelPosts(standIn, 'CINCIDENT').length;
    await bot!.send.click(vacuumButton.action_id, vacuumButton.value, { user: 'UALICE', messageTs: vacuum.ts });
    const card = await eventually(
      () =>
        channelPosts(standIn, 'CINCIDENT')
          .slice(cards)
          .find((m) => textOf(m).includes('Approval needed')),
      'the approval card',
    );
    expect(textOf(card)).toContain(starved.table);
  });

  it('/pg help lists digest and audit; targets this channel may not query are refused or left out', async () => {
    const [bot] = await copies(1, NOTHING);
    const help = await bot!.send.command({ text: 'help' });
    expect(textOf(help.ack!)).toMatch(/digest[\s\S]*audit/);
    expect(valid(help.ack!)).toEqual([]);
    const wrong = await bot!.send.command({ text: 'digest nope' });
    expect(wrong.ack?.text).toContain('There is no target named "nope"');

    const seen = standIn.state.messages.length;
    await bot!.send.command({ text: 'digest secret' });
    await eventually(
      () =>
        standIn.state.messages
          .slice(seen)
          .find((m) => m.ephemeral && (m.text ?? '').includes('You may not query `secret`')),
      'the refusal',
    );
    const before = channelPosts(standIn, 'CINCIDENT').length;
    await bot!.send.command({ text: 'digest' });
    const summary = await eventually(
      () =>
        channelPosts(standIn, 'CINCIDENT')
          .slice(before)
          .find((m) => textOf(m).includes('Digest:')),
      'the digest of every allowed target',
      30_000,
    );
    expect(textOf(summary)).toContain('1 target');
    expect(textOf(summary)).not.toContain('secret');
  });

  it('a scheduled digest (cron with a seconds field) is posted exactly once by two copies sharing one state database', async () => {
    const at = new Date(Date.now() + 5_000);
    const cron = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
    const digest = digestScheduleSchema.parse({
      name: 'morning',
      cron,
      timezone: 'UTC',
      channel: 'CDIGEST',
      targets: ['prod'],
    });
    const [a, b] = await copies(2, { digests: [digest], alerts: undefined });
    const summary = await eventually(() => channelPosts(standIn, 'CDIGEST')[0], 'the scheduled digest', 30_000);
    const claims = async () =>
      (
        await a!.statePool.query<{ outcome: string | null }>(
          "SELECT outcome FROM pgmedic.schedule_claims WHERE job = 'digest:morning' ORDER BY scheduled_at",
        )
      ).rows;
    await waitFor(async () => (await claims()).some((c) => c.outcome === 'sent'), 'the claim to be marked sent');
    // One claim sent it; anything else claimed (yesterday's run, missed past the grace period) was skipped.
    const outcomes = (await claims()).map((c) => c.outcome);
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'sent').every((o) => o === 'skipped: past the grace period')).toBe(true);
    expect(channelPosts(standIn, 'CDIGEST')).toEqual([summary]);
    expect(threadReplies(standIn, 'CDIGEST', summary.ts)).toHaveLength(2);
    expect(valid(summary)).toEqual([]);
    expect(textOf(summary)).toContain('Digest: morning');
    const logs = [...a!.logs, ...b!.logs];
    expect(logs.filter((l) => l.msg === 'digest sent')).toHaveLength(1);
  });

  it('a blocking chain raises one alert with a Terminate button, updated in place, resolved once the root commits', async () => {
    const chain = await createBlockingChain(env.appUrl);
    try {
      const blocked = await admin.query<{ pids: number[] }>('SELECT pg_blocking_pids($1) AS pids', [chain.middlePid]);
      expect(blocked.rows[0]!.pids).toEqual([chain.rootPid]); // ground truth: PostgreSQL's own view of who blocks whom
      await copies(
        2,
        { digests: [], alerts: alertsSchema.parse({ channel: 'CALERTS', intervalSeconds: 1, targets: ['prod'] }) },
        300,
      );
      const alertPosts = () =>
        channelPosts(standIn, 'CALERTS').filter(
          (m) => textOf(m).includes(`Session ${chain.rootPid}`) && !textOf(m).includes('Approval needed'),
        );
      const alert = await eventually(() => alertPosts()[0], 'the alert', 20_000);
      expect(valid(alert)).toEqual([]);
      const terminate = buttonsOf(alert.blocks).find((b) => b.action_id.startsWith('pgmedic_action:terminate'))!;
      expect(terminate.value).toMatch(/^o_[\w-]+$/);
      expect(terminate.value).not.toContain(String(chain.rootPid));
      const offer = await running[0]!.statePool.query<{ params: { pid: string } }>(
        'SELECT params FROM pgmedic.action_offers WHERE id = $1',
        [terminate.value],
      );
      expect(offer.rows[0]!.params.pid).toBe(String(chain.rootPid));

      await eventually(
        () => standIn.callsTo('chat.update').find((c) => c.args.ts === alert.ts),
        'an update of the alert in place',
        20_000,
      );
      const cards = channelPosts(standIn, 'CALERTS').length;
      await running[0]!.send.click(terminate.action_id, terminate.value, {
        channel: 'CALERTS',
        user: 'UALICE',
        messageTs: alert.ts,
      });
      await eventually(
        () =>
          channelPosts(standIn, 'CALERTS')
            .slice(cards)
            .find((m) => textOf(m).includes('Approval needed')),
        'the approval card',
      );

      await chain.release();
      const resolved = await eventually(
        () =>
          standIn
            .callsTo('chat.update')
            .find(
              (c) =>
                c.args.ts === alert.ts && textOf(c.args as { text?: string; blocks?: unknown[] }).includes('Resolved'),
            ),
        'the resolution',
        20_000,
      );
      expect(buttonsOf(resolved.args.blocks as unknown[])).toEqual([]);
      await eventually(
        () => threadReplies(standIn, 'CALERTS', alert.ts).find((m) => textOf(m).includes('Resolved')),
        'the resolution reply',
      );
      expect(alertPosts()).toEqual([alert]);
      expect(threadReplies(standIn, 'CALERTS', alert.ts).filter((m) => textOf(m).includes('Resolved'))).toHaveLength(1);
    } finally {
      await chain.release();
      await chain.close();
    }
  });
});
