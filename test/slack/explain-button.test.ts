import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { blockKitProblems } from '../../src/slack/blocks/validate.js';
import { FOLLOW_UP_PREFIX } from '../../src/slack/blocks/follow-up.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createSlowStatements } from '../support/scenarios/slow-statements.js';
import { eventually, startTestBot, type TestBot } from '../support/slack/bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';
import { buttonsOf, postsOf } from '../support/slack/buttons.js';

/**
 * The Explain button of each slow-queries row, clicked over signed Slack requests against a real PostgreSQL 18:
 * the plan of exactly that statement in the report's thread, and every forged or unauthorized click refused.
 */

const DATABASE = 'button_shop';
let server: TestServer;
let standIn: SlackStandIn;
let bot: TestBot;

beforeAll(async () => {
  server = await startTestServer(18);
  await createSlowStatements(server.url(), server.url(DATABASE), DATABASE);
  const client = await connect(server.url(DATABASE), 'scenario-explain-button');
  try {
    await client.query('CREATE TABLE button_orders (id int PRIMARY KEY, note text)');
    await client.query('CREATE TABLE button_items (id int, note text)');
    await client.query("INSERT INTO button_orders SELECT g, 'n' || g FROM generate_series(1, 2000) g");
    await client.query("INSERT INTO button_items SELECT g, 'n' || g FROM generate_series(1, 2000) g");
    await client.query('ANALYZE button_orders, button_items');
    // Two statements over different tables, run often enough to be in the top rows by total time.
    for (let i = 0; i < 40; i++) {
      await client.query(`SELECT note FROM button_orders WHERE id = ${i + 1}`);
      await client.query(`SELECT count(*) FROM button_items WHERE note LIKE 'n${i}%'`);
    }
  } finally {
    await client.end();
  }
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  const config: Config = {
    targets: [
      targetSchema.parse({ name: 'main', url: server.url(DATABASE), users: ['UALICE'] }),
      targetSchema.parse({ name: 'vault', url: server.url(DATABASE), users: ['UBOB'] }),
    ],
    defaultTarget: 'main',
  };
  bot = await startTestBot(standIn, config);
});
afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
  await server?.stop();
});
afterEach(() => {
  expect(standIn.state.problems).toEqual([]);
});

const { posts } = postsOf(() => standIn);

async function slowQueriesReport() {
  const before = posts().length;
  await bot.send.command({ text: 'slow-queries --sort calls --limit 20', user: 'UALICE' });
  return eventually(
    () =>
      posts()
        .slice(before)
        .find((m) => JSON.stringify(m.blocks).includes('Slow queries')),
    'the slow-queries report',
    30_000,
  );
}

async function truth<Row extends object>(sql: string): Promise<Row[]> {
  const client = await connect(server.url(DATABASE), 'ground-truth');
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The clicker's own ephemeral reply after `seen` messages. */
async function ephemeralReply(seen: number, user: string): Promise<string> {
  const reply = await eventually(
    () => standIn.state.messages.slice(seen).find((m) => m.ephemeral && m.user === user && m.via === 'response_url'),
    'the reply to the click',
    30_000,
  );
  return reply.text ?? '';
}

describe('the Explain button of slow-queries, against a real PostgreSQL 18', () => {
  it('renders one Explain button per shown statement, each naming the target and its queryid, in a valid message', async () => {
    const report = await slowQueriesReport();
    expect(blockKitProblems({ text: report.text, blocks: report.blocks })).toEqual([]);
    const buttons = buttonsOf(report.blocks).filter((b) => b.action_id.startsWith(`${FOLLOW_UP_PREFIX}explain:`));
    const ids = await truth<{ query_id: string }>(
      "SELECT queryid::text AS query_id FROM pg_stat_statements WHERE query LIKE 'SELECT%FROM button_%'",
    );
    expect(ids).toHaveLength(2);
    for (const { query_id } of ids) expect(buttons.map((b) => b.value)).toContain(`main:${query_id}`);
    // One per row the table shows (all 20 asked for: more than a phone screen, so a paged data table), in row
    // order: "Explain #n" names row n's queryid.
    const table = (report.blocks ?? []).find((b) => (b as { type: string }).type === 'data_table') as {
      rows: { text?: string }[][];
    };
    const shown = table.rows.slice(1).map((row) => ({ n: row[0]!.text, queryId: row[1]!.text }));
    expect(shown.length).toBe(20);
    expect(buttons.map((b) => [b.text.text, b.value])).toEqual(
      shown.map((row) => [`Explain #${row.n}`, `main:${row.queryId}`]),
    );
  });

  it('posts the plan of exactly the clicked statement in the report thread, matching the server’s own EXPLAIN', async () => {
    const report = await slowQueriesReport();
    const [entry] = await truth<{ query_id: string; query: string }>(
      "SELECT queryid::text AS query_id, query FROM pg_stat_statements WHERE query LIKE '%FROM button_items%'",
    );
    const button = buttonsOf(report.blocks).find((b) => b.value === `main:${entry!.query_id}`)!;
    expect(button).toBeDefined();
    const [plan] = await truth<{
      'QUERY PLAN': { Plan: { 'Node Type': string; Plans?: { 'Node Type': string; 'Relation Name'?: string }[] } }[];
    }>(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${entry!.query}`);
    const root = plan!['QUERY PLAN'][0]!.Plan;
    const scan = root.Plans?.find((p) => p['Relation Name']);
    expect(scan?.['Relation Name']).toBe('button_items');

    const before = posts().length;
    await bot.send.click(button.action_id, button.value, { user: 'UALICE', messageTs: report.ts });
    const answer = await eventually(
      () =>
        posts()
          .slice(before)
          .find((m) => JSON.stringify(m.blocks).includes(`Explain query ${entry!.query_id}`)),
      'the plan',
      30_000,
    );
    expect(answer.threadTs).toBe(report.ts);
    const text = JSON.stringify(answer.blocks);
    expect(text).toContain(root['Node Type']);
    expect(text).toContain(`${scan!['Node Type']} on public.button_items`);
    expect(text).not.toContain('button_orders');
    expect(blockKitProblems({ text: answer.text, blocks: answer.blocks })).toEqual([]);
    // The report stays as it was: a click replaces nothing.
    expect(standIn.state.messages.find((m) => m.ts === report.ts && m.via === 'chat.postMessage')).toMatchObject({
      deleted: false,
      history: [],
    });
  });

  it('answers a click on a private report privately: nothing is posted in the channel, the report stays', async () => {
    const sent = await bot.send.command({ text: 'slow-queries --sort calls --private', user: 'UALICE' });
    const id = () => standIn.state.responseUrls.get(sent.responseUrl.split('/').pop()!)?.originalId;
    const report = await eventually(
      () =>
        standIn.state.messages.find((m) => m.id === id() && JSON.stringify(m.blocks ?? []).includes('Slow queries')),
      'the private report',
      30_000,
    );
    const button = buttonsOf(report.blocks).find((b) => b.action_id.startsWith(FOLLOW_UP_PREFIX))!;
    const queryId = button.value.split(':')[1]!;
    const [seen, before] = [standIn.state.messages.length, posts().length];
    await bot.send.click(button.action_id, button.value, { user: 'UALICE', messageTs: report.ts, ephemeral: true });
    const answer = await eventually(
      () =>
        standIn.state.messages
          .slice(seen)
          .find(
            (m) =>
              m.ephemeral && m.user === 'UALICE' && JSON.stringify(m.blocks ?? []).includes(`Explain query ${queryId}`),
          ),
      'the private plan',
      30_000,
    );
    expect(answer.via).toBe('response_url');
    expect(posts().slice(before)).toEqual([]);
    expect(report.deleted).toBe(false);
    expect(JSON.stringify(report.blocks)).toContain('Slow queries');
  });

  it('refuses a user who may not query the target, with the typed-command rule and message', async () => {
    const report = await slowQueriesReport();
    const button = buttonsOf(report.blocks).find((b) => b.action_id.startsWith(FOLLOW_UP_PREFIX))!;
    const [seen, before] = [standIn.state.messages.length, posts().length];
    await bot.send.click(button.action_id, button.value, { user: 'UMALLORY', messageTs: report.ts });
    expect(await ephemeralReply(seen, 'UMALLORY')).toContain('You are not on the list of people who may query `main`');
    expect(posts().slice(before)).toEqual([]);
  });

  const forged: [string, string, string][] = [
    ['a target the clicker may not query', 'vault:{id}', 'You are not on the list of people who may query `vault`'],
    ['a target that does not exist', 'nowhere:{id}', 'There is no target named `nowhere`'],
    ['a non-numeric queryid', 'main:12ab', 'does not carry a queryid'],
    ['SQL in place of the queryid', 'main:SELECT 1; DROP TABLE button_items', 'does not carry a queryid'],
    ['SQL in place of the target', "main'; DROP TABLE button_items; --:{id}", 'does not name a target'],
    ['a queryid past the int8 range', 'main:99999999999999999999', 'does not carry a queryid'],
    ['no separator at all', 'main', 'does not name a target'],
  ];
  for (const [what, template, message] of forged) {
    it(`refuses a forged value with ${what}, and runs nothing`, async () => {
      const report = await slowQueriesReport();
      const button = buttonsOf(report.blocks).find((b) => b.action_id.startsWith(FOLLOW_UP_PREFIX))!;
      const id = button.value.split(':')[1]!;
      const [seen, before] = [standIn.state.messages.length, posts().length];
      await bot.send.click(button.action_id, template.replace('{id}', id), { user: 'UALICE', messageTs: report.ts });
      expect(await ephemeralReply(seen, 'UALICE')).toContain(message);
      expect(posts().slice(before)).toEqual([]);
      expect(await truth("SELECT 1 FROM pg_class WHERE relname = 'button_items'")).toHaveLength(1);
    });
  }
});
