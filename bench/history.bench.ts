/**
 * Query-history benchmark (npm run bench:history): on a real PostgreSQL 18 (embedded binaries, scratch folder
 * removed at the end) with 10,000 tables and 5,000+ distinct statements in pg_stat_statements:
 *  - the time of one snapshot (read the target, store it in the state database on the same server);
 *  - the state database's growth per target: 96 snapshots (one day at the default cron, every 15 minutes) with a workload
 *    between them that changes 500 statements' counters, measured with pg_total_relation_size, then extrapolated
 *    with the default retention (35 days, thinned to hourly after 2 days).
 * Writes bench/HISTORY-RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { targetSchema } from '../src/config/schema.js';
import { createTarget } from '../src/db/targets.js';
import { startCluster } from '../src/embedded/cluster.js';
import { takeSnapshot } from '../src/schedule/history/capture.js';
import { migrateStateDatabase } from '../src/state/migrations.js';
import { createStatePool } from '../src/state/pool.js';

const TABLES = 10_000;
const STATEMENTS = 5_000;
const TIMED_RUNS = 7;
const SNAPSHOTS_PER_DAY = 96;
const CHANGED_PER_INTERVAL = 500;
const BATCH = 500;
const HISTORY_TABLES = ['history_snapshots', 'history_statements', 'history_statement_texts'];

const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(2)} MB`;
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

async function buildCatalog(client: pg.Client): Promise<void> {
  await client.query('CREATE EXTENSION pg_stat_statements');
  for (let first = 1; first <= TABLES; first += BATCH) {
    await client.query(`DO $$ BEGIN FOR i IN ${first}..${first + BATCH - 1} LOOP
      EXECUTE format('CREATE TABLE bench_t%s (id int PRIMARY KEY, note text)', i);
    END LOOP; END $$`);
    process.stdout.write(`\rcatalog: ${Math.min(first + BATCH - 1, TABLES)} / ${TABLES} tables`);
  }
  // Sizes that differ, so the largest-tables pick has something to choose.
  await client.query(`DO $$ BEGIN FOR i IN 1..${TABLES} BY 50 LOOP
    EXECUTE format('INSERT INTO bench_t%s SELECT g, repeat(''x'', 100) FROM generate_series(1, 200 + %s) g', i, i);
  END LOOP; END $$`);
  process.stdout.write('\ncatalog: analyzing…\n');
  await client.query('ANALYZE');
}

/** Statement i: one distinct shape per table, run `times` times with varying parameters. */
async function runStatement(client: pg.Client, i: number, times = 1): Promise<void> {
  for (let k = 0; k < times; k++) await client.query(`SELECT count(*) FROM bench_t${i} WHERE id > $1`, [k]);
}

async function sizes(state: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await state.query<{ name: string; bytes: number }>(
    `SELECT relname AS name, pg_total_relation_size(oid)::float8 AS bytes FROM pg_class
     WHERE relnamespace = 'pgmedic'::regnamespace AND relname = ANY($1)`,
    [HISTORY_TABLES],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.bytes]));
}

async function main(): Promise<void> {
  const cluster = await startCluster({
    major: 18,
    settings: { 'pg_stat_statements.max': 10_000, max_locks_per_transaction: 256 },
  });
  const admin = new pg.Client(cluster.url());
  await admin.connect();
  await admin.query('CREATE DATABASE state');
  const client = new pg.Client(cluster.url());
  await client.connect();
  const state = createStatePool(cluster.url('state'));
  const target = createTarget(targetSchema.parse({ name: 'bench', url: cluster.url(), statementTimeoutMs: 60_000 }));
  try {
    await buildCatalog(client);
    for (let i = 1; i <= STATEMENTS; i++) await runStatement(client, i, 1 + (i % 7));
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_statements');
    const statements = rows[0]!.n;
    log(`pg_stat_statements: ${statements} entries`);
    await migrateStateDatabase(state);

    const times: number[] = [];
    let first = 0;
    for (let run = 0; run < TIMED_RUNS; run++) {
      const started = performance.now();
      const { snapshot } = await takeSnapshot(target, state);
      const ms = performance.now() - started;
      if (run === 0) first = ms;
      else times.push(ms);
      log(
        `snapshot ${run + 1}: ${ms.toFixed(0)} ms (${'entries' in snapshot.statements ? snapshot.statements.entries.length : 0} statements kept, ${snapshot.relations.length} tables)`,
      );
    }
    const loadAfterTiming = load();
    await state.query(
      'TRUNCATE pgmedic.history_snapshots, pgmedic.history_statements, pgmedic.history_statement_texts',
    );

    // One day at the default cron: between snapshots, 500 statements (of the costliest) run again.
    for (let s = 0; s < SNAPSHOTS_PER_DAY; s++) {
      for (let k = 0; k < CHANGED_PER_INTERVAL; k++) await runStatement(client, 1 + ((s * 37 + k * 10) % STATEMENTS));
      await takeSnapshot(target, state);
      if (s % 16 === 15) process.stdout.write(`\rgrowth: ${s + 1} / ${SNAPSHOTS_PER_DAY} snapshots`);
    }
    process.stdout.write('\n');
    const measured = await sizes(state);
    const texts = measured.history_statement_texts ?? 0;
    const perSnapshot = ((measured.history_snapshots ?? 0) + (measured.history_statements ?? 0)) / SNAPSHOTS_PER_DAY;
    const rawDay = perSnapshot * SNAPSHOTS_PER_DAY;
    const thinnedDay = perSnapshot * 24;
    const at35 = perSnapshot * (2 * SNAPSHOTS_PER_DAY + 33 * 24) + texts;
    const loadAfterGrowth = load();

    const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const lines = [
      '# Query-history benchmark',
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:history\` (bench/history.bench.ts).`,
      '',
      `- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}; shared with other work while measured`,
      `- Server: PostgreSQL ${version} (embedded binaries, fsync off); the state database on the same server`,
      `- Target: ${TABLES} tables (one in fifty with rows), ${statements} entries in pg_stat_statements`,
      '',
      '## One snapshot (goal: under 1 s)',
      '',
      'Read the target (statements, databases, checkpointer, the 100 largest tables, replication) in its read-only session and store it.',
      '',
      '| run | ms |',
      '|---|---|',
      `| first (fetches and stores 500 statement texts) | ${first.toFixed(0)} |`,
      `| next ${times.length}: median | ${median(times).toFixed(0)} |`,
      `| next ${times.length}: worst | ${Math.max(...times).toFixed(0)} |`,
      '',
      `Load: \`${loadAfterTiming}\``,
      '',
      `## State database growth per target (goal: under 5 MB a day)`,
      '',
      `${SNAPSHOTS_PER_DAY} snapshots (a day at \`*/15 * * * *\`), ${CHANGED_PER_INTERVAL} statements run between each, sizes from \`pg_total_relation_size\` (heap, TOAST, indexes):`,
      '',
      '| table | bytes after one day |',
      '|---|---|',
      ...HISTORY_TABLES.map((t) => `| pgmedic.${t} | ${mb(measured[t] ?? 0)} |`),
      '',
      `- Per snapshot (snapshots + statements tables): ${(perSnapshot / 1024).toFixed(1)} KiB; statement texts: ${mb(texts)}, once per queryid (grows only with new statements).`,
      `- A day at full resolution (the two most recent days): ${mb(rawDay)}.`,
      `- A day once thinned to hourly (older than two days): ${mb(thinnedDay)}.`,
      `- At the default 35-day retention: 2 × 96 + 33 × 24 = 984 snapshots ≈ ${mb(at35)} per target in steady state (texts included); it stops growing after 35 days.`,
      '- Extrapolated linearly from the measured day: deleted rows are reused by later inserts after autovacuum, so the steady state is close to the live size; a busy state database may hold some extra free space.',
      '',
      `Load: \`${loadAfterGrowth}\``,
      '',
    ];
    writeFileSync(new URL('./HISTORY-RESULTS.md', import.meta.url), lines.join('\n'));
    log(lines.join('\n'));
  } finally {
    await target.close();
    await state.end();
    await client.end();
    await admin.end();
    await cluster.stop();
  }
}

await main();
