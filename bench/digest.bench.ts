/**
 * Digest benchmark: one digest (health line + bloat + vacuum sections, trends written to a state database)
 * over 50 targets, 5 of them unreachable: 3 accept TCP connections and never answer (they cost the full
 * connect timeout), 2 refuse at once. The 45 reachable ones are databases on one local PostgreSQL 18.
 * Criterion (issue 5): total ≤ connect timeout + 2 × the single-target time.
 *
 *   npm run bench:digest            measure at the default connect timeout and at 2 s, write bench/DIGEST-RESULTS.md
 *   npm run bench:digest -- --connect-timeout 2000 --concurrency 8   one setting, printed only
 */
import { cpus, loadavg, totalmem } from 'node:os';
import pg from 'pg';
import { targetSchema, TARGET_DEFAULTS, type Config } from '../src/config/schema.js';
import { createTargets, type Targets } from '../src/db/targets.js';
import { freePort, startCluster } from '../src/embedded/cluster.js';
import { SCHEDULE_DEFAULTS } from '../src/config/schedule-schema.js';
import { composeDigest, DIGEST_DEFAULTS } from '../src/schedule/digest.js';
import { DEFAULT_SECTIONS, resolveSections } from '../src/schedule/digest-sections.js';
import { snapshotTrends } from '../src/schedule/trends/snapshots.js';
import { migrateStateDatabase } from '../src/state/migrations.js';
import { createStatePool } from '../src/state/pool.js';
import { silentServer } from '../test/support/schedule.js';
import { writeResults } from './results-file.js';

const REACHABLE = 45;
const SILENT = 3;
const REFUSED = 2;
const RUNS = 3;
const flag = (name: string) => {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : Number(process.argv[at + 1]);
};
const ONE_TIMEOUT = flag('--connect-timeout');
const CONNECT_TIMEOUTS = ONE_TIMEOUT ? [ONE_TIMEOUT] : [TARGET_DEFAULTS.connectTimeoutMs, 2000];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const CONCURRENCY = flag('--concurrency') ?? DIGEST_DEFAULTS.concurrency;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function prepare(url: (db?: string) => string): Promise<void> {
  const admin = new pg.Client({ connectionString: url() });
  await admin.connect();
  await admin.query('CREATE DATABASE bench_tpl');
  const tpl = new pg.Client({ connectionString: url('bench_tpl') });
  await tpl.connect();
  // A few tables with rows, deletes and an index each: the estimates have statistics to work on.
  for (let i = 1; i <= 20; i++) {
    await tpl.query(
      `CREATE TABLE t${i} (id int PRIMARY KEY, account int, note text); INSERT INTO t${i} SELECT g, g % 100, md5(g::text) FROM generate_series(1, 5000) g; DELETE FROM t${i} WHERE id % 3 = 0; CREATE INDEX ON t${i} (account)`,
    );
  }
  await tpl.query('VACUUM ANALYZE');
  await tpl.end();
  for (let i = 1; i <= REACHABLE; i++) await admin.query(`CREATE DATABASE bench_${i} TEMPLATE bench_tpl`);
  await admin.query('CREATE DATABASE bench_state');
  await admin.end();
}

function targetsFor(urls: { name: string; url: string }[], connectTimeoutMs: number): Targets {
  const config: Config = {
    targets: urls.map((t) => targetSchema.parse({ ...t, connectTimeoutMs })),
    defaultTarget: urls[0]!.name,
  };
  return createTargets(config);
}

async function timeDigest(
  urls: { name: string; url: string }[],
  state: pg.Pool,
  connectTimeoutMs: number,
): Promise<{ ms: number; unreachable: number; slowestReachableMs: number }> {
  const targets = targetsFor(urls, connectTimeoutMs); // fresh pools every run: connections and capability probes are part of the cost
  const sections = resolveSections(DEFAULT_SECTIONS);
  const started = performance.now();
  const digest = await composeDigest({
    name: 'bench',
    concurrency: CONCURRENCY,
    targets: targets.names().map((n) => targets.get(n)),
    sections,
    timezone: 'UTC',
    trends: snapshotTrends(state),
  });
  const ms = performance.now() - started;
  await targets.closeAll();
  const failed = digest.targets.flatMap((t) =>
    t.pieces.filter((p) => p.error).map((p) => `${t.target}/${p.command}: ${p.error}`),
  );
  if (failed.length) throw new Error(`sections failed: ${failed.slice(0, 3).join('; ')}`);
  const reachable = digest.targets.filter((t) => t.reachable);
  return {
    ms,
    unreachable: digest.targets.length - reachable.length,
    slowestReachableMs: Math.max(...reachable.map((t) => t.elapsedMs)),
  };
}

async function measure(
  timeout: number,
  all: { name: string; url: string }[],
  reachable: { name: string; url: string }[],
  state: pg.Pool,
): Promise<string> {
  const loadBefore = load();
  const single: number[] = [];
  for (let i = 0; i < 5; i++) single.push((await timeDigest([reachable[i]!], state, timeout)).ms);
  const runs: Awaited<ReturnType<typeof timeDigest>>[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await timeDigest(all, state, timeout));
  const reachableOnly: number[] = [];
  for (let i = 0; i < RUNS; i++) reachableOnly.push((await timeDigest(reachable, state, timeout)).ms);
  const singleMs = median(single);
  const budget = timeout + 2 * singleMs;
  const totals = runs.map((r) => r.ms);
  const ms = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
  return [
    `## Connect timeout ${timeout} ms`,
    '',
    '| measure | value |',
    '|---|---|',
    `| single-target digest (median of 5, cold pools) | ${singleMs.toFixed(0)} ms (${ms(single)}) |`,
    `| ${all.length}-target digest, ${SILENT + REFUSED} unreachable (${RUNS} runs) | ${ms(totals)} ms (median ${median(totals).toFixed(0)}) |`,
    `| ${REACHABLE} reachable targets only (${RUNS} runs) | ${ms(reachableOnly)} ms (median ${median(reachableOnly).toFixed(0)}) |`,
    `| slowest reachable target inside the ${all.length}-target run | ${ms(runs.map((r) => r.slowestReachableMs))} ms |`,
    `| unreachable reported | ${runs.map((r) => r.unreachable).join(', ')} of ${SILENT + REFUSED} |`,
    `| budget: connect timeout + 2 × single | ${budget.toFixed(0)} ms |`,
    `| within budget | ${totals.every((t) => t <= budget) ? 'yes, every run' : `**no** (${totals.filter((t) => t > budget).length} of ${RUNS} runs over)`} |`,
    `| load before / after | ${loadBefore} / ${load()} |`,
    `| peak RSS of the bench process so far | ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB |`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const cluster = await startCluster({ major: 18, settings: { max_connections: 200 } });
  const silent = await Promise.all(Array.from({ length: SILENT }, () => silentServer()));
  try {
    await prepare((db) => cluster.url(db));
    const state = createStatePool(cluster.url('bench_state'));
    await migrateStateDatabase(state);
    const reachable = Array.from({ length: REACHABLE }, (_, i) => ({
      name: `db${i + 1}`,
      url: cluster.url(`bench_${i + 1}`),
    }));
    const dead = [
      ...silent.map((s, i) => ({ name: `silent${i + 1}`, url: `postgres://postgres@127.0.0.1:${s.port}/postgres` })),
      ...(await Promise.all(
        Array.from({ length: REFUSED }, async (_, i) => ({
          name: `refused${i + 1}`,
          url: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`,
        })),
      )),
    ];
    // Unreachable targets spread through the list, as a real config would have them.
    const all = [...reachable];
    for (const [i, d] of dead.entries()) all.splice(i * 10 + 3, 0, d);

    await timeDigest([reachable[0]!], state, CONNECT_TIMEOUTS[0]!); // warm-up (module loading, catalog caches)
    const sections: string[] = [];
    for (const timeout of CONNECT_TIMEOUTS) sections.push(await measure(timeout, all, reachable, state));
    await state.end();
    const text = [
      '# Digest benchmark',
      '',
      `\`npm run bench:digest\` (bench/digest.bench.ts), ${new Date().toISOString().slice(0, 16)}Z. One digest — health line, ${DEFAULT_SECTIONS.map((s) => [s.command, ...s.tokens].join(' ')).join(', ')}, trend snapshots written to a state database — over ${all.length} targets: ${REACHABLE} reachable databases (20 small tables each) on one local PostgreSQL 18, ${SILENT} ports that accept TCP and never answer (each costs the full connect timeout), ${REFUSED} refused ports. Fresh pools on every run, so connections and capability probes are counted. Work concurrency ${CONCURRENCY}, connect concurrency ${DIGEST_DEFAULTS.connectConcurrency}; the 45 databases of one server go through its connection budget (${SCHEDULE_DEFAULTS.alertConnectionsPerServer} at once, each connecting, running and closing its connections: src/schedule/server-budget.ts). Criterion: total ≤ connect timeout + 2 × single-target time.`,
      '',
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; node ${process.version}; the server and the bench share the cores. Load (\`uptime\`, 1/5/15 min) is given per setting: other sessions share this machine.`,
      '',
      ...sections,
      '## Where the time went (issue 14)',
      '',
      '`node --cpu-prof` on the bench: the bench process was idle most of the run; the time was the server',
      'working for the checks. pg_stat_statements (track_planning on) over one 45-target digest: 6.1 s of statement',
      'time, 2.6 s of it the capability probe, run 3 times per target (the cache was dropped on every new pool',
      'connection, including the first) and each time formatting every setting through pg_settings in a new',
      'backend. Now it runs once per pool life (re-probed when the pool has lost all its connections), reads',
      'shared_preload_libraries and role memberships directly; 3.4 s of statement time for the same digest.',
      '',
    ].join('\n');
    if (ONE_TIMEOUT) console.log(text);
    else {
      console.log(text);
      writeResults('DIGEST-RESULTS.md', text);
    }
  } finally {
    await Promise.all(silent.map((s) => s.close()));
    await cluster.stop();
  }
}

await main();
