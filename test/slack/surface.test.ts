import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { SIGNING_SECRET, eventually, startTestBot, type TestBot } from '../support/slack/bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

// No SQL here: targets point at a closed port and pools connect lazily, so only Slack-facing behaviour runs.
let standIn: SlackStandIn;
let bot: TestBot;
const config: Config = {
  targets: [
    targetSchema.parse({ name: 'prod', url: 'postgres://nobody@127.0.0.1:1/postgres', connectTimeoutMs: 500 }),
    targetSchema.parse({ name: 'staging', url: 'postgres://nobody@127.0.0.1:1/postgres', connectTimeoutMs: 500 }),
  ],
  defaultTarget: 'prod',
};

beforeAll(async () => {
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  bot = await startTestBot(standIn, config);
});
afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
});
afterEach(() => {
  expect(standIn.state.problems).toEqual([]);
});

describe('/pg over signed HTTP', () => {
  it('answers /pg help with the command list, ephemerally', async () => {
    const reply = await bot.send.command({ text: 'help' });
    expect(reply.status).toBe(200);
    expect(reply.ack?.response_type).toBe('ephemeral');
    expect(JSON.stringify(reply.ack?.blocks)).toContain('pgmedic commands');
    expect(JSON.stringify(reply.ack?.blocks)).toContain('locks');
  });

  it('answers /pg help locks with its options', async () => {
    const reply = await bot.send.command({ text: 'help locks' });
    expect(JSON.stringify(reply.ack?.blocks)).toContain('--limit');
  });

  it.each([
    ['lokcs', 'Did you mean `locks`?'],
    ['locks prdo', 'Did you mean `prod`?'],
    ['locks --limt 3', 'Did you mean `--limit`?'],
    ['locks --limit many', '--limit'],
    ['help lokcs', 'Did you mean `locks`?'],
  ])('answers bad input "%s" ephemerally with the closest valid choice', async (text, hint) => {
    const reply = await bot.send.command({ text });
    expect(reply.ack?.response_type).toBe('ephemeral');
    expect(reply.ack?.text).toContain(hint);
    expect(reply.ack?.text).not.toMatch(/\n\s+at /);
  });

  it('turns an em dash typed by a phone back into --', async () => {
    const reply = await bot.send.command({ text: 'locks —limt 3' });
    expect(reply.ack?.text).toContain('Did you mean `--limit`?');
  });

  it('refuses a bad signature and a stale timestamp with 401, and runs nothing', async () => {
    const before = standIn.state.calls.length;
    const forged = await bot.send.command({ text: 'locks', secret: 'not-the-secret' });
    const stale = await bot.send.command({ text: 'locks', timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect([forged.status, stale.status]).toEqual([401, 401]);
    expect(standIn.state.calls.length).toBe(before);
    expect(SIGNING_SECRET).not.toBe('not-the-secret');
  });

  it('says exactly what failed when the target is down: short, ephemeral, no stack', async () => {
    const reply = await bot.send.command({ text: 'locks staging' });
    expect(reply.ack?.text).toContain('Running `locks` on `staging`');
    const note = await eventually(
      () =>
        standIn.state.messages.find(
          (m) =>
            m.id && m.via === 'ack' && m.history.length && m.channel === 'CINCIDENT' && m.text?.includes('staging'),
        ),
      'the error',
    );
    expect(note.ephemeral).toBe(true);
    expect(note.text).toMatch(/^:warning: Could not connect to target "staging"/);
    // The target and the cause, never the internal address.
    expect(note.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:\d{1,5}\b/);
    expect(note.text).not.toMatch(/\n\s+at /);
  });

  it('answers a suggested-action click without running anything when there is no state database', async () => {
    const click = await bot.send.click('pgmedic_action:terminate:0', 'terminate');
    expect(click.status).toBe(200);
    const answer = await eventually(
      () =>
        standIn.state.messages.find((m) => m.via === 'response_url' && m.text?.includes('PGMEDIC_STATE_DATABASE_URL')),
      'the click answer',
    );
    expect(answer.ephemeral).toBe(true);
  });

  it('renders the Home tab with every target and the commands', async () => {
    const sent = await bot.send.event({ type: 'app_home_opened', user: 'UALICE', channel: 'DHOME', tab: 'home' });
    expect(sent.status).toBe(200);
    const view = await eventually(
      () => standIn.state.views.get('UALICE') as { type: string; blocks: unknown[] } | undefined,
      'views.publish',
    );
    expect(view.type).toBe('home');
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('*prod*');
    expect(text).toContain('*staging*');
    expect(text).toContain('/pg locks');
  });

  it('serves /healthz', async () => {
    const response = await fetch(`${bot.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true });
  });
});
