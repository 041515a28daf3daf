import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import type { Targets } from '../../src/db/targets.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createDatabases, targetsOf } from '../support/schedule.js';
import { eventually } from '../support/slack/bot.js';
import { startScheduledBot, type ScheduledBot } from '../support/slack/scheduled-bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

let server: TestServer;
let state: pg.Pool;
let seedTargets: Targets;
let standIn: SlackStandIn;
let bot: ScheduledBot;

beforeAll(async () => {
  server = await startTestServer(18);
  const admin = await connect(server.url());
  await createDatabases(admin, ['app', 'state']);
  await admin.end();
  const app = await connect(server.url('app'));
  await app.query('CREATE EXTENSION pg_stat_statements');
  await app.end();
  state = createStatePool(server.url('state'));
  await migrateStateDatabase(state);
  seedTargets = targetsOf([{ name: 'app', url: server.url('app') }]);
  await takeSnapshot(seedTargets.get('app'), state);
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  const config: Config = {
    targets: [targetSchema.parse({ name: 'app', url: server.url('app') })],
    defaultTarget: 'app',
  };
  bot = await startScheduledBot(
    standIn,
    config,
    server.url('state'),
    { approvers: ['UBOB'] },
    { digests: [], alerts: undefined, snapshots: { cron: null, retentionDays: 35 } },
    { instanceId: 'history' },
  );
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
  await seedTargets?.closeAll();
  await state?.end();
  await server?.stop();
});

describe('/pg slow-queries --since, through the Slack stand-in', () => {
  it('reads the state database’s snapshots in the bot, and refuses a hostile window in the ack', async () => {
    await bot.send.command({ text: 'slow-queries app --since 24h', channel: 'CINCIDENT' });
    const posted = await eventually(
      () =>
        standIn.state.messages.find((m) => JSON.stringify(m.blocks ?? '').includes('Slow queries over the last 24h')),
      'the window report',
      30_000,
    );
    expect(JSON.stringify(posted.blocks)).toContain('No snapshot is 24h old');
    const refused = await bot.send.command({ text: 'slow-queries app --since 24h;DROP', channel: 'CINCIDENT' });
    expect(refused.ack?.text).toContain('1h, 24h or 7d');
  });
});

describe('/pg snapshot', () => {
  it('says it works on the command line, in the ack', async () => {
    const reply = await bot.send.command({ text: 'snapshot app', channel: 'CINCIDENT' });
    expect(reply.ack?.text).toContain('`snapshot` works on the command line only');
    expect(reply.ack?.text).toContain('pgmedic snapshot [--target NAME]');
  });
});
