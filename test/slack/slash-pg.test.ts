import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { listCommands } from '../../src/engine/registry.js';
import { clientPool, waitFor } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBlockingChain } from '../support/scenarios/blocking-chain.js';
import { eventually, startTestBot, type TestBot } from '../support/slack/bot.js';
import type { StoredMessage } from '../support/slack/state.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

let server: TestServer;
let standIn: SlackStandIn;
let bot: TestBot;

beforeAll(async () => {
  server = await startTestServer(18);
  standIn = await startSlackStandIn();
  for (const channel of ['CINCIDENT', 'CSECURE', 'CDBA']) standIn.state.botChannels.add(channel);
  standIn.state.usergroups.set('SDBA', ['UDBA']);
  standIn.state.guests.add('UGUEST');
  const target = (extra: Record<string, unknown>) => targetSchema.parse({ url: server.url(), ...extra });
  const config: Config = {
    targets: [
      target({ name: 'main' }),
      target({ name: 'guarded', channels: ['CSECURE'] }),
      target({ name: 'dba-only', users: ['SDBA'] }),
    ],
    defaultTarget: 'main',
  };
  bot = await startTestBot(standIn, config, { SLACK_PRIVATE_CHANNELS: 'CQUIET' });
});
afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
  await server?.stop();
});
afterEach(() => {
  expect(standIn.state.problems).toEqual([]);
});

const blocksText = (m: StoredMessage | undefined) => JSON.stringify(m?.blocks ?? []);
const postedAfter = (count: number, channel: string) => () =>
  standIn
    .callsTo('chat.postMessage')
    .slice(count)
    .find((c) => c.args.channel === channel);
const ackMessage = (responseUrl: string) => {
  const id = standIn.state.responseUrls.get(responseUrl.split('/').pop()!)?.originalId;
  return standIn.state.messages.find((m) => m.id === id);
};

describe('/pg against a real PostgreSQL 18', () => {
  it('acks with a running note, then posts the report in the channel and removes the note', async () => {
    const before = standIn.callsTo('chat.postMessage').length;
    const reply = await bot.send.command({ text: 'locks' });
    expect(reply.ack).toMatchObject({
      response_type: 'ephemeral',
      text: ':hourglass_flowing_sand: Running `locks` on `main`…',
    });
    const post = await eventually(postedAfter(before, 'CINCIDENT'), 'the report');
    expect(post.args.unfurl_links).toBe('false');
    const text = JSON.stringify(post.args.blocks);
    expect(text).toContain(':large_green_circle: Locks');
    expect(text).toMatch(/main · PostgreSQL 18\.\d+ · \d+ ms/);
    await eventually(() => ackMessage(reply.responseUrl)?.deleted, 'the running note to go');
  });

  it('replaces the running note with an ephemeral report for --private and in a private-by-default channel', async () => {
    for (const [text, channel] of [
      ['locks --private', 'CINCIDENT'],
      ['locks', 'CQUIET'],
    ] as const) {
      const before = standIn.callsTo('chat.postMessage').length;
      const reply = await bot.send.command({ text, channel });
      const note = await eventually(
        () => (ackMessage(reply.responseUrl)?.history.length ? ackMessage(reply.responseUrl) : undefined),
        'the report',
      );
      expect(note.ephemeral).toBe(true);
      expect(blocksText(note)).toContain('Locks');
      expect(standIn.callsTo('chat.postMessage').length).toBe(before);
    }
  });

  it('answers through the response_url in the channel when the app is not a member', async () => {
    const reply = await bot.send.command({ text: 'locks', channel: 'CNOTJOINED' });
    const posted = await eventually(
      () => standIn.state.messages.find((m) => m.channel === 'CNOTJOINED' && m.via === 'response_url'),
      'the in-channel reply',
    );
    expect(posted.ephemeral).toBe(false);
    expect(blocksText(posted)).toContain('Locks');
    expect(ackMessage(reply.responseUrl)?.deleted).toBe(true);
  });

  it('refuses a channel a target does not allow, and a user outside its user group, and guests', async () => {
    const cases = [
      {
        text: 'locks guarded',
        channel: 'CINCIDENT',
        user: 'UALICE',
        expected: 'cannot be queried from this channel',
        rule: 'channel',
      },
      { text: 'locks dba-only', channel: 'CDBA', user: 'UALICE', expected: 'not on the list of people', rule: 'user' },
      { text: 'locks', channel: 'CINCIDENT', user: 'UGUEST', expected: 'Guest accounts may not query', rule: 'guest' },
    ];
    for (const c of cases) {
      const before = standIn.callsTo('chat.postMessage').length;
      const reply = await bot.send.command(c);
      const note = await eventually(
        () => (ackMessage(reply.responseUrl)?.history.length ? ackMessage(reply.responseUrl) : undefined),
        'the refusal',
      );
      expect(note).toMatchObject({ ephemeral: true, deleted: false });
      expect(note.text).toContain(c.expected);
      expect(standIn.callsTo('chat.postMessage').length).toBe(before);
      expect(bot.logs.some((l) => l.msg === 'refused a command' && l.rule === c.rule && l.user === c.user)).toBe(true);
    }
  });

  it('lets the allowed channel and the user group in', async () => {
    for (const c of [
      { text: 'locks guarded', channel: 'CSECURE' },
      { text: 'locks dba-only', channel: 'CDBA', user: 'UDBA' },
    ]) {
      const before = standIn.callsTo('chat.postMessage').length;
      await bot.send.command(c);
      const post = await eventually(postedAfter(before, c.channel), 'the report');
      expect(JSON.stringify(post.args.blocks)).toContain('Locks');
    }
  });

  it('uses the channel’s own target when the command names none', async () => {
    const reply = await bot.send.command({ text: 'locks', channel: 'CSECURE' });
    expect(reply.ack?.text).toContain('on `guarded`');
  });

  it('runs a retried delivery once', async () => {
    await bot.bot.deps.jobs.idle(10_000);
    const before = standIn.callsTo('chat.postMessage').length;
    const first = await bot.send.command({ text: 'locks', channel: 'CINCIDENT' });
    const retry = await bot.send.command({
      text: 'locks',
      channel: 'CINCIDENT',
      triggerId: first.triggerId,
      retryNum: 1,
    });
    expect(first.ack?.text).toContain('Running');
    expect(retry).toMatchObject({ status: 200, ack: undefined });
    expect(bot.logs.some((l) => l.msg === 'dropped a repeated delivery' && l.retryNum === 1)).toBe(true);
    await eventually(postedAfter(before, 'CINCIDENT'), 'the report');
    await bot.bot.deps.jobs.idle(10_000);
    expect(standIn.callsTo('chat.postMessage').length).toBe(before + 1);
    expect(
      standIn.callsTo('response_url').filter((c) => c.args.responseUrlId === retry.responseUrl.split('/').pop()),
    ).toEqual([]);
  });

  it('cuts a report too big for one message and attaches the full report in its thread', async () => {
    const WAITERS = 70;
    const chain = await createBlockingChain(server.url(), 'slack_pileup');
    const waiters = clientPool(server.url());
    try {
      const pids: number[] = [];
      // More waiters than a data table's share of the message holds (about 110 characters a row).
      for (let i = 0; i < WAITERS; i++) {
        const client = await waiters.open(`scenario-waiter-${i}`);
        pids.push((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
        void client.query('UPDATE slack_pileup SET balance = 0 WHERE id = 1').catch(() => undefined);
      }
      const probe = await waiters.open('scenario-probe');
      await waitFor(
        async () =>
          (
            await probe.query(
              `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'scenario-waiter-%' AND wait_event_type = 'Lock' HAVING count(*) = ${WAITERS}`,
            )
          ).rowCount,
        `${WAITERS} waiters`,
      );
      const before = standIn.callsTo('chat.postMessage').length;
      await bot.send.command({ text: 'locks' });
      const post = await eventually(postedAfter(before, 'CINCIDENT'), 'the report');
      const blocks = JSON.stringify(post.args.blocks);
      // The tree pages as a data table holding the rows that fit; the rest are counted below it.
      const table = (post.args.blocks as { type: string; rows?: unknown[] }[]).find((b) => b.type === 'data_table');
      const held = table!.rows!.length - 1;
      expect(held).toBeGreaterThan(15);
      const sessions = Number(/holding up (\d+) sessions/.exec(blocks)?.[1]); // the chain's own waiters too
      expect(sessions).toBeGreaterThanOrEqual(WAITERS);
      expect(blocks).toContain(`…and ${sessions + 1 - held} more`);
      expect(blocks).toContain('the full report is attached in the thread');
      const file = await eventually(
        () => [...standIn.state.files.values()].find((f) => f.threadTs && f.channel === 'CINCIDENT'),
        'the attachment',
      );
      const ts = standIn.state.messages.find(
        (m) => m.via === 'chat.postMessage' && m.channel === 'CINCIDENT' && JSON.stringify(m.blocks) === blocks,
      )?.ts;
      expect(file.threadTs).toBe(ts);
      for (const pid of [chain.rootPid, ...pids]) expect(file.content).toContain(String(pid));
    } finally {
      await chain.release().catch(() => undefined);
      await waiters.closeAll();
      await chain.close();
    }
  });

  it('shows the last known status of each target on the Home tab', async () => {
    await bot.send.event({ type: 'app_home_opened', user: 'UHOME', channel: 'DHOME', tab: 'home' });
    const view = await eventually(
      () => standIn.state.views.get('UHOME') as { blocks: unknown[] } | undefined,
      'views.publish',
    );
    const text = JSON.stringify(view.blocks);
    expect(text).toMatch(/\*main\* — .*`locks`, .* ago · PostgreSQL 18/);
  });

  it('runs every registered diagnostic through /pg', async () => {
    for (const command of listCommands('diagnostic')) {
      const reply = await bot.send.command({ text: `${command.name} --private`, channel: 'CINCIDENT' });
      expect(reply.ack?.text, command.name).toContain(`Running \`${command.name}\``);
      const note = await eventually(
        () => (ackMessage(reply.responseUrl)?.history.length ? ackMessage(reply.responseUrl) : undefined),
        `${command.name} to answer`,
        30_000,
      );
      const answered = note.blocks ? blocksText(note) : (note.text ?? '');
      // A report, or a short specific error (for example a missing extension); never an internal failure.
      expect(answered, command.name).not.toContain('Something went wrong inside pgmedic');
      expect(answered, command.name).not.toMatch(/\n\s+at /);
      expect(note.blocks ? answered : note.text, command.name).toMatch(note.blocks ? /"type":"header"/ : /^:warning: /);
    }
  });
});
