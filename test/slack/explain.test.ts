import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { eventually, startTestBot, type TestBot } from '../support/slack/bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

let server: TestServer;
let standIn: SlackStandIn;
let bot: TestBot;

beforeAll(async () => {
  server = await startTestServer(18);
  const client = await connect(server.url(), 'scenario-explain');
  await client.query('CREATE EXTENSION pg_stat_statements');
  await client.query('CREATE TABLE victim (id int)');
  await client.end();
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  const config: Config = { targets: [targetSchema.parse({ name: 'main', url: server.url() })], defaultTarget: 'main' };
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

/** The reply to one `/pg …`: the report or error that replaced the running note. */
async function reply(text: string): Promise<string> {
  const sent = await bot.send.command({ text: `${text} --private`, channel: 'CINCIDENT' });
  const id = () => standIn.state.responseUrls.get(sent.responseUrl.split('/').pop()!)?.originalId;
  const note = await eventually(
    () => standIn.state.messages.find((m) => m.id === id() && m.history.length),
    'the reply',
    30_000,
  );
  return note.blocks ? JSON.stringify(note.blocks) : (note.text ?? '');
}

describe('/pg explain against a real PostgreSQL 18', () => {
  it('posts the plan of a statement typed over several words, with its literals redacted', async () => {
    const text = await reply(
      "explain SELECT relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname <> 'secret-literal'",
    );
    expect(text).toContain('Explain typed SELECT');
    expect(text).toMatch(/-> Seq Scan on pg_catalog\.pg_(class|namespace)/);
    expect(text).not.toContain('secret-literal');
  });

  it('fits a plan of hundreds of nodes into a valid message', async () => {
    const union = Array.from(
      { length: 120 },
      (_, i) => `SELECT relname FROM pg_catalog.pg_class WHERE relpages > ${i}`,
    ).join(' UNION ALL ');
    const text = await reply(`explain ${union}`);
    expect(text).toContain('Explain typed SELECT');
    expect(text).toContain('Append');
  });

  it('refuses two statements with a reply that says what to type, and sends nothing', async () => {
    const text = await reply('explain SELECT 1; DROP TABLE victim');
    expect(text).toContain('That is 2 statements; explain plans exactly one.');
    expect(text).toContain('Give one SELECT, INSERT, UPDATE, DELETE, MERGE or WITH statement');
    const client = await connect(server.url(), 'ground-truth');
    const left = await client.query("SELECT 1 FROM pg_class WHERE relname = 'victim'");
    const seen = await client.query("SELECT 1 FROM pg_stat_statements WHERE query ILIKE '%DROP TABLE victim%'");
    await client.end();
    expect(left.rowCount).toBe(1);
    expect(seen.rowCount).toBe(0);
  });
});
