import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { digestScheduleSchema } from '../../src/config/schedule.js';
import type { Targets } from '../../src/db/targets.js';
import { localDate } from '../../src/schedule/cron.js';
import { dayOffset } from '../../src/schedule/trends/compare.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { createChartTables, runDailyDigests } from '../support/charts.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { decodePng } from '../support/png.js';
import { createDatabases, targetsOf } from '../support/schedule.js';
import { eventually, startTestBot } from '../support/slack/bot.js';
import { channelPosts, startScheduledBot, type ScheduledBot } from '../support/slack/scheduled-bot.js';
import type { StoredFile } from '../support/slack/state.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

let server: TestServer;
let admin: pg.Client;
let app: pg.Client;
let seedState: pg.Pool;
let seedTargets: Targets;
let standIn: SlackStandIn;
let bot: ScheduledBot;
let config: Config;
const today = localDate(Date.now(), 'UTC');

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['app', 'state']);
  app = await connect(server.url('app'));
  await createChartTables(app);
  seedState = createStatePool(server.url('state'));
  await migrateStateDatabase(seedState);
  // A week of digests before today; `/pg digest` below adds today's.
  seedTargets = targetsOf([{ name: 'app', url: server.url('app') }]);
  await runDailyDigests(app, seedTargets.get('app'), seedState, dayOffset(today, -1), 7);
  standIn = await startSlackStandIn();
  for (const channel of ['CINCIDENT', 'CSECRET']) standIn.state.botChannels.add(channel);
  // The same database twice: `secret` only from #secret-ops.
  config = {
    targets: [
      targetSchema.parse({ name: 'app', url: server.url('app') }),
      targetSchema.parse({ name: 'secret', url: server.url('app'), channels: ['CSECRET'] }),
    ],
    defaultTarget: 'app',
  };
  const yearly = digestScheduleSchema.parse({
    name: 'yearly',
    cron: '0 6 1 1 *',
    channel: 'CINCIDENT',
    sections: ['bloat --min-size 0 --limit 100', 'vacuum --limit 10'],
  });
  bot = await startScheduledBot(
    standIn,
    config,
    server.url('state'),
    { approvers: ['UBOB'] },
    { digests: [yearly], alerts: undefined },
    { instanceId: 'charts' },
  );
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
  await seedTargets?.closeAll();
  await seedState?.end();
  await app?.end();
  await admin?.end();
  await server?.stop();
});

afterEach(() => expect(standIn.state.problems).toEqual([]));

/** Files count once files.completeUploadExternal has shared them. */
const uploaded = (where: (f: StoredFile) => boolean) =>
  [...standIn.state.files.values()].filter((f) => f.bytes && f.channel && where(f));
const ackText = async (text: string, channel = 'CINCIDENT') =>
  (await bot.send.command({ text, channel })).ack?.text ?? '';
const latestReply = (channel: string) =>
  standIn.state.messages.filter((m) => m.channel === channel && (m.via === 'ack' || m.via === 'response_url')).at(-1)
    ?.text ?? '';

describe('/pg trend, through the Slack stand-in with signed requests', () => {
  it('uploads the chart to the channel as a valid PNG and removes the running note', async () => {
    const before = uploaded(() => true).length;
    expect(await ackText('trend size app --days 30')).toContain('Running `trend` on `app`');
    const [file] = await eventually(
      () => (uploaded(() => true).length > before ? uploaded(() => true).slice(before) : undefined),
      'the chart upload',
      30_000,
    );
    expect(file!.channel).toBe('CINCIDENT');
    expect(file!.threadTs).toBeUndefined();
    expect(file!.title).toBe(`app · table size, 30 days (${dayOffset(today, -30)} to ${dayOffset(today, -1)})`);
    expect(file!.filename).toMatch(/^pgmedic-app-size-30d-\d{4}-\d{2}-\d{2}\.png$/);
    const image = decodePng(file!.bytes!);
    expect(image.width).toBeGreaterThan(1000);
    expect(file!.length).toBe(file!.bytes!.length);
    const complete = standIn.callsTo('files.completeUploadExternal').at(-1)!.args;
    expect(String(complete.initial_comment)).toContain('table size of `app`');
    await eventually(
      () => standIn.state.messages.find((m) => m.via === 'ack' && m.text?.includes('Running `trend`'))?.deleted,
      'the running note to be deleted',
    );
  });

  it('answers a wrong metric, another name for a metric, a missing metric and a bad --days in the ack, listing the metrics', async () => {
    const before = standIn.callsTo('files.getUploadURLExternal').length;
    expect(await ackText('trend latency')).toMatch(
      /There is no trend metric "latency"\. Metrics: `size`, `bloat`, `reclaimable`, `dead-tuples`/,
    );
    expect(await ackText('trend db-size app')).toContain('That metric is called `database-size`');
    expect(await ackText('trend lag')).toContain('That metric is called `replication-lag`');
    expect(await ackText('trend')).toContain('`trend` needs a metric');
    expect(await ackText('trend size --days 14')).toContain('--days is 7 or 30');
    expect(await ackText('trend size nowhere')).toContain('There is no target named "nowhere"');
    const help = JSON.stringify((await bot.send.command({ text: 'help trend', channel: 'CINCIDENT' })).ack);
    expect(help).toContain(
      '/pg trend <size|bloat|reclaimable|dead-tuples|database-size|replication-lag|query-time|query-mean> [target] [--days 7|30]',
    );
    expect(standIn.callsTo('files.getUploadURLExternal').length).toBe(before);
  });

  it('refuses a target this channel may not query, and a private chart, without uploading', async () => {
    const before = standIn.callsTo('files.getUploadURLExternal').length;
    await ackText('trend size secret');
    await eventually(() => latestReply('CINCIDENT').includes('cannot be queried from this channel'), 'the refusal');
    await ackText('trend size app --private');
    await eventually(
      () => latestReply('CINCIDENT').includes('Slack cannot show a file to you alone'),
      'the private refusal',
    );
    expect(standIn.callsTo('files.getUploadURLExternal').length).toBe(before);
  });

  it('does not echo an injected mention or link back unescaped', async () => {
    const text = await ackText('trend <!channel> <https://evil.example|app>');
    expect(text).toContain('no trend metric');
    expect(text).not.toContain('<!channel>');
  });

  it('says what to do when Slack refuses the upload (the app is not in the channel)', async () => {
    standIn.failNext('files.getUploadURLExternal', { error: 'not_in_channel' });
    await ackText('trend bloat app');
    await eventually(
      () => latestReply('CINCIDENT').includes('invite the app to this channel'),
      'the not-in-channel note',
    );
  });

  it('posts the digest even when its charts cannot be uploaded, and logs why', async () => {
    const before = channelPosts(standIn, 'CINCIDENT').length;
    standIn.failNext('files.completeUploadExternal', { error: 'missing_scope' });
    await bot.send.command({ text: 'digest app' });
    await eventually(
      () =>
        channelPosts(standIn, 'CINCIDENT')
          .slice(before)
          .find((m) => m.text?.includes('Digest')),
      'the digest summary',
      60_000,
    );
    const logged = await eventually(
      () => bot.logs.find((l) => l.msg === 'trend charts for the digest thread failed'),
      'the log line',
      60_000,
    );
    expect(String(logged.error)).toContain('missing_scope');
  });

  it('puts a chart per metric in the digest’s thread, today’s snapshot included', async () => {
    const before = channelPosts(standIn, 'CINCIDENT').length;
    await bot.send.command({ text: 'digest app' });
    const summary = await eventually(
      () =>
        channelPosts(standIn, 'CINCIDENT')
          .slice(before)
          .find((m) => m.text?.includes('Digest')),
      'the digest summary',
      60_000,
    );
    const charts = await eventually(
      () =>
        uploaded((f) => f.threadTs === summary.ts).length === 4
          ? uploaded((f) => f.threadTs === summary.ts)
          : undefined,
      'four charts in the thread',
      60_000,
    );
    expect(charts.map((f) => f.filename.split('-')[2])).toEqual(['size', 'bloat', 'reclaimable', 'dead']);
    for (const chart of charts) {
      expect(chart.title).toContain(`7 days (${dayOffset(today, -6)} to ${today})`);
      decodePng(chart.bytes!);
    }
  });
});

describe('/pg trend without a state database', () => {
  it('says that charts need it', async () => {
    const plain = await startTestBot(standIn, config);
    try {
      await plain.send.command({ text: 'trend size app', channel: 'CINCIDENT' });
      await eventually(
        () => latestReply('CINCIDENT').includes('Trend charts draw the snapshots kept in the state database'),
        'the no-state note',
      );
    } finally {
      await plain.stop();
    }
  });
});
