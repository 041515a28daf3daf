import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsSchema } from '../../src/config/schedule.js';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { blockKitProblems } from '../../src/slack/blocks/validate.js';
import { listLeases } from '../../src/state/leases.js';
import { createStatePool } from '../../src/state/pool.js';
import { waitFor } from '../support/clients.js';
import { prepareHealingServer, type HealingServer } from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { eventually } from '../support/slack/bot.js';
import { startScheduledBot, type ScheduledBot } from '../support/slack/scheduled-bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

let server: TestServer;
let env: HealingServer;
let standIn: SlackStandIn;
let state: pg.Pool;
const bots: ScheduledBot[] = [];

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  standIn = await startSlackStandIn();
  for (const channel of ['CINCIDENT', 'CALERTS', 'CSECRET']) standIn.state.botChannels.add(channel);
  const config: Config = {
    targets: [
      targetSchema.parse({ name: 'prod', url: env.monitorUrl }),
      // Another database of prod's server, same role and settings: prod's look stands for it (one lease, no own row).
      targetSchema.parse({ name: 'prod-postgres', url: otherDatabase(env.monitorUrl) }),
      // Only #secret-ops may query it: its lease and its name stay out of everyone else's status.
      targetSchema.parse({ name: 'secret', url: env.monitorUrl, channels: ['CSECRET'] }),
    ],
    defaultTarget: 'prod',
  };
  const schedule = { digests: [], alerts: alertsSchema.parse({ channel: 'CALERTS' }) };
  for (const id of ['copy-0', 'copy-1'])
    bots.push(
      await startScheduledBot(standIn, config, env.stateUrl, { approvers: ['UBOB'] }, schedule, {
        instanceId: id,
        alertIntervalMs: 1_000,
      }),
    );
  state = createStatePool(env.stateUrl);
  // Both targets checked by the copies' own timers: the state database is the ground truth for the view.
  await waitFor(
    async () => {
      const leases = await listLeases(state, 'alerts');
      return leases.length === 2 && leases.every((l) => l.holder && l.lastCheckedAt) ? leases : undefined;
    },
    'both targets watched',
    30_000,
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(bots.map((b) => b.stop()));
  await state?.end();
  await standIn?.stop();
  await server?.stop();
});

function otherDatabase(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

const textOf = (m: { text?: string; blocks?: unknown[] }) => JSON.stringify([m.text, m.blocks]);
const posts = (channel: string) =>
  standIn.state.messages.filter((m) => m.via === 'chat.postMessage' && m.channel === channel && !m.threadTs);

async function statusFrom(channel: string): Promise<string> {
  const before = posts(channel).length;
  const reply = await bots[0]!.send.command({ text: 'status', channel });
  expect(reply.ack?.text).toContain('Running `status`');
  const message = await eventually(
    () =>
      posts(channel)
        .slice(before)
        .find((m) => textOf(m).includes('Alert watch: who checks what')),
    'the status report',
    15_000,
  );
  expect(blockKitProblems({ text: message.text, blocks: message.blocks })).toEqual([]);
  return textOf(message);
}

describe('/pg status and the Home tab show which copy checks which target', () => {
  it('lists each copy with its heartbeat and each target the person may query with its holder and last check', async () => {
    const leases = await listLeases(state, 'alerts');
    const holderOf = (t: string) => leases.find((l) => l.target === t)!.holder!;
    const text = await statusFrom('CINCIDENT');
    expect(text).toContain('copy-0');
    expect(text).toContain('copy-1');
    expect(text).toMatch(/heartbeat|ago/);
    expect(text).toContain('prod');
    expect(text).toContain(holderOf('prod'));
    expect(text).not.toContain('secret'); // not queryable from #incident: not even its name
    expect(text).toMatch(
      /2 copies live, 2 watched targets \(1 look per interval, one per server\); each checked within/,
    );
    expect(text).not.toContain('prod-postgres'); // no row of its own: it is one of prod's databases
    expect(text).toContain('databases');

    const fromSecret = await statusFrom('CSECRET');
    expect(fromSecret).toContain('secret');
    expect(fromSecret).toMatch(/3 watched targets \(2 looks per interval, one per server\)/);
  }, 60_000);

  it('refuses a target or an option with what to type instead', async () => {
    for (const text of ['status prod', 'status --limit 5', 'status ; DROP TABLE pgmedic.watch_leases']) {
      const reply = await bots[1]!.send.command({ text, channel: 'CINCIDENT' });
      expect(reply.ack?.text).toContain('`status` takes no target or option');
      expect(reply.ack?.text).toContain('/pg status');
    }
    expect((await listLeases(state, 'alerts')).length).toBe(2);
  });

  it('shows the holder and the last check of each visible target on the Home tab', async () => {
    standIn.state.views.delete('UHOME');
    await bots[1]!.send.event({ type: 'app_home_opened', user: 'UHOME', channel: 'DHOME', tab: 'home' });
    const view = await eventually(
      () => standIn.state.views.get('UHOME') as { blocks: unknown[] } | undefined,
      'views.publish',
    );
    const text = JSON.stringify(view.blocks);
    expect(text).toMatch(/alert watch: `copy-[01]`, checked \d+(ms|s) ago/);
    expect(text).toMatch(/prod-postgres\*[^"]*alert watch: `copy-[01]`, checked \d+(ms|s) ago with prod_/);
    expect(text).toContain('*Alert watch copies*');
    expect(text).toContain('`/pg status` has the details');
  });
});
