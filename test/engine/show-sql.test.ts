import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../src/db/targets.js';
import { pickSql } from '../../src/db/sql.js';
import { parseOptions } from '../../src/engine/options.js';
import { findCommand, listCommands } from '../../src/engine/registry.js';
import { runCommand } from '../../src/engine/run.js';
import { renderShowSql, statementsFor } from '../../src/engine/show-sql.js';
import { pgmedic } from '../support/cli.js';
import { testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';

/** The target, with every statement its sessions send written down (as picked for the server's version). */
function recording(target: Target, sent: string[]): Target {
  return {
    ...target,
    readOnly: (command, work, database) =>
      target.readOnly(
        command,
        (session) =>
          work({
            serverVersionNum: session.serverVersionNum,
            query: (sql, params) => {
              sent.push(pickSql(sql, session.serverVersionNum).trim());
              return session.query(sql, params);
            },
          }),
        database,
      ),
  };
}

/** The statements of `--show-sql` output: after the header, each is a `-- purpose` line, the SQL and `;`. */
function printedStatements(output: string): string[] {
  if (output.endsWith('it sends only the statement you give it (explain, explain-analyze).')) return [];
  const body = output.slice(output.indexOf('\n\n-- ', output.indexOf('-- Read-only')) + 2);
  return body
    .replace(/;$/, '')
    .split(/;\n\n(?=-- )/)
    .map((block) => block.replace(/^-- [^\n]*\n/, ''));
}

describe.each([14, 18] as const)('--show-sql on PostgreSQL %i', (major) => {
  let server: TestServer;
  let target: Target;
  /** A session for the session actions' previews to look at. */
  let watched: pg.Client;
  let watchedPid = '';
  beforeAll(async () => {
    server = await startTestServer(major);
    const admin = new pg.Client({ connectionString: server.url() });
    await admin.connect();
    // The extensions and a table with rows reach the statements that need them (pg_stat_statements, pgstattuple).
    await admin.query(`CREATE EXTENSION pg_stat_statements; CREATE EXTENSION pgstattuple;
      CREATE TABLE shown (id int PRIMARY KEY, note text); INSERT INTO shown SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
      DELETE FROM shown WHERE id % 2 = 0; ANALYZE shown; SELECT count(*) FROM shown WHERE note = 'x'`);
    await admin.end();
    watched = new pg.Client({ connectionString: server.url(), application_name: 'watched' });
    await watched.connect();
    watchedPid = String((await watched.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    target = testTarget(server.url());
  }, 120_000);
  afterAll(async () => {
    await watched?.end();
    await target?.close();
    await server?.stop();
  });

  const runs = [
    ...listCommands('diagnostic').map((c) => [c.name, []] as [string, string[]]),
    ['bloat', ['--exact', '--min-size', '0']],
    ['explain', ['SELECT * FROM shown WHERE id = 1']],
    ['database', ['postgres']],
    // The actions' read-only previews, on a session and on the table and index made above.
    ['terminate', [() => watchedPid]],
    ['cancel', [() => watchedPid]],
    ['vacuum-table', ['shown']],
    ['analyze', ['shown']],
    ['reindex', ['shown_pkey']],
    ['drop-index', ['shown_pkey']],
    ['explain-analyze', ['SELECT * FROM shown WHERE id = 1']],
  ] as const;
  it.each(runs)('%s %j', async (name, tokens) => {
    const command = findCommand(name);
    const sent: string[] = [];
    const typed = tokens.map((t) => (typeof t === 'function' ? t() : t));
    await runCommand({ command, target: recording(target, sent), options: parseOptions(command, typed) });
    expect(sent.length).toBeGreaterThan(0);
    const shown = statementsFor(command, await target.capabilities()).map((s) => s.text);
    const missing = sent.filter((s) => !shown.includes(s));
    // explain plans the statement it was given: EXPLAIN of the user's own text, the one statement not listed.
    const own = name === 'explain' || name === 'explain-analyze' ? missing.filter((s) => /^EXPLAIN \(/.test(s)) : [];
    expect(missing.filter((s) => !own.includes(s)).map((s) => s.slice(0, 200))).toEqual([]);
  });

  it('prints, from bin/pgmedic, the statements for this version, and each one prepares on this server', async () => {
    const caps = await target.capabilities();
    const admin = new pg.Client({ connectionString: server.url() });
    await admin.connect();
    try {
      for (const command of listCommands()) {
        const run = await pgmedic([command.name, '--show-sql'], { DATABASE_URL: server.url() });
        expect(run.code, run.stderr).toBe(0);
        // Each process names its own connections (a random part, src/db/sql.ts); the rest is the same text.
        const mine = (text: string) => text.replace(/pgmedic-[0-9a-f]{16}/g, 'pgmedic-<process>');
        expect(mine(run.stdout.trim())).toBe(mine(renderShowSql(command, caps)));
        const printed = printedStatements(run.stdout.trim());
        expect(printed.map(mine)).toEqual(statementsFor(command, caps).map((s) => mine(s.text)));
        // PREPARE parses and plans without running: every printed statement is valid SQL for this server.
        for (const [i, text] of printed.entries()) {
          await admin.query(`PREPARE shown_${i} AS ${text}`);
          await admin.query(`DEALLOCATE shown_${i}`);
        }
      }
      // Where the versions differ, the other version's text does not even prepare here (PostgreSQL 17 renamed the
      // vacuum progress columns): the version was resolved, not ignored.
      const other = { ...caps, serverVersionNum: major === 14 ? 180000 : 140000 };
      const progress = statementsFor(findCommand('vacuum'), other).find((s) => s.purpose === 'progress')!;
      await expect(admin.query(`PREPARE other AS ${progress.text}`)).rejects.toMatchObject({ code: '42703' });
    } finally {
      await admin.end();
    }
  }, 120_000);
});
