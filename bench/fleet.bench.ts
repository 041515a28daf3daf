/**
 * A fleet: BENCH_TARGETS databases (default 300) spread over BENCH_SERVERS embedded PostgreSQL 18 servers (default 3,
 * pg_stat_statements on), watched by BENCH_COPIES copies of the bot (default 3) as real processes (`dist/src/main.js`,
 * HTTP mode against the Slack stand-in, one YAML config, one state database) every BENCH_INTERVAL_S seconds (default
 * 5) for BENCH_SECONDS (default 180) after a warm-up. The databases of a server share role and settings, so the watch
 * looks at each server once, through its first database (src/schedule/alerts/server-groups.ts); BENCH_APART=1 gives
 * every target thresholds of its own, so each is a unit of its own (300 looks per interval, the lease mechanics at
 * scale). Measured:
 * - looks per unit per interval (a unit: a target holding an alert lease), from the health query's calls in
 *   pg_stat_statements on each server (goal exactly 1), and health queries in databases that are no unit (goal 0);
 * - all statements per target per interval, and the peak of the bots' connections per server (pg_stat_activity);
 * - state database statements per second (pg_stat_statements on its database);
 * - RSS per copy (sampled from /proc every 2 s) and its peak (VmHWM);
 * - with BENCH_KILL=1 (default): SIGKILL of one copy, then the time until each of its targets has been checked by
 *   another copy (goal at most one interval plus the lease, 3 intervals).
 * The soak: BENCH_TARGETS=50 BENCH_SERVERS=1 BENCH_COPIES=1 BENCH_SECONDS=1800 BENCH_KILL=0 (RSS growth: the mean of
 * the last 5 minutes against the mean of the first 5 measured minutes; goal at most 10 %).
 *
 * BENCH_CONNECTIONS=n sets alerts.connectionsPerServer (default 4).
 * BENCH_CPU_PROF=dir profiles the first copy (node --cpu-prof; it must survive, so it is never the one killed).
 *
 * Run: npm run bench:fleet (BENCH_OUT=file appends the result block to that file; BENCH_MAIN=path/to/main.js runs
 * that build instead of rebuilding dist/)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { freePort } from '../src/embedded/cluster.js';
import { connect } from '../test/support/clients.js';
import { startTestServer, type TestServer } from '../test/support/pg.js';
import { startSlackStandIn } from '../test/support/slack/standin.js';

const TARGETS = Number(process.env.BENCH_TARGETS ?? 300);
const SERVERS = Number(process.env.BENCH_SERVERS ?? 3);
const COPIES = Number(process.env.BENCH_COPIES ?? 3);
const INTERVAL_S = Number(process.env.BENCH_INTERVAL_S ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 180);
const KILL = (process.env.BENCH_KILL ?? '1') === '1';
const APART = process.env.BENCH_APART === '1';
const INTERVAL_MS = INTERVAL_S * 1000;
/** BENCH_CPU_PROF=dir: the first copy writes a V8 CPU profile there when it stops (SIGTERM at the end). */
const PROFILE_DIR = process.env.BENCH_CPU_PROF;
const SECRET = 'fleet-bench-signing-secret-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Halfway through an interval: rounds start on its boundaries, so counts read here hold whole rounds. */
const untilMidInterval = () => sleep(INTERVAL_MS - (Date.now() % INTERVAL_MS) + INTERVAL_MS / 2);
const out: string[] = [];
const say = (line: string) => {
  out.push(line);
  console.log(line);
};

interface Copy {
  child: ChildProcess;
  pid: number;
  rss: number[];
  exited: Promise<unknown>;
}

async function main(): Promise<void> {
  const servers: TestServer[] = [];
  const admins: pg.Client[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pgmedic-fleet-'));
  const standIn = await startSlackStandIn();
  const copies: Copy[] = [];
  const timers: NodeJS.Timeout[] = [];
  let stateClient: pg.Client | undefined;
  try {
    for (let s = 0; s < SERVERS; s++) {
      servers.push(await startTestServer(18, { embedded: true }));
      admins.push(await connect(servers[s]!.url(), 'bench-admin'));
      await admins[s]!.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    }
    const names = Array.from({ length: TARGETS }, (_, i) => `t${String(i + 1).padStart(3, '0')}`);
    const serverOf = (i: number) => i % SERVERS;
    await Promise.all(
      admins.map(async (admin, s) => {
        for (const [i, n] of names.entries()) if (serverOf(i) === s) await admin.query(`CREATE DATABASE ${n}`);
      }),
    );
    await admins[0]!.query('CREATE DATABASE pgmedic_state');
    const config = [
      'targets:',
      ...names.map(
        (n, i) =>
          `  - { name: ${n}, url: "${servers[serverOf(i)]!.url(n)}"${APART ? `, thresholds: { lockWaitSeconds: { warn: ${30 + i}, crit: 3600 } }` : ''} }`,
      ),
      'alerts:',
      '  channel: C0ALERTS',
      `  intervalSeconds: ${INTERVAL_S}`,
      ...(process.env.BENCH_CONNECTIONS ? [`  connectionsPerServer: ${Number(process.env.BENCH_CONNECTIONS)}`] : []),
    ].join('\n');
    writeFileSync(join(dir, 'fleet.yaml'), config);
    // BENCH_MAIN: a copy of dist/ kept aside, so a long soak is not affected by a rebuild while it runs.
    if (!process.env.BENCH_MAIN) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
    admins.push(await connect(servers[0]!.url('pgmedic_state'), 'bench-admin'));
    const stateDb = admins.pop()!;
    stateClient = stateDb;
    for (let c = 0; c < COPIES; c++)
      copies.push(await startCopy(standIn, dir, servers[0]!.url('pgmedic_state'), c === 0 ? PROFILE_DIR : undefined));
    const sampler = setInterval(() => {
      for (const c of copies) if (c.child.exitCode === null) c.rss.push(statusKb(c.pid, 'VmRSS'));
    }, 2_000);
    const peakConnections = servers.map(() => 0);
    const connSampler = setInterval(() => {
      admins.forEach((a, s) => {
        void watchConnections(a).then(
          (n) => {
            peakConnections[s] = Math.max(peakConnections[s]!, n);
          },
          () => undefined,
        );
      });
    }, 1_000);
    timers.push(sampler, connSampler);
    for (let i = 0; i < 4; i++) await untilMidInterval();
    const loads: number[] = [];
    const before = await counts(admins, names, serverOf);
    const startedAt = Date.now();
    const intervals = Math.max(1, Math.floor(SECONDS / INTERVAL_S));
    const rssAtStart = copies.map((c) => c.rss.length);
    for (let i = 0; i < intervals; i++) {
      await untilMidInterval();
      loads.push(loadavg()[0]!);
    }
    const after = await counts(admins, names, serverOf);
    const seconds = (Date.now() - startedAt) / 1000;
    const leases = await stateDb.query<{ holder: string; n: number }>(
      "SELECT holder, count(*)::int AS n FROM pgmedic.watch_leases WHERE work = 'alerts' GROUP BY holder",
      [],
    );
    const units = new Set(
      (
        await stateDb.query<{ target: string }>("SELECT target FROM pgmedic.watch_leases WHERE work = 'alerts'", [])
      ).rows.map((r) => r.target),
    );
    const looks = (n: string) => after.health.get(n)! - before.health.get(n)!;
    const unitNames = names.filter((n) => units.has(n));
    const perUnit = unitNames.map((n) => looks(n) / intervals).sort((a, b) => a - b);
    const exactlyOne = unitNames.filter((n) => looks(n) === intervals).length;
    const outsideUnits = names.filter((n) => !units.has(n)).reduce((sum, n) => sum + looks(n), 0);
    const perServer = servers.map(
      (_, s) => names.filter((_n, i) => serverOf(i) === s).reduce((sum, n) => sum + looks(n), 0) / intervals,
    );
    const allPerTarget = names.map((n) => (after.all.get(n)! - before.all.get(n)!) / intervals).sort((a, b) => a - b);
    say(`\n### ${new Date().toISOString()}`);
    say(
      `${TARGETS} targets on ${SERVERS} servers (${APART ? 'each with thresholds of its own: one unit per target' : 'same role and settings: one unit per server'}), ${COPIES} copies (processes), interval ${INTERVAL_S} s, ${intervals} intervals (${seconds.toFixed(0)} s) measured; load average (1 min) during: min ${Math.min(...loads).toFixed(1)}, max ${Math.max(...loads).toFixed(1)}; \`uptime\`: ${uptime()}`,
    );
    say(
      `- looks per unit per interval (${unitNames.length} units): min ${perUnit[0]}, median ${median(perUnit)}, max ${perUnit.at(-1)}; units with exactly one per interval: ${exactlyOne} / ${unitNames.length}`,
    );
    say(
      `- looks per server per interval: ${perServer.map((x) => x.toFixed(2)).join(' / ')}; health queries in databases that are no unit: ${outsideUnits}`,
    );
    say(`- all statements per target per interval: median ${median(allPerTarget)}, max ${allPerTarget.at(-1)}`);
    say(`- leases per copy: ${leases.rows.map((r) => `${r.n}`).join(' / ')}`);
    say(`- peak bot connections per server: ${peakConnections.join(' / ')}`);
    say(`- state database: ${((after.state - before.state) / seconds).toFixed(1)} statements/s`);
    for (const [i, c] of copies.entries()) {
      const measured = c.rss.slice(rssAtStart[i]);
      const window = Math.max(1, Math.floor(150 / 2)); // 5 minutes of 2-s samples, or what there is
      const first = mean(measured.slice(0, Math.min(window, Math.floor(measured.length / 2))));
      const last = mean(measured.slice(-Math.min(window, Math.floor(measured.length / 2))));
      say(
        `- copy ${i + 1} (pid ${c.pid}): RSS ${mb(measured[0]!)} at start of measurement, ${mb(measured.at(-1)!)} at end, peak (VmHWM) ${mb(statusKb(c.pid, 'VmHWM'))}; mean of first vs last ${measured.length > 300 ? '5 minutes' : 'half'}: ${mb(first)} → ${mb(last)} (${(((last - first) / first) * 100).toFixed(1)} %)`,
      );
    }
    clearInterval(sampler);
    if (KILL && copies.length > 1) await killOne(stateDb, copies.at(-1)!);
    clearInterval(connSampler);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const c of copies) if (c.child.exitCode === null) c.child.kill('SIGTERM');
    await Promise.all(copies.map((c) => Promise.race([c.exited, sleep(15_000)])));
    for (const c of copies) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await Promise.all([...admins, ...(stateClient ? [stateClient] : [])].map((a) => a.end()));
    for (const s of servers) await s.stop();
    await standIn.stop();
    rmSync(dir, { recursive: true, force: true });
    if (process.env.BENCH_OUT) appendFileSync(process.env.BENCH_OUT, `${out.join('\n')}\n`);
  }
}

async function killOne(state: pg.Client, victim: Copy): Promise<void> {
  const { rows } = await state.query<{ target: string }>(
    "SELECT target FROM pgmedic.watch_leases WHERE work = 'alerts' AND split_part(holder, ':', 2) = $1",
    [String(victim.pid)],
  );
  const orphans = rows.map((r) => r.target);
  victim.child.kill('SIGKILL');
  const killedAt = Date.now();
  const since = new Date(killedAt);
  for (;;) {
    const done = await state.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgmedic.watch_leases WHERE work = 'alerts' AND target = ANY ($1)
         AND split_part(holder, ':', 2) <> $2 AND last_checked_at > $3`,
      [orphans, String(victim.pid), since],
    );
    if (done.rows[0]!.n === orphans.length) break;
    if (Date.now() - killedAt > 12 * INTERVAL_MS) {
      say(`- takeover after SIGKILL: ${done.rows[0]!.n} of ${orphans.length} targets taken over within 12 intervals`);
      return;
    }
    await sleep(100);
  }
  say(
    `- takeover of ${orphans.length} targets after SIGKILL of one copy: ${Date.now() - killedAt} ms (goal <= interval + lease = ${3 * INTERVAL_MS} ms); load ${loadavg()[0]!.toFixed(1)}`,
  );
}

async function startCopy(
  standIn: Awaited<ReturnType<typeof startSlackStandIn>>,
  dir: string,
  stateUrl: string,
  profileDir?: string,
): Promise<Copy> {
  const port = await freePort();
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, process.env.BENCH_MAIN ?? 'dist/src/main.js'], {
    env: {
      PATH: process.env.PATH,
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: standIn.botToken,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: standIn.apiUrl,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      PGMEDIC_CONFIG: join(dir, 'fleet.yaml'),
      PGMEDIC_STATE_DATABASE_URL: stateUrl,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let attempt = 0; ; attempt++) {
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (attempt > 600 || child.exitCode !== null) throw new Error('a copy did not start');
    await sleep(100);
  }
  return { child, pid: child.pid!, rss: [], exited };
}

/** Per target database: calls of the health query (one per look) and of every statement; the state database's. */
async function counts(admins: pg.Client[], names: string[], serverOf: (i: number) => number) {
  const health = new Map<string, number>();
  const all = new Map<string, number>();
  let state = 0;
  for (const [s, admin] of admins.entries()) {
    const { rows } = await admin.query<{ datname: string; health: number; all: number }>(
      `SELECT d.datname, coalesce(sum(s.calls) FILTER (WHERE s.query LIKE '%AS uptime_seconds%'), 0)::int AS health,
              sum(s.calls)::int AS all
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid GROUP BY d.datname`,
    );
    for (const [i, n] of names.entries()) {
      if (serverOf(i) !== s) continue;
      const row = rows.find((r) => r.datname === n);
      health.set(n, row?.health ?? 0);
      all.set(n, row?.all ?? 0);
    }
    state += rows.find((r) => r.datname === 'pgmedic_state')?.all ?? 0;
  }
  return { health, all, state };
}

async function watchConnections(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname ~ '^t[0-9]{3}$'",
  );
  return rows[0]!.n;
}

function statusKb(pid: number, field: string): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return Number(line?.split(/\s+/)[1] ?? 0);
  } catch {
    return 0;
  }
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const median = (xs: number[]) => xs[Math.floor(xs.length / 2)];
const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
