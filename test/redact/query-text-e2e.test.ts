import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { clientPool, connect, waitFor } from '../support/clients.js';
import { prepareHealingServer, type HealingServer } from '../support/healing.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { eventually } from '../support/slack/bot.js';
import { startHealingBot, type HealingBot } from '../support/slack/healing-bot.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

// A real session changes a role's password and stays in its transaction; a second one waits behind it with
// another password. Everything pgmedic shows (locks, connections, vacuum, the digest, an approval card) and
// stores (the state database) and logs must name the statements without either password or other literals.
const SECRETS = ['hunter2-secret', 'second-s3cret', 'literal-4242'];
let server: TestServer;
let env: HealingServer;
let standIn: SlackStandIn;
let bot: HealingBot;
const clients = { pool: undefined as ReturnType<typeof clientPool> | undefined };
let rootPid: number;

beforeAll(async () => {
  server = await startTestServer(18);
  env = await prepareHealingServer(server);
  const admin = await connect(server.url());
  await admin.query("CREATE ROLE rolemgr LOGIN CREATEROLE PASSWORD 'pw'");
  await admin.end();
  const rolemgrUrl = Object.assign(new URL(env.appUrl), { username: 'rolemgr' }).toString();
  const setup = await connect(rolemgrUrl);
  await setup.query('CREATE ROLE victim LOGIN');
  await setup.end();
  clients.pool = clientPool(rolemgrUrl);
  const watcher = await clients.pool.open('watcher');
  const root = await clients.pool.open('role-rotation');
  const waiter = await clients.pool.open('role-rotation-2');
  rootPid = (await root.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  await root.query('BEGIN');
  await root.query("ALTER ROLE victim PASSWORD 'hunter2-secret'; SELECT 'literal-4242' AS marker");
  void waiter.query("ALTER ROLE victim WITH ENCRYPTED PASSWORD 'second-s3cret'").catch(() => undefined);
  await waitFor(
    async () =>
      (
        await watcher.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name = 'role-rotation-2' AND wait_event_type = 'Lock'",
        )
      ).rowCount,
    'the second ALTER ROLE to wait',
  );

  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CINCIDENT');
  const config: Config = {
    targets: [targetSchema.parse({ name: 'prod', url: env.monitorUrl, actionUrl: env.healerUrl })],
    defaultTarget: 'prod',
  };
  bot = await startHealingBot(standIn, config, env.stateUrl, { approvers: ['UBOB'] });
});
afterAll(async () => {
  await bot?.stop();
  await standIn?.stop();
  await clients.pool?.closeAll();
  await server?.stop();
});

const everythingSlackGot = () =>
  JSON.stringify([standIn.state.calls, standIn.state.messages, [...standIn.state.files.values()]]);

async function everythingStored(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'pgmedic'",
  );
  const dumps = await Promise.all(
    rows.map(
      async ({ table_name }) =>
        (await pool.query<{ dump: string | null }>(`SELECT json_agg(t)::text AS dump FROM pgmedic.${table_name} t`))
          .rows[0]!.dump ?? '',
    ),
  );
  return dumps.join('\n');
}

describe('a password set in a real session never reaches Slack, the state database or the log', () => {
  it('locks, connections, vacuum, digest and an approval card show the statements, redacted', async () => {
    for (const text of ['locks', 'connections', 'vacuum', 'slow-queries --limit 50', 'digest'])
      await bot.send.command({ text });
    await bot.send.command({ text: `terminate ${rootPid}`, user: 'UALICE' });
    const posted = (title: string) =>
      standIn.state.messages.find((m) => JSON.stringify(m.blocks ?? []).includes(title));
    for (const title of ['Locks', 'Connections', 'Vacuum', 'Slow queries', 'Approval needed'])
      await eventually(() => posted(title), `the ${title} message`);

    // pg_stat_statements keeps utility statements too (track_utility): slow-queries shows it, redacted, in the
    // message or (when timings under load rank it past the rows that fit) in the full report attached in the thread.
    await eventually(
      () => everythingSlackGot().includes('CREATE ROLE rolemgr LOGIN CREATEROLE PASSWORD $1') || undefined,
      'the CREATE ROLE statement, redacted',
    );
    const slack = everythingSlackGot();
    // The statements are there, so the absence of the passwords means something.
    expect(JSON.stringify(posted('Locks')!.blocks)).toContain('ALTER ROLE victim PASSWORD $1');
    expect(JSON.stringify(posted('Approval needed')!.blocks)).toContain('ALTER ROLE victim PASSWORD $1');
    expect(SECRETS.filter((s) => slack.includes(s))).toEqual([]);

    const stored = await everythingStored(bot.statePool);
    expect(stored).toContain('ALTER ROLE victim');
    expect(SECRETS.filter((s) => stored.includes(s))).toEqual([]);
    expect(SECRETS.filter((s) => JSON.stringify(bot.logs).includes(s))).toEqual([]);
  });

  it('a target set to queryText: hidden shows no text at all; full shows the statement with the password masked', async () => {
    const hidden = await startHealingBot(
      standIn,
      {
        targets: [targetSchema.parse({ name: 'prod', url: env.monitorUrl, queryText: 'hidden' })],
        defaultTarget: 'prod',
      },
      env.stateUrl,
      {},
    );
    const full = await startHealingBot(
      standIn,
      {
        targets: [targetSchema.parse({ name: 'prod', url: env.monitorUrl, queryText: 'full' })],
        defaultTarget: 'prod',
      },
      env.stateUrl,
      {},
    );
    try {
      const before = standIn.state.messages.length;
      await hidden.send.command({ text: 'locks', channel: 'CINCIDENT' });
      const hiddenReport = await eventually(
        () => standIn.state.messages.slice(before).find((m) => (m.text ?? '').startsWith('Locks')),
        'the hidden locks report',
      );
      expect(JSON.stringify(hiddenReport.blocks)).toContain('(query text hidden)');
      expect(JSON.stringify(hiddenReport.blocks)).not.toContain('ALTER ROLE');
      const middle = standIn.state.messages.length;
      await full.send.command({ text: 'locks', channel: 'CINCIDENT' });
      const fullReport = await eventually(
        () => standIn.state.messages.slice(middle).find((m) => (m.text ?? '').startsWith('Locks')),
        'the full locks report',
      );
      // Full text keeps other literals (the operator asked for it) but never a password.
      expect(JSON.stringify(fullReport.blocks)).toContain("ALTER ROLE victim PASSWORD '***'; SELECT 'literal-4242'");
      expect(['hunter2-secret', 'second-s3cret'].filter((s) => everythingSlackGot().includes(s))).toEqual([]);
    } finally {
      await hidden.stop();
      await full.stop();
    }
  });

  it('the command line prints the full text (password masked) unless --redact, as text and as JSON', async () => {
    const cleanEnv = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !key.startsWith('PGMEDIC_') && !key.startsWith('PG') && key !== 'DATABASE_URL',
      ),
    );
    const pgmedic = async (...args: string[]) => {
      const run = await promisify(execFile)('bin/pgmedic', args, {
        env: { ...cleanEnv, NO_COLOR: '1', DATABASE_URL: env.monitorUrl },
      }).catch((error: { stdout: string }) => error);
      return run.stdout;
    };
    const [full, redacted, json, redactedJson] = await Promise.all([
      pgmedic('locks'),
      pgmedic('locks', '--redact'),
      pgmedic('locks', '--format', 'json'),
      pgmedic('locks', '--format', 'json', '--redact'),
    ]);
    expect(full).toContain("ALTER ROLE victim PASSWORD '***'; SELECT 'literal-4242'");
    expect(redacted).toContain('ALTER ROLE victim PASSWORD $1; SELECT $2');
    expect(json).toContain("ALTER ROLE victim PASSWORD '***'");
    expect(redactedJson).toContain('ALTER ROLE victim PASSWORD $1');
    expect(
      ['hunter2-secret', 'second-s3cret'].filter((s) => [full, redacted, json, redactedJson].join('\n').includes(s)),
    ).toEqual([]);
    expect([redacted, redactedJson].join('\n')).not.toContain('literal-4242');
    // The digest's JSON carries reports and findings: the same boundary applies.
    const [digestJson, digestRedacted] = await Promise.all([
      pgmedic('digest', '--format', 'json'),
      pgmedic('digest', '--format', 'json', '--redact'),
    ]);
    expect(digestJson).toContain("ALTER ROLE victim PASSWORD '***'");
    expect(['hunter2-secret', 'second-s3cret'].filter((s) => `${digestJson}${digestRedacted}`.includes(s))).toEqual([]);
    expect(digestRedacted).not.toContain('literal-4242');
  });
});
