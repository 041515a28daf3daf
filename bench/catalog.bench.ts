/**
 * Large-catalog benchmark: 10,000 tables, 30,000 indexes, ≥ 5,000 distinct statements in pg_stat_statements,
 * on a real PostgreSQL 18 from the embedded binaries. Runs every diagnostic once cold (a new connection, so a
 * backend with empty catalog caches, capability probe included) and then 7 times warm (default options, plus the
 * slowest useful variants), and writes cold, median, worst and the process's peak RSS to bench/RESULTS.md.
 *
 *   npm run bench                     build (or reuse) the catalog, measure, write bench/RESULTS.md
 *   npm run bench -- --fresh          rebuild the catalog from scratch
 *   npm run bench -- --only sequences,sizes   measure only these commands (prints, does not write the file)
 *   BENCH_DIR=<dir> npm run bench             keep the catalog's server in <dir>/data instead of the shared temp
 *                                              folder (one server per folder: two benches side by side need two)
 *   BENCH_COMPARE=<dir> npm run bench          also runs another checkout's commands (its sources, through tsx; a
 *                                              node_modules link in it), interleaved with these, as a "before" column
 */
import { existsSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { startCluster } from '../src/embedded/cluster.js';
import { createTarget } from '../src/db/targets.js';
import { targetSchema } from '../src/config/schema.js';
import { parseOptions } from '../src/engine/options.js';
import { listCommands } from '../src/engine/registry.js';
import { runCommand } from '../src/engine/run.js';
import { writeResults } from './results-file.js';

const TABLES = 10_000;
const STATEMENTS = 5_200;
const RUNS = 7;
/** Budgets: every diagnostic's warm median, and its first run on a cold backend. */
const MEDIAN_BUDGET_MS = 250;
const COLD_BUDGET_MS = 1000;
const BATCH = 500;
const benchDir = process.env.BENCH_DIR ?? join(tmpdir(), 'pgmedic-bench-catalog-18');
const dataDir = join(benchDir, 'data');

/** Variants worth timing beyond the defaults: the ones that do the most work. */
const VARIANTS: Record<string, string[][]> = {
  bloat: [['--min-size', '0']],
  indexes: [['--min-size', '0']],
};

async function buildCatalog(client: pg.Client): Promise<void> {
  const started = Date.now();
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS pgstattuple');
  for (let first = 1; first <= TABLES; first += BATCH) {
    await client.query(`DO $$ BEGIN FOR i IN ${first}..${first + BATCH - 1} LOOP
      EXECUTE format('CREATE TABLE bench_t%s (id bigserial PRIMARY KEY, account int NOT NULL, status text, created timestamptz DEFAULT now())', i);
      EXECUTE format('CREATE INDEX bench_t%s_account ON bench_t%s (account)', i, i);
      EXECUTE format('CREATE INDEX bench_t%s_created ON bench_t%s (created, status)', i, i);
    END LOOP; END $$`);
    process.stdout.write(`\rcatalog: ${Math.min(first + BATCH - 1, TABLES)} / ${TABLES} tables`);
  }
  // Give one table in fifty real rows (and some real bloat) so size and bloat queries have work to do.
  await client.query(`DO $$ BEGIN FOR i IN 1..${TABLES} BY 50 LOOP
    EXECUTE format('INSERT INTO bench_t%s (account, status) SELECT g %% 500, ''open'' FROM generate_series(1, 2000) g', i);
    EXECUTE format('DELETE FROM bench_t%s WHERE id %% 4 <> 0', i);
  END LOOP; END $$`);
  process.stdout.write('\ncatalog: analyzing…\n');
  await client.query('VACUUM ANALYZE');
  process.stdout.write(`catalog: built in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

async function fillStatements(client: pg.Client): Promise<number> {
  for (let i = 1; i <= STATEMENTS; i++) {
    const table = ((i - 1) % TABLES) + 1;
    const shape = Math.floor((i - 1) / TABLES);
    await client.query(
      shape === 0
        ? `SELECT count(*) FROM bench_t${table} WHERE account = $1`
        : `SELECT max(id) FROM bench_t${table} WHERE status = $1`,
      [shape === 0 ? 1 : 'open'],
    );
  }
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_statements');
  return Number(rows[0]!.n);
}

/** Another checkout's engine, to time its commands beside these ones under the same load. */
async function checkout(dir: string, url: string) {
  const from = (path: string) => import(pathToFileURL(join(dir, path)).href);
  const [registry, run, targets, schema, opts] = await Promise.all([
    from('src/engine/registry.ts'),
    from('src/engine/run.ts'),
    from('src/db/targets.ts'),
    from('src/config/schema.ts'),
    from('src/engine/options.ts'),
  ]);
  const target = targets.createTarget(schema.targetSchema.parse({ name: 'before', url, statementTimeoutMs: 60_000 }));
  return {
    target,
    /** Elapsed ms of one run of the named command with these option tokens, or undefined where it has none. */
    async time(name: string, tokens: string[]): Promise<number | undefined> {
      const command = registry.listCommands('diagnostic').find((c: { name: string }) => c.name === name);
      if (!command) return undefined;
      const result = await run.runCommand({ command, target, options: opts.parseOptions(command, tokens) });
      return result.meta.elapsedMs as number;
    },
  };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  if (process.argv.includes('--fresh')) rmSync(benchDir, { recursive: true, force: true });
  const reuse = existsSync(join(dataDir, 'PG_VERSION'));
  const cluster = await startCluster({
    major: 18,
    dataDir,
    settings: { 'pg_stat_statements.max': 10000, max_locks_per_transaction: 256 },
  });
  const client = new pg.Client(cluster.url());
  await client.connect();
  try {
    const built = reuse && (await client.query("SELECT 1 FROM pg_class WHERE relname = 'bench_t10000'")).rowCount;
    if (!built) await buildCatalog(client);
    const statements = await fillStatements(client);
    const counts = (
      await client.query<{ tables: string; indexes: string }>(
        "SELECT count(*) FILTER (WHERE relkind = 'r') AS tables, count(*) FILTER (WHERE relkind = 'i') AS indexes FROM pg_class WHERE relnamespace = 'public'::regnamespace",
      )
    ).rows[0]!;
    const config = targetSchema.parse({ name: 'bench', url: cluster.url(), statementTimeoutMs: 60_000 });
    const target = createTarget(config);
    const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : null;
    const before = process.env.BENCH_COMPARE ? await checkout(process.env.BENCH_COMPARE, cluster.url()) : undefined;
    const loadBefore = load();
    const rows: string[] = [];
    for (const command of listCommands('diagnostic').filter((c) => !only || only.includes(c.name))) {
      for (const tokens of [[], ...(VARIANTS[command.name] ?? [])]) {
        const options = parseOptions(command, tokens);
        // Cold: a target of its own, so a new backend whose catalog caches are empty (as for the CLI).
        const fresh = createTarget(config);
        const cold = (await runCommand({ command, target: fresh, options })).meta.elapsedMs;
        await fresh.close();
        const times: number[] = [];
        const beforeTimes: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const result = await runCommand({ command, target, options });
          times.push(result.meta.elapsedMs);
          const other = await before?.time(command.name, tokens);
          if (other !== undefined) beforeTimes.push(other);
        }
        const beforeCell = before ? ` ${beforeTimes.length ? median(beforeTimes) : '–'} |` : '';
        const label = [command.name, ...tokens].join(' ');
        const rss = process.resourceUsage().maxRSS / 1024;
        const met = median(times) <= MEDIAN_BUDGET_MS && cold <= COLD_BUDGET_MS ? 'yes' : '**no**';
        rows.push(
          `| \`${label}\` | ${cold} | ${median(times)} | ${Math.max(...times)} |${beforeCell} ${met} | ${rss.toFixed(0)} | ${load()} |`,
        );
        process.stdout.write(
          `${label.padEnd(28)} cold ${cold} ms, median ${median(times)} ms, worst ${Math.max(...times)} ms${before ? `, before: median ${beforeTimes.length ? median(beforeTimes) : '–'} ms` : ''} (load ${load()})\n`,
        );
      }
    }
    await target.close();
    await before?.target.close();
    if (only) return;
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    writeResults(
      'RESULTS.md',
      [
        '# Large-catalog benchmark',
        '',
        `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` (bench/catalog.bench.ts).`,
        '',
        `- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}`,
        `- Server: PostgreSQL ${version} (embedded binaries, fsync off), same machine`,
        `- Catalog: ${counts.tables} tables, ${counts.indexes} indexes in \`public\` (one table in fifty has 2,000 rows with 75% deleted), ${statements} statements in pg_stat_statements`,
        `- Per line: one cold run on a new connection (empty catalog caches; the capability probe included), then ${RUNS} warm runs (probe cached, as in a running bot); times are the engine's elapsed time per command`,
        `- Budgets: warm median ≤ ${MEDIAN_BUDGET_MS} ms and cold ≤ ${COLD_BUDGET_MS} ms`,
        `- Load (\`uptime\`, 1/5/15 min) at the start: ${loadBefore}; the machine has ${cpus().length} cores`,
        ...(before
          ? [
              `- "before": the same commands of the checkout in \`${process.env.BENCH_COMPARE}\`, run interleaved with these (one run each in turn), median of ${RUNS} warm runs`,
            ]
          : []),
        '',
        `| command | cold ms | median ms | worst ms |${before ? ' before: median ms |' : ''} within budget | peak RSS so far (MiB) | load after |`,
        `|---|---:|---:|---:|${before ? '---:|' : ''}---|---:|---|`,
        ...rows,
        '',
      ].join('\n'),
    );
  } finally {
    await client.end();
    await cluster.stop();
  }
}

await main();
