import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { targetSchema, type Config } from '../../src/config/schema.js';
import { escapeIdentifier, escapeLiteral } from '../../src/db/driver.js';
import { createDiscovery } from '../../src/db/discovery.js';
import { createTargets, type Targets } from '../../src/db/targets.js';
import { connect } from '../support/clients.js';
import { run } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { recordingLog } from '../support/schedule.js';

/** A database name written to break things: quotes, spaces, a newline, a statement after a semicolon. */
const HOSTILE = `we"ird 'db'; DROP TABLE x;\n-- `;
const quiet = () => ({ ...recordingLog(), info: () => undefined });

let server: TestServer;
let admin: pg.Client;
let watcherUrl: string;
let dir: string;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  for (const db of ['app_one', 'app_two', 'scratch_x', 'locked_out', 'closed', 'tmpl', HOSTILE])
    await admin.query(`CREATE DATABASE ${escapeIdentifier(db)}`);
  await admin.query('CREATE ROLE watcher LOGIN PASSWORD $$w$$ IN ROLE pg_monitor');
  await admin.query('REVOKE CONNECT ON DATABASE locked_out FROM PUBLIC'); // exists, but the role may not connect
  await admin.query('ALTER DATABASE closed WITH ALLOW_CONNECTIONS false');
  await admin.query('ALTER DATABASE tmpl WITH IS_TEMPLATE true');
  const hostile = await connect(server.url(HOSTILE));
  await hostile.query('CREATE TABLE inside_the_hostile_one (id int PRIMARY KEY, pad text)');
  await hostile.query("INSERT INTO inside_the_hostile_one SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g");
  await hostile.end();
  const url = new URL(server.url('postgres'));
  url.username = 'watcher';
  url.password = 'w';
  watcherUrl = url.toString();
  dir = mkdtempSync(join(tmpdir(), 'pgmedic-discovery-'));
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const entry = (extra: Record<string, unknown> = {}) =>
  targetSchema.parse({ name: 'main', url: watcherUrl, discover: 'all-databases', ...extra });

async function discovered(config: Config): Promise<{ targets: Targets; names: string[] }> {
  const targets = createTargets(config);
  await createDiscovery(targets, config, quiet()).refresh();
  return { targets, names: targets.names().sort() };
}

const oidOf = async (name: string) =>
  (await admin.query<{ oid: string }>('SELECT oid FROM pg_database WHERE datname = $1', [name])).rows[0]!.oid;

describe('discover: all-databases', () => {
  it('makes every database the role can connect to a target, and names a hostile one safely', async () => {
    const config: Config = { targets: [entry()], defaultTarget: 'main' };
    const { targets, names } = await discovered(config);
    try {
      const hostileName = names.find((n) => /oid\d+$/.test(n))!;
      // Ground truth: the databases pg_database says watcher may connect to, minus the entry's own.
      const truth = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate
           AND has_database_privilege('watcher', oid, 'CONNECT') AND datname <> 'postgres' ORDER BY 1`,
      );
      expect(truth.rows.map((r) => r.datname).sort()).toEqual(['app_one', 'app_two', HOSTILE, 'scratch_x'].sort());
      expect(names).toEqual(
        [
          'main',
          'main/app_one',
          'main/app_two',
          'main/scratch_x',
          `main/we-ird-db-drop-table-x-oid${await oidOf(HOSTILE)}`,
        ].sort(),
      );
      expect(hostileName).toBe(`main/we-ird-db-drop-table-x-oid${await oidOf(HOSTILE)}`);
      for (const name of names) expect(name).toMatch(/^main(\/[A-Za-z0-9_.-]+)?$/);
      // The action URL follows the database too, so an approved action could never run in the entry's database.
      const withAction = await discovered({ targets: [entry({ actionUrl: watcherUrl })], defaultTarget: 'main' });
      const actionDb = new URL(withAction.targets.get(hostileName).config.actionUrl!).pathname.slice(1);
      expect(decodeURI(actionDb)).toBe(HOSTILE);
      await withAction.targets.closeAll();

      // The hostile target reaches exactly that database, and a relation-level check sees its table.
      const target = targets.get(hostileName);
      const [row] = await target.readOnly('probe', (s) => s.query<{ db: string }>('SELECT current_database() AS db'));
      expect(row!.db).toBe(HOSTILE);
      const sizes = await run(target, 'sizes');
      expect(JSON.stringify(sizes.report)).toContain('inside_the_hostile_one');
      // The table the name "drops" is not there to drop, and nothing ran the name as SQL: all databases remain.
      expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [HOSTILE])).rowCount).toBe(1);
    } finally {
      await targets.closeAll();
    }
  }, 60_000);

  it('keeps only included databases, drops excluded ones, and follows databases created and dropped', async () => {
    const config: Config = {
      targets: [entry({ include: ['app_*', 'new_*'], exclude: ['*_two'] })],
      defaultTarget: 'main',
    };
    const targets = createTargets(config);
    const discovery = createDiscovery(targets, config, quiet());
    try {
      await discovery.refresh();
      expect(targets.names().sort()).toEqual(['main', 'main/app_one']);
      await admin.query('CREATE DATABASE new_one');
      await discovery.refresh();
      expect(targets.names().sort()).toEqual(['main', 'main/app_one', 'main/new_one']);
      await admin.query('DROP DATABASE new_one');
      await discovery.refresh();
      expect(targets.names().sort()).toEqual(['main', 'main/app_one']);
    } finally {
      discovery.stop();
      await targets.closeAll();
    }
  }, 60_000);

  it('keeps the databases it found when the server stops answering for a while', async () => {
    const config: Config = { targets: [entry({ include: ['app_*'] })], defaultTarget: 'main' };
    const targets = createTargets(config);
    const log = recordingLog();
    const discovery = createDiscovery(targets, config, log);
    try {
      await discovery.refresh();
      expect(targets.names().sort()).toEqual(['main', 'main/app_one', 'main/app_two']);
      await admin.query('ALTER ROLE watcher NOLOGIN');
      await discovery.refresh();
      expect(targets.names().sort()).toEqual(['main', 'main/app_one', 'main/app_two']);
      expect(log.lines.find((l) => l.level === 'warn')?.message).toContain('keeping the ones found before');
    } finally {
      await admin.query('ALTER ROLE watcher LOGIN');
      discovery.stop();
      await targets.closeAll();
    }
  }, 60_000);

  it('refuses patterns without discover, and another discovery kind, saying what to write', async () => {
    const write = (yaml: string) => {
      const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(path, yaml);
      return path;
    };
    const noDiscover = write(
      `targets:\n  - name: main\n    url: ${escapeLiteral(watcherUrl)}\n    include: ["app_*"]\n`,
    );
    await expect(loadConfig({ PGMEDIC_CONFIG: noDiscover })).rejects.toThrow(
      /"main" has include\/exclude patterns but no `discover: all-databases`/,
    );
    const other = write(`targets:\n  - name: main\n    url: ${escapeLiteral(watcherUrl)}\n    discover: every-table\n`);
    await expect(loadConfig({ PGMEDIC_CONFIG: other })).rejects.toThrow(
      /discover: got "every-table"; the only discovery is "all-databases"/,
    );
    const interval = write(
      `targets:\n  - name: main\n    url: ${escapeLiteral(watcherUrl)}\n    discover: all-databases\ndiscovery:\n  intervalSeconds: 60\n`,
    );
    expect((await loadConfig({ PGMEDIC_CONFIG: interval })).discovery).toEqual({ intervalSeconds: 60 });
  });
});
