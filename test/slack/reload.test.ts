import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLeases } from '../../src/state/leases.js';
import { createStatePool } from '../../src/state/pool.js';
import { startBotProcess, type BotProcess } from '../support/bot-process.js';
import { connect, waitFor } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createDatabases } from '../support/schedule.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

let server: TestServer;
let standIn: SlackStandIn;
let admin: pg.Client;
let state: pg.Pool;
let bot: BotProcess;
let dir: string;
let configPath: string;

const yaml = (targets: string[], extra = '') =>
  ['targets:', ...targets, 'alerts:', '  channel: CALERTS', '  intervalSeconds: 1', extra].join('\n');
const target = (name: string, db: string) => `  - { name: ${name}, url: "${server.url(db)}" }`;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['one', 'two', 'disc_a', 'disc_b', 'other_c', 'reload_state']);
  standIn = await startSlackStandIn();
  standIn.state.botChannels.add('CALERTS');
  dir = mkdtempSync(join(tmpdir(), 'pgmedic-reload-'));
  configPath = join(dir, 'pgmedic.yaml');
  writeFileSync(configPath, yaml([target('one', 'one')]));
  bot = await startBotProcess(standIn, {
    PGMEDIC_CONFIG: configPath,
    PGMEDIC_STATE_DATABASE_URL: server.url('reload_state'),
  });
  await waitFor(async () => bot.logs.some((l) => l.msg === 'scheduler started'), 'the scheduler to start', 30_000);
  state = createStatePool(server.url('reload_state'));
}, 120_000);

afterAll(async () => {
  bot?.child.kill('SIGTERM');
  await bot?.exited;
  await state?.end();
  await admin?.end();
  await standIn?.stop();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ackOf = async (text: string) => (await bot.send.command({ text })).ack?.text ?? '';
/** The state database's view: when each target was last checked by the watch. */
const checkedAfter = async (name: string, since: Date) =>
  (await listLeases(state, 'alerts')).some(
    (l) => l.target === name && l.lastCheckedAt && new Date(l.lastCheckedAt) > since,
  );

describe('SIGHUP reloads the config file of a running bot', () => {
  it('adds and removes targets for commands, the alert watch and discovery, without a restart', async () => {
    await waitFor(() => checkedAfter('one', new Date(0)), 'the watch to check one', 20_000);
    expect(await ackOf('health two')).toContain('There is no target named');

    writeFileSync(
      configPath,
      yaml([
        target('two', 'two'),
        `  - { name: srv, url: "${server.url('postgres')}", discover: all-databases, include: ["disc_*"], thresholds: { lockWaitSeconds: { warn: 5, crit: 60 } } }`,
      ]),
    );
    const sent = new Date();
    bot.child.kill('SIGHUP');
    await waitFor(async () => bot.logs.some((l) => l.msg === 'config file reloaded'), 'the reload', 20_000);
    expect(bot.child.exitCode).toBeNull(); // the same process
    expect(await ackOf('health two')).toContain('Running `health` on `two`');
    expect(await ackOf('health srv/disc_a')).toContain('Running `health` on `srv/disc_a`');
    expect(await ackOf('health one')).toContain('There is no target named "one"');
    expect(await ackOf('health srv/other_c')).toContain('There is no target named');
    // The watch took the new targets at its next rounds. All are databases of one server, but srv has its own
    // thresholds: two looks, one through two, one through srv standing for the databases it discovered as well
    // (src/schedule/alerts/server-groups.ts). The removed one lost its lease row and is checked no more.
    for (const name of ['two', 'srv'])
      await waitFor(() => checkedAfter(name, sent), `the watch to check ${name}`, 20_000);
    expect((await listLeases(state, 'alerts')).map((l) => l.target).sort()).toEqual(['srv', 'two']);
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await listLeases(state, 'alerts')).map((l) => l.target)).not.toContain('one');
  }, 90_000);

  it('keeps the running config when the new file is invalid, and logs why', async () => {
    for (const [broken, reason] of [
      [`targets:\n  - { name: "Bad Name", url: "${server.url('one')}" }\n`, /targets\.0\.name: got "Bad Name"/],
      ['targets: [\n', /is not valid YAML/],
    ] as const) {
      writeFileSync(configPath, broken);
      const before = bot.logs.length;
      bot.child.kill('SIGHUP');
      // The file's change is noticed too (polling): the refusal of this file is the one with this reason.
      const line = await waitFor(
        async () =>
          bot.logs
            .slice(before)
            .find(
              (l) =>
                l.msg === 'the new config file is not valid; the running config stays in force' &&
                reason.test((l.problems as string[]).join('\n')),
            ),
        'the refusal',
        20_000,
      );
      expect((line.problems as string[]).join('\n')).toMatch(reason);
      expect(bot.child.exitCode).toBeNull();
      expect(await ackOf('health two')).toContain('Running `health` on `two`');
    }
  }, 60_000);

  it('reads the file again when it changes, without a signal', async () => {
    const before = bot.logs.length;
    writeFileSync(configPath, yaml([target('one', 'one')]));
    await waitFor(
      async () => bot.logs.slice(before).some((l) => l.msg === 'config file reloaded'),
      'the reload after the file changed',
      20_000,
    );
    expect(bot.logs.slice(before).some((l) => l.msg === 'the config file changed; reading it again')).toBe(true);
    expect(await ackOf('health one')).toContain('Running `health` on `one`');
    expect(await ackOf('health two')).toContain('There is no target named "two"');
  }, 60_000);
});
