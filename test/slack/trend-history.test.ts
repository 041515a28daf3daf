import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { digestScheduleSchema } from '../../src/config/schedule.js';
import { type Config, targetSchema } from '../../src/config/schema.js';
import type { Targets } from '../../src/db/targets.js';
import { runSnapshots } from '../../src/schedule/history/job.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { decodePng } from '../support/png.js';
import { createDatabases, recordingLog, targetsOf } from '../support/schedule.js';
import { eventually } from '../support/slack/bot.js';
import { channelPosts, type ScheduledBot, startScheduledBot } from '../support/slack/scheduled-bot.js';
import type { StoredFile } from '../support/slack/state.js';
import { type SlackStandIn, startSlackStandIn } from '../support/slack/standin.js';

let server: TestServer;
let admin: pg.Client;
let app: pg.Client;
let snapshotTargets: Targets;
let standIn: SlackStandIn;
let bot: ScheduledBot;
let taken = 0;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['app', 'state']);
  app = await connect(server.url('app'));
  await app.query('CREATE EXTENSION pg_stat_statements');
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  const config: Config = {
    targets: [targetSchema.parse({ name: 'app', url: server.url('app') })],
    defaultTarget: 'app',
  };
  const yearly = digestScheduleSchema.parse({
    name: 'yearly',
    cron: '0 6 1 1 *',
    channel: 'CINCIDENT',
    sections: ['vacuum --limit 10'],
  });
  // The bot migrates the state database; the test takes the snapshots itself, with the job the bot runs.
  bot = await startScheduledBot(
    standIn,
    config,
    server.url('state'),
    { approvers: ['UBOB'] },
    { digests: [yearly], alerts: undefined },
    { instanceId: 'history-charts' },
  );
  snapshotTargets = targetsOf([{ name: 'app', url: server.url('app') }]);
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
  await snapshotTargets?.closeAll();
  await app?.end();
  await admin?.end();
  await server?.stop();
});

afterEach(() => expect(standIn.state.problems).toEqual([]));

async function snapshot(): Promise<void> {
  for (let n = 0; n < 3; n++) await app.query('SELECT count(*) FROM generate_series(1, $1::int)', [1000 * (n + 1)]);
  const at = new Date(Date.UTC(2031, 0, 1, 0, 15 * ++taken));
  const outcomes = await runSnapshots(
    {
      statePool: bot.statePool!,
      targets: [snapshotTargets.get('app')],
      log: recordingLog(),
      instanceId: 'test',
      retentionDays: 35,
      now: () => new Date(),
    },
    at,
  );
  expect(outcomes.map((o) => o.status)).toEqual(['taken']);
}

const uploaded = (where: (f: StoredFile) => boolean) =>
  [...standIn.state.files.values()].filter((f) => f.bytes && f.channel && where(f));
const latestReply = () =>
  standIn.state.messages
    .filter((m) => m.channel === 'CINCIDENT' && (m.via === 'ack' || m.via === 'response_url'))
    .at(-1)?.text ?? '';
const answer = async (text: string, expected: string) => {
  await bot.send.command({ text, channel: 'CINCIDENT' });
  return eventually(() => (latestReply().includes(expected) ? latestReply() : undefined), expected);
};

describe('/pg trend over the query history, through the Slack stand-in', () => {
  it('says there is no history, then that there is not enough, without uploading anything', async () => {
    await answer('trend query-time', 'There are no snapshots of app yet');
    await snapshot();
    await snapshot();
    const text = await answer('trend query-time app', 'Not enough query history of `app` yet');
    expect(text).toContain(
      'it has 1 point in the last 7 days, and a chart needs three snapshots with pg_stat_statements',
    );
    await answer('trend replication-lag', 'hold no replication lag figures');
    expect(standIn.callsTo('files.getUploadURLExternal')).toHaveLength(0);
  });

  it('uploads the query-time chart as a valid PNG once there are two intervals', async () => {
    await snapshot();
    await bot.send.command({ text: 'trend query-time app --days 30', channel: 'CINCIDENT' });
    const [file] = await eventually(
      () => (uploaded(() => true).length ? uploaded(() => true) : undefined),
      'the chart upload',
      30_000,
    );
    expect(file!.filename).toMatch(/^pgmedic-app-query-time-30d-\d{4}-\d{2}-\d{2}\.png$/);
    expect(file!.title).toMatch(/^app · query time, 30 days \(\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\)$/);
    const image = decodePng(file!.bytes!);
    expect(image.width).toBeGreaterThan(1000);
    const complete = standIn.callsTo('files.completeUploadExternal').at(-1)!.args;
    expect(String(complete.initial_comment)).toContain('query time of `app`: total time of the statements');
  });

  it('puts the history charts with data in the digest’s thread (no standby: no replication-lag chart)', async () => {
    const before = channelPosts(standIn, 'CINCIDENT').length;
    await bot.send.command({ text: 'digest app', channel: 'CINCIDENT' });
    const summary = await eventually(
      () =>
        channelPosts(standIn, 'CINCIDENT')
          .slice(before)
          .find((m) => m.text?.includes('Digest')),
      'the digest summary',
      60_000,
    );
    const charts = await eventually(
      () => {
        const files = uploaded((f) => f.threadTs === summary.ts);
        return files.length === 3 ? files : undefined;
      },
      'three charts in the thread',
      60_000,
    );
    expect(charts.map((f) => f.filename.replace(/^pgmedic-app-|-7d-.*$/g, ''))).toEqual([
      'database-size',
      'query-time',
      'query-mean',
    ]);
    for (const chart of charts) decodePng(chart.bytes!);
  });
});
