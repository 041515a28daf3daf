import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Targets } from '../../src/db/targets.js';
import { observeTarget } from '../../src/schedule/alerts/observe.js';
import { createAlertWatch, type AlertWatch } from '../../src/schedule/alerts/watch.js';
import { oneGroupPerTarget } from '../../src/schedule/alerts/server-groups.js';
import { createWorkShare } from '../../src/schedule/share.js';
import { listLeases } from '../../src/state/leases.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createDatabases, recordingLog, recordingSlack, targetsOf } from '../support/schedule.js';

/**
 * Sixty databases of one server (max_connections 100) watched by three copies: the case that ran the server out of
 * connections when the first copy claimed every target and each target kept its idle connection.
 */
const INTERVAL_MS = 3_000;
const PER_SERVER = 3;
const NAMES = Array.from({ length: 60 }, (_, i) => `f${String(i + 1).padStart(2, '0')}`);
const SETTINGS = { channel: 'C0ALERTS', cooldownSeconds: 600, resolveAfterSeconds: 0, retryPostSeconds: 60 };

let server: TestServer;
let admin: pg.Client;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, [...NAMES, 'fleet_state']);
}, 180_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

interface Copy {
  id: string;
  watch: AlertWatch;
  state: pg.Pool;
  targets: Targets;
}

async function startCopy(id: string, checks: Map<string, string[]>): Promise<Copy> {
  const state = createStatePool(server.url('fleet_state'));
  await migrateStateDatabase(state);
  const targets = targetsOf(NAMES.map((name) => ({ name, url: server.url(name), connectTimeoutMs: 5_000 })));
  const watch = createAlertWatch({
    db: state,
    poster: recordingSlack().posterFor(id),
    log: recordingLog(),
    settings: SETTINGS,
    targets: NAMES.map((n) => targets.get(n)),
    intervalMs: INTERVAL_MS,
    fireAt: 'warn',
    // Many databases of one test server stand for many servers here: each is its own unit of the lease mechanics.
    groups: oneGroupPerTarget,
    connectionsPerServer: PER_SERVER,
    share: createWorkShare({ db: state, work: 'alerts', copyId: id, intervalMs: INTERVAL_MS }),
    observe: (target, fireAt, now) => {
      checks.set(target.name, [...(checks.get(target.name) ?? []), id]);
      return observeTarget(target, fireAt, now);
    },
  });
  return { id, watch, state, targets };
}

/** The watch's connections to the sixty databases, from pg_stat_activity (the server's own count). */
async function watchConnections(): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname LIKE 'f__'",
  );
  return rows[0]!.n;
}

/** One interval: every copy's round at once while the connections are sampled, then the rest of the interval. */
async function round(copies: Copy[], checks: Map<string, string[]>) {
  checks.clear();
  const started = Date.now();
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await watchConnections());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const errors = await Promise.all(copies.map((c) => c.watch.checkOnce()));
  sampling = false;
  await sampler;
  const seen = Object.fromEntries(NAMES.map((n) => [n, checks.get(n) ?? []]));
  await new Promise((r) => setTimeout(r, Math.max(INTERVAL_MS / 2, started + INTERVAL_MS - Date.now())));
  return { seen, peak, errors };
}

const held = async (db: pg.Pool) => {
  const counts: Record<string, number> = {};
  for (const l of await listLeases(db, 'alerts')) counts[String(l.holder)] = (counts[String(l.holder)] ?? 0) + 1;
  return counts;
};

describe('sixty databases of one server, three copies', () => {
  it('copies started together claim a fair share each from the first round, check every target once per interval, and hold at most their budget of connections to the server', async () => {
    const checks = new Map<string, string[]>();
    const copies = await Promise.all(['copy-a', 'copy-b', 'copy-c'].map((id) => startCopy(id, checks)));
    try {
      const first = await round(copies, checks);
      for (const n of NAMES) expect(first.seen[n]!.length).toBeLessThanOrEqual(1);
      // ceil(60 / 3): nobody took everything because it looked before the others had beaten.
      for (const count of Object.values(await held(copies[0]!.state))) expect(count).toBeLessThanOrEqual(20);

      for (let i = 0; i < 3; i++) {
        const { seen, peak } = await round(copies, checks);
        expect(Object.values(seen).map((by) => by.length)).toEqual(NAMES.map(() => 1));
        expect(await held(copies[0]!.state)).toEqual({ 'copy-a': 20, 'copy-b': 20, 'copy-c': 20 });
        // Each copy holds twenty databases of this server, above its budget: at most three connections each.
        expect(peak).toBeLessThanOrEqual(3 * PER_SERVER);
      }
      // Nothing reported the server unreachable (it had connections to spare all along).
      const alerts = await copies[0]!.state.query(
        "SELECT alert_key FROM pgmedic.alerts WHERE alert_key = 'target:unreachable'",
      );
      expect(alerts.rows).toEqual([]);
      expect(await watchConnections()).toBe(0); // none left idle between rounds
      expect(first.errors.flat().flatMap((t) => t.posted)).toEqual([]);

      // copy-c crashes (no hand-back): its twenty targets are checked again within one interval plus the lease.
      const crashed = copies.pop()!;
      let rounds = 0;
      let after: Awaited<ReturnType<typeof round>>;
      do {
        after = await round(copies, checks);
        rounds++;
        for (const n of NAMES) expect(after.seen[n]!.length).toBeLessThanOrEqual(1);
        expect(after.peak).toBeLessThanOrEqual(2 * PER_SERVER);
      } while (Object.values(after.seen).some((by) => by.length === 0) && rounds < 5);
      expect(rounds).toBeLessThanOrEqual(3);
      expect(await held(copies[0]!.state)).toEqual({ 'copy-a': 30, 'copy-b': 30 });
      await crashed.targets.closeAll();
      await crashed.state.end();
    } finally {
      for (const c of copies) {
        await c.watch.stop();
        await c.targets.closeAll();
        await c.state.end();
      }
    }
  }, 240_000);
});
