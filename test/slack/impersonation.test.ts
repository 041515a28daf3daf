import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScheduleConfig } from '../../src/config/schedule.js';
import { targetSchema, type Config } from '../../src/config/schema.js';
import type { Report } from '../../src/report/model.js';
import { escapeInline, escapeMrkdwn, escapePlain, escapeProse, visibleText } from '../../src/slack/blocks/escape.js';
import { reportMessage } from '../../src/slack/blocks/report.js';
import { clientPool, connect, waitFor } from '../support/clients.js';
import { prepareHealingServer, type HealingServer } from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { eventually } from '../support/slack/bot.js';
import { startScheduledBot, type ScheduledBot } from '../support/slack/scheduled-bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

// Real objects with crafted names on a real server: a role that looks like an approval, an application name
// full of mrkdwn, a table named to strike and bold, right-to-left overrides and zero-width characters. No
// report, approval card, digest or Home tab may render them as pgmedic's formatting.
const RLO = '\u202E';
const ZWSP = '\u200B';
const ROLE = `:white_check_mark: *Approved by @sam* _now_ ${RLO}evil${ZWSP}`;
const APPLICATION = '*Approved* _by_ ~sam~ :white_check_mark: `ok`';
const TABLE = '_evil_ ~strike~ `code` :x: *bold*';
/** What must never appear inside mrkdwn (where it would render as formatting). */
const FORMATTING = [
  '*Approved',
  ':white_check_mark: *',
  '_now_',
  '_by_',
  '~sam~',
  '~strike~',
  '`code`',
  '`ok`',
  '_evil_',
  ':x:',
  '*bold*',
  ':white_check_mark: `',
];
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/;

let server: TestServer;
let env: HealingServer;
let standIn: SlackStandIn;
let bot: ScheduledBot;
const pool = { clients: undefined as ReturnType<typeof clientPool> | undefined };
let rootPid: number;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  const admin = await connect(server.url());
  await admin.query(`CREATE ROLE ${ident(ROLE)} LOGIN PASSWORD 'pw'; GRANT app TO ${ident(ROLE)}`);
  await admin.end();
  const app = await connect(env.appUrl);
  await app.query(
    `CREATE TABLE ${ident(TABLE)} (id int PRIMARY KEY, v int); INSERT INTO ${ident(TABLE)} VALUES (1, 0)`,
  );
  await app.query(`COMMENT ON TABLE ${ident(TABLE)} IS '*Approved by sam* :white_check_mark:'`);
  await app.end();
  const roleUrl = new URL(env.appUrl);
  roleUrl.username = encodeURIComponent(ROLE);
  pool.clients = clientPool(roleUrl.toString());
  const root = await pool.clients.open(APPLICATION);
  const watcher = await connect(env.adminUrl);
  rootPid = (await root.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  await root.query('BEGIN');
  await root.query(`UPDATE ${ident(TABLE)} SET v = v + 1 WHERE id = 1 /* *Approved by sam* */`);
  const waiter = await pool.clients.open(APPLICATION);
  void waiter.query(`UPDATE ${ident(TABLE)} SET v = v + 2 WHERE id = 1`).catch(() => undefined);
  await waitFor(
    async () => (await watcher.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'")).rowCount,
    'the waiter to queue',
  );
  await watcher.end();

  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  const config: Config = {
    targets: [targetSchema.parse({ name: 'prod', url: env.monitorUrl, actionUrl: env.healerUrl, queryText: 'full' })],
    defaultTarget: 'prod',
  };
  bot = await startScheduledBot(
    standIn,
    config,
    env.stateUrl,
    { approvers: ['UBOB'] },
    loadScheduleConfig(config, {}),
    { instanceId: 'impersonation' },
  );
});
afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
  await pool.clients?.closeAll();
  await server?.stop();
});

/** Every mrkdwn text the bot sent (block texts and fields, and each message's notification text). */
function mrkdwnTexts(): string[] {
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const node = value as Record<string, unknown>;
    if (node.type === 'mrkdwn' && typeof node.text === 'string') texts.push(node.text);
    Object.values(node).forEach(walk);
  };
  for (const call of standIn.state.calls) {
    if (typeof call.args.text === 'string') texts.push(call.args.text);
    walk(call.args.blocks);
    walk(call.args.view);
  }
  return texts;
}

describe('database names and text cannot impersonate pgmedic in Slack', () => {
  it('reports, the approval card, the digest and the Home tab render crafted names inert', async () => {
    for (const text of ['locks', 'connections', 'vacuum', 'bloat --min-size 0', 'digest'])
      await bot.send.command({ text });
    await bot.send.command({ text: `terminate ${rootPid}`, user: 'UALICE' });
    await bot.send.event({ type: 'app_home_opened', user: 'UALICE', channel: 'D0PGMEDIC', tab: 'home' });
    const has = (needle: string) => () =>
      standIn.state.messages.find((m) => JSON.stringify(m.blocks ?? []).includes(needle));
    for (const title of ['Locks', 'Connections', 'Vacuum', 'Bloat', 'Approval needed', 'Digest'])
      await eventually(has(title), `the ${title} message`, 30_000);
    await eventually(() => standIn.state.views.get('UALICE'), 'the Home tab');

    const card = JSON.stringify(has('Approval needed')()!.blocks);
    // The crafted role is on the card, neutralised: look-alikes instead of formatting, no override characters.
    expect(card).toContain('∶white_check_mark: ∗Approved by @sam∗ ＿now＿ evil');
    const everything = JSON.stringify(standIn.state.calls);
    expect(everything).toContain('∗Approved∗ ＿by＿ ∼sam∼');
    const mrkdwn = mrkdwnTexts();
    expect(
      mrkdwn.flatMap((text) => FORMATTING.filter((f) => text.includes(f)).map((f) => `${f} in: ${text.slice(0, 200)}`)),
    ).toEqual([]);
    expect(INVISIBLE.test(everything)).toBe(false);
  });

  it('the escape neutralises every formatting character, keeps identifiers readable, and strips invisible characters', () => {
    const hostile = `*b* _i_ ~s~ \`c\` :emoji: <!channel> <@U1> <http://x|y> &amp; ${RLO}\u2066x\u2069${ZWSP}\u200D\uFEFF`;
    const escaped = escapeMrkdwn(hostile);
    expect(escaped).toBe('∗b∗ ＿i＿ ∼s∼ ˋcˋ ∶emoji: &lt;!channel&gt; &lt;@U1&gt; &lt;http://x|y&gt; &amp;amp; x');
    expect(escapeMrkdwn('orders_created_at_idx pg_stat_statements 10:30:00')).toBe(
      'orders_created_at_idx pg_stat_statements 10∶30:00',
    );
    expect(escapeInline('a\n*Approved by sam*')).toBe('a ∗Approved by sam∗');
    expect(escapeProse('No target "*x*". Did you mean `prod`?')).toBe('No target "∗x∗". Did you mean `prod`?');
    expect(visibleText(`a${RLO}b\u0007c`)).toBe('abc');
    expect(escapePlain(`VACUUM ${TABLE}${RLO}`)).toBe('VACUUM _evil_ ~strike~ `code` ∶x: *bold*');
  });

  it('headers, buttons and confirm dialogs (plain text that turns :codes: into emoji) show database names without emoji', () => {
    const report: Report = {
      title: `Database ${ROLE}`,
      status: 'ok',
      summary: 'ok',
      sections: [],
      actions: [{ action: 'drop-index', label: `Drop :white_check_mark:_idx${ZWSP}`, params: {}, style: 'danger' }],
      footnotes: [],
    };
    const blocks = JSON.stringify(reportMessage(report, undefined, { actions: { values: ['o1'] } }).blocks);
    expect(blocks).toContain('Database ∶white_check_mark: *Approved by @sam* _now_ evil');
    expect(blocks).toContain('Drop ∶white_check_mark:_idx runs only after');
    expect(blocks).not.toMatch(/(Database|Drop) :white_check_mark:/);
    expect(INVISIBLE.test(blocks)).toBe(false);
  });
});
