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

/** Rounds are this far apart; a lease lasts two of them. */
const INTERVAL_MS = 1_500;
const NAMES = ['t1', 't2', 't3', 't4', 't5', 't6'];
const SETTINGS = { channel: 'C0ALERTS', cooldownSeconds: 600, resolveAfterSeconds: 0, retryPostSeconds: 60 };

let server: TestServer;
let admin: pg.Client;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, [...NAMES, 'state_spread', 'state_stop', 'state_join']);
  await admin.query('CREATE EXTENSION pg_stat_statements');
}, 60_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

interface Copy {
  id: string;
  watch: AlertWatch;
  state: pg.Pool;
  targets: Targets;
  close(): Promise<void>;
}

/** Real looks at the targets, counted per target: the ground truth for "checked once per interval". */
function countingObserve(checks: Map<string, string[]>, copyId: string): typeof observeTarget {
  return (target, fireAt, now) => {
    checks.set(target.name, [...(checks.get(target.name) ?? []), copyId]);
    return observeTarget(target, fireAt, now);
  };
}

/** One copy of the bot's alert watch with its share of the six targets: own state pool, own target pools. */
async function startCopy(id: string, stateDb: string, checks: Map<string, string[]>): Promise<Copy> {
  const state = createStatePool(server.url(stateDb));
  await migrateStateDatabase(state);
  const targets = targetsOf(NAMES.map((name) => ({ name, url: server.url(name), connectTimeoutMs: 2_000 })));
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
    share: createWorkShare({ db: state, work: 'alerts', copyId: id, intervalMs: INTERVAL_MS }),
    observe: countingObserve(checks, id),
  });
  const close = async () => {
    await watch.stop();
    await targets.closeAll();
    await state.end();
  };
  return { id, watch, state, targets, close };
}

/** One interval: every running copy's round at once, then the checks each target got, then a pause of one interval. */
async function round(copies: Copy[], checks: Map<string, string[]>): Promise<Record<string, string[]>> {
  checks.clear();
  await Promise.all(copies.map((c) => c.watch.checkOnce()));
  const seen = Object.fromEntries(NAMES.map((n) => [n, checks.get(n) ?? []]));
  await new Promise((r) => setTimeout(r, INTERVAL_MS));
  return seen;
}

/** PostgreSQL's own count, per target database, of the health query every look at a target runs once. */
async function healthQueries(): Promise<Record<string, number>> {
  const { rows } = await admin.query<{ datname: string; calls: number }>(
    `SELECT d.datname, sum(s.calls)::int AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE s.query LIKE '%AS uptime_seconds%' AND d.datname = ANY ($1) GROUP BY d.datname`,
    [NAMES],
  );
  return Object.fromEntries(NAMES.map((n) => [n, rows.find((r) => r.datname === n)?.calls ?? 0]));
}

const holders = async (db: pg.Pool) =>
  Object.fromEntries((await listLeases(db, 'alerts')).map((l) => [l.target, l.holder]));
function countBy(values: readonly (string | null)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

describe('alert watches shared across three copies by leases in the state database', () => {
  it("check each of six targets exactly once per interval, two per copy, and a crashed copy's targets are taken over after its lease", async () => {
    const checks = new Map<string, string[]>();
    const copies = [
      await startCopy('copy-a', 'state_spread', checks),
      await startCopy('copy-b', 'state_spread', checks),
      await startCopy('copy-c', 'state_spread', checks),
    ];
    try {
      // Never twice, from the first round on; while the copies first see each other a target may wait a round.
      const warmUp = [await round(copies, checks), await round(copies, checks), await round(copies, checks)];
      for (const seen of warmUp) for (const n of NAMES) expect(seen[n]!.length).toBeLessThanOrEqual(1);

      const before = await healthQueries();
      for (let i = 0; i < 4; i++) {
        const seen = await round(copies, checks);
        expect(Object.values(seen).map((by) => by.length)).toEqual(NAMES.map(() => 1));
        // Fair: ceil(6 targets / 3 live copies) = 2 each, and the copy that checked a target holds its lease.
        expect(countBy(Object.values(seen).flat())).toEqual({ 'copy-a': 2, 'copy-b': 2, 'copy-c': 2 });
        expect(await holders(copies[0]!.state)).toEqual(Object.fromEntries(NAMES.map((n) => [n, seen[n]![0]])));
      }
      // Ground truth from each monitored database: four intervals, four health queries, not twelve.
      const after4 = await healthQueries();
      expect(Object.fromEntries(NAMES.map((n) => [n, after4[n]! - before[n]!]))).toEqual(
        Object.fromEntries(NAMES.map((n) => [n, 4])),
      );

      // copy-c crashes: it stops without handing its leases back.
      const orphaned = Object.entries(await holders(copies[0]!.state))
        .filter(([, h]) => h === 'copy-c')
        .map(([t]) => t);
      expect(orphaned).toHaveLength(2);
      const crashed = copies.pop()!;
      let rounds = 0;
      let seen: Record<string, string[]>;
      do {
        seen = await round(copies, checks);
        rounds++;
        for (const n of NAMES) expect(seen[n]!.length).toBeLessThanOrEqual(1);
      } while (orphaned.some((t) => seen[t]!.length === 0) && rounds < 5);
      // The lease lasts two intervals, so the orphans are checked again within one interval plus the lease.
      expect(rounds).toBeLessThanOrEqual(3);
      const after = await round(copies, checks);
      expect(Object.values(after).map((by) => by.length)).toEqual(NAMES.map(() => 1));
      expect(countBy(Object.values(await holders(copies[0]!.state)))).toEqual({ 'copy-a': 3, 'copy-b': 3 });
      await crashed.targets.closeAll();
      await crashed.state.end();
    } finally {
      await Promise.all(copies.map((c) => c.close()));
    }
  }, 120_000);

  it('a copy that stops hands its leases back, and the others take them over at their next round', async () => {
    const checks = new Map<string, string[]>();
    const copies = [
      await startCopy('copy-a', 'state_stop', checks),
      await startCopy('copy-b', 'state_stop', checks),
      await startCopy('copy-c', 'state_stop', checks),
    ];
    try {
      for (let i = 0; i < 3; i++) await round(copies, checks);
      expect(countBy(Object.values(await holders(copies[0]!.state)))).toEqual({
        'copy-a': 2,
        'copy-b': 2,
        'copy-c': 2,
      });
      const stopping = copies.pop()!;
      await stopping.close();
      expect(Object.values(await holders(copies[0]!.state))).not.toContain('copy-c');
      const seen = await round(copies, checks);
      expect(Object.values(seen).map((by) => by.length)).toEqual(NAMES.map(() => 1));
      expect(countBy(Object.values(seen).flat())).toEqual({ 'copy-a': 3, 'copy-b': 3 });
    } finally {
      await Promise.all(copies.map((c) => c.close()));
    }
  }, 120_000);

  it('a copy that joins late gets its fair share from the copy that held everything, without a target checked twice', async () => {
    const checks = new Map<string, string[]>();
    const copies = [await startCopy('copy-a', 'state_join', checks)];
    try {
      for (let i = 0; i < 2; i++) {
        const seen = await round(copies, checks);
        expect(Object.values(seen).map((by) => by.join())).toEqual(NAMES.map(() => 'copy-a'));
      }
      copies.push(await startCopy('copy-b', 'state_join', checks));
      let rounds = 0;
      let seen: Record<string, string[]>;
      do {
        seen = await round(copies, checks);
        rounds++;
        for (const n of NAMES) expect(seen[n]!.length).toBeLessThanOrEqual(1);
      } while (
        JSON.stringify(countBy(Object.values(seen).flat())) !== JSON.stringify({ 'copy-a': 3, 'copy-b': 3 }) &&
        rounds < 6
      );
      // copy-b counts itself at its first round, copy-a sees it at its next and gives back three.
      expect(rounds).toBeLessThanOrEqual(3);
      expect(Object.values(seen).map((by) => by.length)).toEqual(NAMES.map(() => 1));
    } finally {
      await Promise.all(copies.map((c) => c.close()));
    }
  }, 120_000);
});
