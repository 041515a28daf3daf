import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import stringWidth from 'string-width';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../support/clients.js';
import { pgmedic } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createBlockingChain, type BlockingChain } from '../support/scenarios/blocking-chain.js';
import { createDatabases } from '../support/schedule.js';

let server: TestServer;
let admin: pg.Client;
let chain: BlockingChain;
let dir: string;
let env: Record<string, string>;
/** Two CJK characters and an emoji: 4 UTF-16 code units (String.length), 6 terminal columns. */
const WIDE_TABLE = '注文🚀';
/** A table name that tries to break out: a perfdata separator, a fake second line, a terminal title escape. */
const EVIL_TABLE = 'evil | blocked=999\nPGMEDIC LOCKS OK - \x1b]0;owned\x07\r';

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, ['app', 'other']);
  chain = await createBlockingChain(server.url('app'));
  const app = await connect(server.url('app'));
  await app.query(
    `CREATE TABLE "${WIDE_TABLE}" AS SELECT g AS id, repeat('x', 200) AS note FROM generate_series(1, 20000) g`,
  );
  await app.query(
    `CREATE TABLE ${app.escapeIdentifier(EVIL_TABLE)} AS SELECT g AS id, repeat('x', 200) AS note FROM generate_series(1, 40000) g`,
  );
  await app.end();
  dir = mkdtempSync(join(tmpdir(), 'pgmedic-cli-test-'));
  const config = join(dir, 'pgmedic.yml');
  writeFileSync(
    config,
    `defaultTarget: other\ntargets:\n  - name: prod\n    url: ${server.url('app')}\n  - name: other\n    url: ${server.url('other')}\n`,
  );
  env = { PGMEDIC_CONFIG: config };
}, 60_000);
afterAll(async () => {
  await chain?.release();
  await chain?.close();
  await admin?.end();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Ground truth from PostgreSQL: sessions waiting on someone, and the roots that wait on nobody. */
async function blockedSessions(): Promise<{ blocked: number; roots: number }> {
  const { rows } = await admin.query<{ blocked: number; roots: number }>(`
    SELECT (count(*) FILTER (WHERE cardinality(pg_blocking_pids(pid)) > 0))::int AS blocked,
           (count(DISTINCT b) FILTER (WHERE b IS NOT NULL AND cardinality(pg_blocking_pids(b)) = 0))::int AS roots
    FROM pg_stat_activity LEFT JOIN LATERAL unnest(pg_blocking_pids(pid)) AS b ON true WHERE datname = 'app'`);
  return rows[0]!;
}

describe('bin/pgmedic with a target named as in Slack', () => {
  it('takes the target as the first word after the command, or --target, or the default', async () => {
    const named = await pgmedic(['locks', 'prod', '--format', 'json'], env);
    expect(JSON.parse(named.stdout)).toMatchObject({ command: 'locks', target: 'prod' });
    expect((JSON.parse(named.stdout) as { findings: { rootPids: number[] } }).findings.rootPids).toEqual([
      chain.rootPid,
    ]);
    const flagged = await pgmedic(['locks', '--target', 'prod', '--format', 'json'], env);
    expect(JSON.parse(flagged.stdout)).toMatchObject({ target: 'prod' });
    const fallback = await pgmedic(['locks', '--format', 'json'], env);
    expect(JSON.parse(fallback.stdout)).toMatchObject({ target: 'other', status: 'ok' });
    expect(fallback.code).toBe(0);
  });

  it('fills a command’s positional when the word is not a target, and takes both in order', async () => {
    const both = await pgmedic(['database', 'prod', 'app', '--format', 'json'], env);
    expect(JSON.parse(both.stdout)).toMatchObject({ command: 'database', target: 'prod' });
    expect(both.stdout).toContain('"app"');
  });

  it('refuses a word that is neither a target nor a positional, with the closest target', async () => {
    const { code, stderr } = await pgmedic(['locks', 'prdo'], env);
    expect(code).toBe(3);
    expect(stderr).toContain('There is no target named "prdo". Did you mean `prod`?');
    const digest = await pgmedic(['digest', 'nope'], env);
    expect(digest.code).toBe(3);
    expect(digest.stderr).toContain('There is no target named "nope"');
  });
});

describe('bin/pgmedic as a monitoring check', () => {
  it('prints one Nagios status line whose performance data are PostgreSQL’s own counts', async () => {
    const truth = await blockedSessions();
    expect(truth).toEqual({ blocked: 2, roots: 1 });
    const { code, stdout } = await pgmedic(
      ['locks', 'prod', '--format', 'nagios', '--warning', '1h', '--critical', '2h'],
      env,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(
        `^PGMEDIC LOCKS OK - [^|\\n]+ \\| longest_wait=[\\d.]+s;3600;7200;0 blocked=${truth.blocked} root_blockers=${truth.roots} time=[\\d.]+s\\n$`,
      ),
    );
  });

  it('--warning and --critical move the primary figure’s thresholds, and the exit code follows', async () => {
    const warning = await pgmedic(['locks', 'prod', '--format', 'nagios', '--warning', '0s', '--critical', '1h'], env);
    expect(warning.code).toBe(1);
    expect(warning.stdout).toMatch(/^PGMEDIC LOCKS WARNING - .* \| longest_wait=[\d.]+s;0;3600;0 /);
    const critical = await pgmedic(['locks', 'prod', '--format', 'nagios', '--critical', '0s', '--warning', '0'], env);
    expect(critical.code).toBe(2);
    expect(critical.stdout).toMatch(/^PGMEDIC LOCKS CRITICAL - /);
    const text = await pgmedic(['locks', 'prod', '--warning', '0s', '--critical', '1h'], env);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^\[WARN\] Locks/);
    const connections = await pgmedic(
      ['connections', 'prod', '--format', 'nagios', '--warning', '80%', '--critical', '95'],
      env,
    );
    expect(connections.stdout).toMatch(/ \| used=[\d.]+%;80;95;0;100 connections=\d+ /);
  });

  it('answers UNKNOWN (3) on the status line when it cannot judge', async () => {
    const badValue = await pgmedic(['locks', 'prod', '--format', 'nagios', '--warning', '5 parsecs'], env);
    expect(badValue).toMatchObject({ code: 3, stderr: '' });
    expect(badValue.stdout).toBe(
      'PGMEDIC LOCKS UNKNOWN - --warning "5 parsecs" is not valid here: it is the longest lock wait, in seconds (30s, 2min). Use 30s, 5min or 2h.\n',
    );
    const inverted = await pgmedic(
      ['locks', 'prod', '--format', 'nagios', '--warning', '2min', '--critical', '30s'],
      env,
    );
    expect(inverted.stdout).toMatch(/^PGMEDIC LOCKS UNKNOWN - --warning 2min is above --critical 30s\./);
    const noFigure = await pgmedic(['health', 'prod', '--warning', '1'], env);
    expect(noFigure.code).toBe(3);
    expect(noFigure.stderr).toContain(
      '`health` has no single figure for --warning and --critical. Type `pgmedic help` to see which commands take them.',
    );
    const unreachable = await pgmedic(['locks', '--format', 'nagios'], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stdout).toMatch(/^PGMEDIC LOCKS UNKNOWN - Could not connect to target "default"/);
    expect(unreachable.stdout).not.toContain('|');
    const audit = await pgmedic(['audit', '--format', 'nagios'], env);
    expect(audit.code).toBe(3);
  });

  it('--format json carries the status the exit code gives', async () => {
    const { code, stdout } = await pgmedic(['locks', 'prod', '--format', 'json', '--warning', '0s'], env);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'warn', target: 'prod' });
    expect(code).toBe(1);
  });
});

describe('bin/pgmedic text output', () => {
  it('aligns columns by display width: a CJK and emoji table name does not shift its row', async () => {
    const { stdout } = await pgmedic(['sizes', 'prod'], env);
    const lines = stdout.split('\n');
    const at = lines.findIndex((line) => line.startsWith('  ') && line.includes(WIDE_TABLE));
    expect(at).toBeGreaterThan(0);
    // The table's rows and header are the indented lines above it, up to its section title.
    let top = at;
    while (lines[top - 1]?.startsWith('  ')) top--;
    let bottom = at;
    while (lines[bottom + 1]?.startsWith('  ')) bottom++;
    // The last column is right-aligned: every line of the table ends in the same terminal column as its header.
    const table = lines.slice(top, bottom + 1);
    expect(table.length).toBeGreaterThan(2);
    expect(table.map((line) => stringWidth(line))).toEqual(table.map(() => stringWidth(lines[top]!)));
    expect(lines[at]!.length).not.toBe(stringWidth(lines[at]!)); // the name really is wider than its length
  });

  it('shows control characters from the database escaped: no terminal escape, no fake line, no extra perfdata', async () => {
    const text = await pgmedic(['sizes', 'prod'], env);
    expect(text.stdout).toContain('evil | blocked=999\\nPGMEDIC LOCKS OK - \\u001b]0;owned\\u0007\\r');
    expect(text.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/); // only newlines between lines, even with FORCE_COLOR off
    const coloured = await pgmedic(['sizes', 'prod'], { ...env, FORCE_COLOR: '1' });
    expect(coloured.stdout.match(/\x1b[^[]/g)).toBeNull(); // the only escapes are colour (ESC [)
    const nagios = await pgmedic(['sizes', 'prod', '--format', 'nagios'], env);
    expect(nagios.stdout.split('\n')).toEqual([
      expect.stringMatching(
        /^PGMEDIC SIZES OK - [^|]*evil \/ blocked=999 PGMEDIC LOCKS OK - \\u001b\]0;owned\\u0007 [^|]* \| time=[\d.]+s$/,
      ),
      '',
    ]);
  });
});
