/**
 * Alert watches shared across copies by leases. BENCH_TARGETS databases (default 30) on one PostgreSQL 18, three
 * copies of the alert watch (one process, each with its own state and target pools) on their real timers every
 * BENCH_INTERVAL_MS (default 2000). After 3 warm-up intervals, BENCH_INTERVALS (default 10) intervals are measured:
 * health queries per target per interval from pg_stat_statements on each target database (goal exactly 1), state
 * database statements per second. Then one copy "crashes" (its timer stops, its leases are not handed back) and the
 * takeover time is how long until each of its targets has been checked again by another copy (goal at most one
 * interval plus the lease, i.e. three intervals).
 *
 * Run: npm run bench:leases
 */
import { loadavg } from 'node:os';
import { observeTarget } from '../src/schedule/alerts/observe.js';
import { createAlertWatch } from '../src/schedule/alerts/watch.js';
import { oneGroupPerTarget } from '../src/schedule/alerts/server-groups.js';
import { createWorkShare, leaseMsFor } from '../src/schedule/share.js';
import { listLeases } from '../src/state/leases.js';
import { migrateStateDatabase } from '../src/state/migrations.js';
import { createStatePool } from '../src/state/pool.js';
import { connect } from '../test/support/clients.js';
import { startTestServer } from '../test/support/pg.js';
import { createDatabases, recordingLog, recordingSlack, targetsOf } from '../test/support/schedule.js';

const TARGETS = Number(process.env.BENCH_TARGETS ?? 30);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 2_000);
const INTERVALS = Number(process.env.BENCH_INTERVALS ?? 10);
const SETTINGS = { channel: 'C0ALERTS', cooldownSeconds: 600, resolveAfterSeconds: 0, retryPostSeconds: 60 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Halfway through an interval: rounds start on its boundaries, so counts read here hold whole rounds. */
const untilMidInterval = () => sleep(INTERVAL_MS - (Date.now() % INTERVAL_MS) + INTERVAL_MS / 2);

async function main(): Promise<void> {
  const server = await startTestServer(18);
  const admin = await connect(server.url(), 'bench-admin');
  const names = Array.from({ length: TARGETS }, (_, i) => `t${i + 1}`);
  await createDatabases(admin, [...names, 'bench_state']);
  await admin.query('CREATE EXTENSION pg_stat_statements');
  const copies = await Promise.all(
    ['copy-a', 'copy-b', 'copy-c'].map((id) =>
      startCopy(id, server.url('bench_state'), names, server.url.bind(server)),
    ),
  );
  try {
    for (const c of copies) c.watch.start();
    for (let i = 0; i < 3; i++) await untilMidInterval();
    const before = await counts(admin, names);
    const startedAt = Date.now();
    for (let i = 0; i < INTERVALS; i++) await untilMidInterval();
    const after = await counts(admin, names);
    const seconds = (Date.now() - startedAt) / 1000;
    const perTarget = names
      .map((n) => (after.health.get(n)! - before.health.get(n)!) / INTERVALS)
      .sort((a, b) => a - b);
    const held = await listLeases(copies[0]!.state, 'alerts');
    const share = Object.entries(countBy(held.map((l) => l.holder)));
    console.log(
      `${TARGETS} targets, 3 copies, interval ${INTERVAL_MS} ms, ${INTERVALS} intervals measured, load average ${loadavg()[0]!.toFixed(1)}`,
    );
    console.log(
      `health queries per target per interval: min ${perTarget[0]}, median ${perTarget[Math.floor(perTarget.length / 2)]}, max ${perTarget.at(-1)}`,
    );
    console.log(`leases: ${share.map(([h, n]) => `${h} ${n}`).join(', ')}`);
    console.log(`state database: ${((after.state - before.state) / seconds).toFixed(1)} statements/s`);

    const crashed = copies[2]!;
    const orphans = held.filter((l) => l.holder === crashed.id).map((l) => l.target);
    await crashed.crash();
    const crashedAt = Date.now();
    const since = new Date(crashedAt);
    for (;;) {
      const now = await listLeases(copies[0]!.state, 'alerts');
      const done = orphans.every((t) =>
        now.some(
          (l) => l.target === t && l.holder !== crashed.id && l.lastCheckedAt && new Date(l.lastCheckedAt) > since,
        ),
      );
      if (done) break;
      if (Date.now() - crashedAt > 10 * INTERVAL_MS) throw new Error('no takeover within 10 intervals');
      await sleep(20);
    }
    const takeover = Date.now() - crashedAt;
    console.log(
      `takeover of ${orphans.length} targets after a crash: ${takeover} ms (goal <= interval + lease = ${INTERVAL_MS + leaseMsFor(INTERVAL_MS)} ms)`,
    );
  } finally {
    await Promise.all(copies.map((c) => c.close()));
    await admin.end();
    await server.stop();
  }
}

async function startCopy(id: string, stateUrl: string, names: string[], urlOf: (db: string) => string) {
  const state = createStatePool(stateUrl);
  await migrateStateDatabase(state);
  const targets = targetsOf(names.map((name) => ({ name, url: urlOf(name), connectTimeoutMs: 2_000 })));
  const share = createWorkShare({ db: state, work: 'alerts', copyId: id, intervalMs: INTERVAL_MS });
  let crashed = false;
  const watch = createAlertWatch({
    db: state,
    poster: recordingSlack().posterFor(id),
    log: recordingLog(),
    settings: SETTINGS,
    targets: names.map((n) => targets.get(n)),
    intervalMs: INTERVAL_MS,
    fireAt: 'warn',
    // Many databases of one test server stand for many servers here: each is its own unit of the lease mechanics.
    groups: oneGroupPerTarget,
    // A crash hands nothing back: the leases must expire.
    share: { pick: share.pick, renew: share.renew, release: async () => void (crashed || (await share.release())) },
    observe: observeTarget,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await watch.stop();
    await targets.closeAll();
    await state.end();
  };
  const crash = async () => {
    crashed = true;
    await watch.stop();
  };
  return { id, watch, state, crash, close };
}

async function counts(admin: Awaited<ReturnType<typeof connect>>, names: string[]) {
  const { rows } = await admin.query<{ datname: string; health: number; total: number }>(
    `SELECT d.datname, coalesce(sum(s.calls) FILTER (WHERE s.query LIKE '%AS uptime_seconds%'), 0)::int AS health, coalesce(sum(s.calls), 0)::int AS total
     FROM pg_database d LEFT JOIN pg_stat_statements s ON s.dbid = d.oid WHERE d.datname = ANY ($1) GROUP BY d.datname`,
    [[...names, 'bench_state']],
  );
  return {
    health: new Map(rows.map((r) => [r.datname, r.health])),
    state: rows.find((r) => r.datname === 'bench_state')?.total ?? 0,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

function countBy(values: readonly (string | null)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}
