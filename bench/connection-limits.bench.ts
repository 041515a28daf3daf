/**
 * Connection limits benchmark (npm run bench:connection-limits): what the statement that reads every database's and
 * role's own CONNECTION LIMIT (commands/shared/connection-limits.ts) costs on a large catalog, and the whole `connections`
 * diagnostic with it. A real PostgreSQL 18 (embedded binaries, scratch folder removed at the end) with 10,000 login
 * roles that each have a limit (as some managed services give every role), 50 databases with one, and 400 client
 * sessions spread over them. Medians of 11 warm runs, first with pg_authid's statistics as initdb left them (as on a
 * server whose roles were just created, before autovacuum analyzes it), then after ANALYZE; beside it, the same
 * question asked with joins, the plainer form the statement does not use (see its comment). Writes
 * bench/CONNECTION-LIMITS-RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { LIMITS_SQL, MAX_LIMITS } from '../commands/connections.js';
import { targetSchema } from '../src/config/schema.js';
import { createTarget } from '../src/db/targets.js';
import { startCluster } from '../src/embedded/cluster.js';
import { parseOptions } from '../src/engine/options.js';
import { findCommand } from '../src/engine/registry.js';
import { runCommand } from '../src/engine/run.js';
import { writeResults } from './results-file.js';

const ROLES = 10_000;
const DATABASES = 50;
const SESSIONS = 400;
const RUNS = 11;
/** The join form: per-database and per-role counts, LEFT JOINed to the limits. */
const JOIN_SQL = `
WITH client_sessions AS (
  SELECT a.datid, a.usesysid FROM pg_catalog.pg_stat_activity a
  WHERE a.backend_type = 'client backend' OR a.backend_type IS NULL
),
per_database AS (SELECT datid, count(*) AS n FROM client_sessions GROUP BY datid),
per_role AS (SELECT usesysid, count(*) AS n FROM client_sessions GROUP BY usesysid),
limits AS (
  SELECT 'database' AS kind, d.oid, d.datname::text AS name, d.datconnlimit AS connection_limit, coalesce(p.n, 0) AS in_use
  FROM pg_catalog.pg_database d LEFT JOIN per_database p ON p.datid = d.oid
  WHERE d.datconnlimit >= 0 AND d.datallowconn
  UNION ALL
  SELECT 'role', r.oid, r.rolname::text, r.rolconnlimit, coalesce(p.n, 0)
  FROM pg_catalog.pg_roles r LEFT JOIN per_role p ON p.usesysid = r.oid
  WHERE r.rolconnlimit >= 0 AND r.rolcanlogin AND NOT r.rolsuper
)
SELECT * FROM limits
ORDER BY connection_limit = 0, in_use::float8 / greatest(connection_limit, 1) DESC, kind, name
LIMIT $1`;

const log = (line: string) => process.stdout.write(`${line}\n`);
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

async function median(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

async function main(): Promise<void> {
  const cluster = await startCluster({ major: 18, settings: { max_connections: SESSIONS + 50 } });
  const admin = new pg.Client({ connectionString: cluster.url() });
  const sessions: pg.Client[] = [];
  const target = createTarget(targetSchema.parse({ name: 'bench', url: cluster.url() }));
  try {
    await admin.connect();
    log(`creating ${ROLES} roles and ${DATABASES} databases…`);
    await admin.query(`DO $$ BEGIN FOR i IN 1..${ROLES} LOOP
      EXECUTE format('CREATE ROLE %I LOGIN CONNECTION LIMIT %s', 'bench_role_' || i, 5 + i % 50);
    END LOOP; END $$`);
    for (let i = 1; i <= DATABASES; i++) await admin.query(`CREATE DATABASE bench_db_${i} CONNECTION LIMIT 20`);
    log(`opening ${SESSIONS} sessions…`);
    for (let i = 0; i < SESSIONS; i++) {
      const u = new URL(cluster.url(`bench_db_${1 + (i % DATABASES)}`));
      u.username = `bench_role_${1 + (i % 97)}`;
      const client = new pg.Client({ connectionString: u.toString() });
      await client.connect();
      sessions.push(client);
    }
    const statement = () => admin.query(LIMITS_SQL, [MAX_LIMITS]);
    const joined = () => admin.query(JOIN_SQL, [MAX_LIMITS]);
    const command = findCommand('connections');
    const options = parseOptions(command, []);
    const whole = () => runCommand({ command, target, options });
    await whole();
    const stale = { statement: await median(statement), joined: await median(joined), whole: await median(whole) };
    await admin.query('ANALYZE pg_catalog.pg_authid, pg_catalog.pg_database');
    const fresh = { statement: await median(statement), joined: await median(joined), whole: await median(whole) };
    const row = (what: string, key: keyof typeof stale) =>
      `| ${what} | ${stale[key].toFixed(1)} ms | ${fresh[key].toFixed(1)} ms |`;
    const lines = [
      '# Connection limits',
      '',
      `\`npm run bench:connection-limits\`: PostgreSQL 18 (embedded), ${ROLES.toLocaleString('en-US')} login roles with a`,
      `CONNECTION LIMIT, ${DATABASES} databases with one, ${SESSIONS} client sessions; medians of ${RUNS} warm runs.`,
      '',
      '| what | median, pg_authid never analyzed | median, after ANALYZE |',
      '| --- | --- | --- |',
      row(`the limits statement (${MAX_LIMITS} rows back)`, 'statement'),
      row('the same with joins (not used)', 'joined'),
      row('the whole `connections` diagnostic (7 statements)', 'whole'),
      '',
      `Load while measuring (a shared machine): \`${load()}\`.`,
    ];
    writeResults('CONNECTION-LIMITS-RESULTS.md', lines.join('\n'));
    log(lines.join('\n'));
  } finally {
    await Promise.all(sessions.map((c) => c.end().catch(() => undefined)));
    await target.close();
    await admin.end().catch(() => undefined);
    await cluster.stop();
  }
}

await main();
