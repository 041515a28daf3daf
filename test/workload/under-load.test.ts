import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexesFindings } from '../../commands/indexes.js';
import type { SlowQueriesFindings } from '../../commands/slow-queries.js';
import type { Target } from '../../src/db/targets.js';
import { listCommands } from '../../src/engine/registry.js';
import { toJson } from '../../src/report/json.js';
import { connect } from '../support/clients.js';
import { run, testTarget } from '../support/engine.js';
import { asRole, MONITOR_ROLE } from '../support/least-privilege.js';
import { startTestServer, type TestServer } from '../support/pg.js';

/** Debian's PostgreSQL 15 client tools (.ci/run installs postgresql-15); pgbench 15 drives any server 14–18. */
const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';

let server: TestServer;
let admin: Target;
let monitor: Target;
let load: ChildProcess | undefined;

function pgbench(args: string[]): ChildProcess {
  return spawn(PGBENCH, [...args, server.url()], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function finished(child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`pgbench exited with ${code}: ${stderr.slice(-500)}`)),
    ),
  );
}

async function truth<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = await connect(server.url(), 'scenario-truth');
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every number under a key that names a duration or an age, with its path, when it is negative. */
function negativeDurations(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => negativeDurations(v, `${path}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const here = `${path}.${key}`;
    if (typeof v === 'number' && /seconds|ms$|age|duration|lag/i.test(key) && v < 0) return [`${here} = ${v}`];
    return negativeDurations(v, here);
  });
}

beforeAll(async () => {
  if (!existsSync(PGBENCH))
    throw new Error(
      `pgbench not found at ${PGBENCH}: install Debian's postgresql-15 package (apt-get install postgresql-15; .ci/run does).`,
    );
  server = await startTestServer(18);
  await truth(
    `CREATE ROLE ${MONITOR_ROLE} LOGIN PASSWORD 'pw'; GRANT pg_monitor TO ${MONITOR_ROLE}; CREATE EXTENSION pg_stat_statements`,
  );
  await finished(pgbench(['-i', '-s', '10', '-q']));
  admin = testTarget(server.url());
  monitor = testTarget(asRole(server.url(), MONITOR_ROLE));
}, 180_000);
afterAll(async () => {
  if (load && load.exitCode === null) load.kill('SIGINT');
  await admin?.close();
  await monitor?.close();
  await server?.stop();
});

describe('after a bulk load (pgbench -i -s 10)', () => {
  it('does not call pgbench_accounts a missing-index suspect from the load’s own scans', async () => {
    const [accounts] = await truth<{ seq_scan: number; seq_tup_read: number; n_live_tup: number; idx_scan: number }>(
      "SELECT seq_scan::float8, seq_tup_read::float8, n_live_tup::float8, coalesce(idx_scan, 0)::float8 AS idx_scan FROM pg_stat_user_tables WHERE relname = 'pgbench_accounts'",
    );
    // the premise: the rule before (rows read, rows per scan, more seq than index scans) would have flagged it
    expect(accounts!.seq_scan).toBeGreaterThan(accounts!.idx_scan);
    expect(accounts!.seq_tup_read).toBeGreaterThanOrEqual(1_000_000);
    expect(accounts!.seq_tup_read / accounts!.seq_scan).toBeGreaterThanOrEqual(1_000);
    expect(accounts!.seq_scan).toBeLessThan(50);
    const findings = (await run(admin, 'indexes', ['--min-size', '0'])).findings as IndexesFindings;
    expect(findings.indexes.filter((f) => f.problem === 'missing').map((f) => f.table)).not.toContain(
      'pgbench_accounts',
    );
  });
});

describe('while pgbench runs (8 clients)', () => {
  it('no diagnostic reports a negative duration, as superuser or as pg_monitor', async () => {
    load = pgbench(['-c', '8', '-j', '2', '-T', '20', '-n']);
    const done = finished(load);
    const seen: string[] = [];
    const deadline = Date.now() + 12_000;
    let rounds = 0;
    while (Date.now() < deadline || rounds < 2) {
      for (const target of [admin, monitor]) {
        for (const command of listCommands('diagnostic')) {
          const json = toJson(await run(target, command.name));
          seen.push(...negativeDurations(json, command.name));
        }
      }
      rounds++;
    }
    expect(load.exitCode).toBeNull(); // the load was still running for every round
    expect(seen).toEqual([]);
    await done;
  });

  it('leaves itself out of slow-queries: pgmedic sends nothing untagged, and lists none of its own statements', async () => {
    const [role] = await truth<{ oid: number }>('SELECT oid::int8 AS oid FROM pg_roles WHERE rolname = $1', [
      MONITOR_ROLE,
    ]);
    const untagged = await truth<{ query: string }>(
      "SELECT query FROM pg_stat_statements WHERE userid = $1 AND query NOT LIKE '%/* pgmedic:%'",
      [role!.oid],
    );
    expect(untagged).toEqual([]);
    const result = await run(monitor, 'slow-queries', ['--limit', '100', '--sort', 'calls']);
    const findings = result.findings as Extract<SlowQueriesFindings, { available: true }>;
    expect(findings.statements.length).toBeGreaterThan(0);
    expect(findings.statements.filter((s) => /pgmedic|BEGIN READ ONLY|set_config/.test(s.query))).toEqual([]);
    expect(findings.statements.some((s) => s.query.includes('pgbench_accounts'))).toBe(true);
  });
});
