/**
 * History charts benchmark (npm run bench:history-charts): a state database on a real PostgreSQL 18 (embedded
 * binaries, scratch folder removed at the end) holding one target's 30 days of query history as the default
 * retention keeps it (every 15 minutes for 2 days, hourly before: 864 snapshots of 500 statements each), then
 * the time, CPU time (this process and the state server) and peak RSS growth (sampled every 5 ms) of reading
 * each history chart's data over 7 and 30 days (render excluded: see bench/charts.bench.ts). Synthetic counters: what is measured is reading and subtracting, not the target.
 * Writes bench/HISTORY-CHARTS-RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { readChartData } from '../src/charts/data.js';
import { findMetric } from '../src/charts/metrics.js';
import { STATEMENT_COUNTERS, type Counters, type Snapshot } from '../src/db/counters.js';
import { startCluster } from '../src/embedded/cluster.js';
import { writeHistorySnapshot } from '../src/state/history.js';
import { migrateStateDatabase } from '../src/state/migrations.js';
import { createStatePool } from '../src/state/pool.js';

const STATEMENTS = 500;
const HOUR = 3_600_000;
const log = (line: string) => process.stdout.write(`${line}\n`);
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

/**
 * CPU time (ms) the state server's processes used so far: the postmaster's backends and those it reaped (Linux
 * /proc). With this process's own, a figure the load of a shared machine changes less than the elapsed time.
 */
function serverCpuMs(dataDir: string): number {
  const postmaster = readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]!;
  const ticks = (pid: string) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const own = Number(fields[11]) + Number(fields[12]);
      return { parent: fields[1], own, reaped: Number(fields[13]) + Number(fields[14]) };
    } catch {
      return undefined; // exited meanwhile: its time is in the postmaster's reaped time
    }
  };
  let total = ticks(postmaster)?.reaped ?? 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const t = ticks(pid);
    if (t?.parent === postmaster) total += t.own;
  }
  return total * 10; // USER_HZ is 100 on Linux
}

/** The instants the retention keeps, oldest first, ending now. */
function instants(now: number): Date[] {
  const at: number[] = [];
  for (let h = 30 * 24; h > 48; h--) at.push(now - h * HOUR);
  for (let q = 48 * 4; q >= 0; q--) at.push(now - (q * HOUR) / 4);
  return at.map((t) => new Date(t));
}

function snapshot(takenAt: Date, n: number): Snapshot {
  const counters = (i: number): Counters =>
    Object.fromEntries(STATEMENT_COUNTERS.map((c) => [c, (n + 1) * (i + 1) * (c === 'totalMs' ? 1.5 : 3)])) as Counters;
  return {
    target: 'bench',
    takenAt,
    serverVersionNum: 180000,
    inRecovery: false,
    postmasterStart: '1700000000',
    statements: {
      extensionVersion: '1.12',
      statsReset: '1700000000',
      dealloc: 0,
      others: { entries: 0, ...counters(0) },
      entries: Array.from({ length: STATEMENTS }, (_, i) => ({
        queryId: String(1_000_000 + i),
        userId: '10',
        dbId: '5',
        toplevel: true,
        statsSince: '1700000000',
        ...counters(i),
      })),
    },
    databases: [{ database: 'app', sizeBytes: 1e9 + n * 1e6 } as Snapshot['databases'][number]],
    checkpoints: {
      source: 'pg_stat_checkpointer',
      timed: n,
      requested: 0,
      buffersWritten: 0,
      writeTimeMs: 0,
      syncTimeMs: 0,
      statsReset: null,
    },
    relations: [],
    replication: {
      role: 'primary',
      standbys: [{ name: 's1', state: 'streaming', lagBytes: n, lagSeconds: 0 }],
      replayLagBytes: null,
      replayLagSeconds: null,
    },
  };
}

async function main(): Promise<void> {
  const cluster = await startCluster({ major: 18 });
  const pool = createStatePool(cluster.url());
  try {
    await migrateStateDatabase(pool);
    const at = instants(Date.now());
    for (const [n, t] of at.entries()) {
      await writeHistorySnapshot(pool, snapshot(t, n), new Map());
      if (n % 100 === 0) process.stdout.write(`\rstored ${n} / ${at.length}`);
    }
    log(`\nstored ${at.length} snapshots`);
    const lines: string[] = [];
    const loadBefore = load();
    for (const name of ['database-size', 'replication-lag', 'query-time', 'query-mean']) {
      for (const days of [7, 30] as const) {
        const rss = process.memoryUsage().rss;
        let peak = rss;
        const sampler = setInterval(() => {
          peak = Math.max(peak, process.memoryUsage().rss);
        }, 5);
        const [cpu, serverCpu] = [process.cpuUsage(), serverCpuMs(cluster.dataDir)];
        const started = performance.now();
        const data = await readChartData(pool, 'bench', findMetric(name)!, days);
        const ms = performance.now() - started;
        const ownCpu = process.cpuUsage(cpu);
        const cpuMs = `${((ownCpu.user + ownCpu.system) / 1000).toFixed(0)} + ${serverCpuMs(cluster.dataDir) - serverCpu} ms`;
        clearInterval(sampler);
        const grown = (Math.max(peak, process.memoryUsage().rss) - rss) / 1024 ** 2;
        const points = data!.series.reduce((sum, s) => sum + s.points.length, 0);
        const line = `| ${name} | ${days} | ${points} | ${ms.toFixed(0)} ms | ${cpuMs} | ${grown.toFixed(0)} MB |`;
        lines.push(line);
        log(line);
      }
    }
    const report = `# History charts: reading a chart's data

\`npm run bench:history-charts\` (bench/history-charts.bench.ts): ${at.length} stored snapshots of one target
(30 days as the default retention keeps them: every 15 minutes for 2 days, hourly before), ${STATEMENTS} statements
each, state database on an embedded PostgreSQL 18 on this machine; time and peak RSS growth (sampled every 5 ms,
above the RSS before the read) of one \`readChartData\`, in this order, no cache. CPU time: this process's + the
state server's processes' (from /proc, 10 ms steps), what a calm machine would take at most if nothing overlapped.
${cpus().length} cores; load before: \`${loadBefore}\`, after: \`${load()}\`.

| metric | days | points | time | CPU time | peak RSS growth |
|---|---|---|---|---|---|
${lines.join('\n')}
`;
    writeFileSync(new URL('./HISTORY-CHARTS-RESULTS.md', import.meta.url), report);
    log(report);
  } finally {
    await pool.end();
    await cluster.stop();
  }
}

await main();
