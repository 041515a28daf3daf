import { LogLevel, WebClient } from '@slack/web-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema } from '../../src/config/schema.js';
import { discoveredTargets } from '../../src/db/discover.js';
import { createTargets } from '../../src/db/targets.js';
import { createLogger } from '../../src/log/logger.js';
import { createAlertWatch } from '../../src/schedule/alerts/watch.js';
import type { Poster } from '../../src/schedule/poster.js';
import { blockKitProblems } from '../../src/slack/blocks/validate.js';
import { createSlackPoster } from '../../src/slack/poster.js';
import { listAlerts } from '../../src/state/alerts.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, waitFor } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { asRole } from '../support/least-privilege.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createDatabases, recordingLog, recordingSlack } from '../support/schedule.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack/standin.js';

/**
 * One look per server stands for all its databases (server-groups.ts), so a database whose own CONNECTION LIMIT is
 * full while the server has room must still be raised: on the lead, one alert per limit, resolved when it drops.
 */
const SETTINGS = { channel: 'C0ALERTS', cooldownSeconds: 600, resolveAfterSeconds: 0, retryPostSeconds: 60 };
/** Crafted names: a forged line, bold, a broadcast, a disguised link, an emoji and a mention. */
const EVIL_DATABASE = 'x\n*Resolved* <!channel> <https://e.co|ok>';
const EVIL_ROLE = '<!here>\n:white_check_mark: ~Approved~ <@U1>';

let server: TestServer;
let admin: pg.Client;
let state: pg.Pool;
let ordersOid: number;
const opened: pg.Client[] = [];

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url(), 'scenario-observer');
  await createDatabases(admin, ['main', 'lstate']);
  await admin.query('CREATE DATABASE orders CONNECTION LIMIT 3');
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(EVIL_DATABASE)} CONNECTION LIMIT 1`);
  await admin.query(`CREATE ROLE watcher LOGIN PASSWORD 'pw' IN ROLE pg_monitor;
    CREATE ROLE app LOGIN PASSWORD 'pw';
    CREATE ROLE ${pg.escapeIdentifier(EVIL_ROLE)} LOGIN PASSWORD 'pw' CONNECTION LIMIT 1`);
  ordersOid = (await admin.query<{ oid: number }>("SELECT oid FROM pg_database WHERE datname = 'orders'")).rows[0]!.oid;
  state = createStatePool(server.url('lstate'));
  await migrateStateDatabase(state);
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.splice(0).map((c) => c.end().catch(() => undefined)));
  await state?.end();
  await admin?.end();
  await server?.stop();
});

async function open(url: string): Promise<void> {
  opened.push(await connect(url, 'scenario-limit'));
}
async function closeAll(): Promise<void> {
  await Promise.all(opened.splice(0).map((c) => c.end()));
  await waitFor(
    async () =>
      (await admin.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'scenario-limit'")).rowCount === 0,
    'the sessions to leave pg_stat_activity',
  );
}

/** The watch of a `discover: all-databases` entry: main (the lead) and orders, the same role and settings. */
function groupedWatch(poster: Poster, lead: string) {
  const entry = targetSchema.parse({
    name: lead,
    url: asRole(server.url('main'), 'watcher'),
    discover: 'all-databases',
  });
  const found = discoveredTargets(entry, [{ oid: ordersOid, name: 'orders' }]);
  const targets = createTargets({ targets: [entry, ...found], defaultTarget: lead });
  const list = targets.names().map((n) => targets.get(n));
  const watch = createAlertWatch({
    db: state,
    poster,
    log: recordingLog(),
    settings: SETTINGS,
    targets: () => list,
    intervalMs: 2_000,
    fireAt: 'warn',
  });
  return { watch, close: () => targets.closeAll() };
}

describe('a full per-database connection limit in the grouped watch', () => {
  it('is raised on the lead for the database that alone refuses sessions, and resolved when they close', async () => {
    const slack = recordingSlack();
    const { watch, close } = groupedWatch(slack.posterFor('A'), 'main');
    try {
      for (let i = 0; i < 3; i++) await open(asRole(server.url('orders'), 'app'));
      const refused = await connect(asRole(server.url('orders'), 'app')).catch((e: { code: string }) => e.code);
      expect(refused).toBe('53300'); // PostgreSQL's own verdict, while the server has room
      await watch.checkOnce();
      const key = `connections:limit:database:${ordersOid}`;
      const firing = (await listAlerts(state, 'main')).filter((a) => a.status === 'firing');
      expect(firing.map((a) => a.key)).toEqual([key]);
      expect(await listAlerts(state, 'main/orders')).toEqual([]);
      const [post] = slack.posts();
      expect(post!.message.text).toBe(
        'main: Connection limit reached: Database "orders": 3 of its 3-connection limit in use.',
      );
      expect(post!.message.context).toContain('server-wide, for main and 1 other database of its server');
      expect(post!.message.report.sections.some((s) => s.title === 'Connection limits')).toBe(true);

      await closeAll();
      await new Promise((r) => setTimeout(r, 1_100)); // a look per target at most every half interval
      await watch.checkOnce();
      expect((await listAlerts(state, 'main')).map((a) => [a.key, a.status])).toEqual([[key, 'resolved']]);
      const resolved = slack.updates().find((u) => u.ts === post!.ts);
      expect(resolved!.message.text).toContain('main: resolved after');
    } finally {
      await closeAll();
      await watch.stop();
      await close();
    }
  }, 60_000);

  it('renders crafted database and role names inert in Slack, and its note names them in SQL that works', async () => {
    const standIn: SlackStandIn = await startSlackStandIn();
    standIn.state.botChannels.add(SETTINGS.channel);
    const client = new WebClient(standIn.botToken, {
      slackApiUrl: standIn.apiUrl,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
    const poster = createSlackPoster({
      client,
      healing: undefined,
      logger: createLogger({ level: 'error', pretty: false }),
    });
    const { watch, close } = groupedWatch(poster, 'crafted');
    try {
      await open(server.url(EVIL_DATABASE)); // a superuser's session counts against the database's limit
      await open(asRole(server.url('main'), EVIL_ROLE));
      await watch.checkOnce();
      const posts = standIn.state.messages.filter((m) => m.channel === SETTINGS.channel);
      expect(posts).toHaveLength(2);
      for (const message of posts) {
        expect(blockKitProblems({ text: message.text, blocks: message.blocks })).toEqual([]);
        // Header and rich text are shown literally; everything else is mrkdwn and must not mention, link or format.
        const literal = new Set(['header', 'rich_text', 'table']);
        const mrkdwn = JSON.stringify([
          message.text,
          (message.blocks ?? []).filter((b) => !literal.has((b as { type: string }).type)),
        ]);
        expect(mrkdwn).not.toMatch(/<[!@#]|<https?:/);
        expect(mrkdwn).not.toMatch(/\*Resolved\*|~Approved~|:white_check_mark:/);
        const summary = (message.blocks as { type: string; text?: { text: string } }[])[1]!.text!.text;
        expect(summary).not.toContain('\n'); // no line of its own for "Resolved" or "Approved"
      }
      const texts = posts.map((m) => m.text).sort();
      expect(texts[0]).toContain('Database "x\\n∗Resolved∗ &lt;!channel&gt; &lt;https://e.co|ok&gt;"');
      expect(texts[1]).toContain('Role "&lt;!here&gt;\\n∶white_check_mark: ∼Approved∼ &lt;@U1&gt;"');

      // The note's statement names the crafted database on one line, and PostgreSQL takes it.
      const alert = (await listAlerts(state, 'crafted')).find((a) => a.key.startsWith('connections:limit:database'))!;
      expect(alert.summary).toBe(`Database ${JSON.stringify(EVIL_DATABASE)}: 1 of its 1-connection limit in use.`);
      const monitor = testTarget(asRole(server.url('main'), 'watcher'));
      const notes = (await run(monitor, 'connections').finally(() => monitor.close())).report.footnotes.join('\n');
      const statement = notes.match(/`(ALTER DATABASE U&"[^`]*)`/)![1]!;
      expect(statement).not.toContain('\n');
      await admin.query(statement.replace('<n>', '7'));
      const { rows } = await admin.query('SELECT datconnlimit FROM pg_database WHERE datname = $1', [EVIL_DATABASE]);
      expect(rows).toEqual([{ datconnlimit: 7 }]);
    } finally {
      await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(EVIL_DATABASE)} CONNECTION LIMIT 1`);
      await closeAll();
      await watch.stop();
      await close();
      await standIn.stop();
    }
  }, 60_000);
});
