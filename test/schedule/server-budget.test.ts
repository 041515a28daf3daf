import { createServer, type Socket } from 'node:net';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeDigest } from '../../src/schedule/digest.js';
import { parseSectionSpec, resolveSections } from '../../src/schedule/digest-sections.js';
import { runSnapshots } from '../../src/schedule/history/job.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { createDatabases, recordingLog, targetsOf } from '../support/schedule.js';

/**
 * Eight databases of one server, a budget of two: the digest and the snapshots go through them two at a time and
 * leave no connection behind (each target's pool would otherwise keep one idle for 30 s: a job over hundreds of
 * databases of one server would hold hundreds). Connections counted by the server itself (pg_stat_activity).
 */
const NAMES = Array.from({ length: 8 }, (_, i) => `budget_${i + 1}`);
const BUDGET = 2;
const SECTIONS = resolveSections(['bloat --limit 3', 'vacuum --limit 3'].map(parseSectionSpec));

let server: TestServer;
let admin: pg.Client;
let state: pg.Pool;

beforeAll(async () => {
  server = await startTestServer(18);
  admin = await connect(server.url());
  await createDatabases(admin, [...NAMES, 'budget_state']);
  state = createStatePool(server.url('budget_state'));
  await migrateStateDatabase(state);
}, 60_000);

afterAll(async () => {
  await state?.end();
  await admin?.end();
  await server?.stop();
});

const connectionsToTargets = async () =>
  (
    await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname LIKE 'budget\\_%' AND datname <> 'budget_state'",
    )
  ).rows[0]!.n;

/** The most connections to the eight databases seen while `work` runs, sampled every 5 ms. */
async function peakDuring<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await connectionsToTargets());
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try {
    return { result: await work(), peak };
  } finally {
    running = false;
    await sampler;
  }
}

describe('the per-server budget of scheduled jobs', () => {
  it('the digest works on at most two databases of the server at once and closes their connections after', async () => {
    const targets = targetsOf(NAMES.map((name) => ({ name, url: server.url(name) })));
    try {
      const { result: digest, peak } = await peakDuring(() =>
        composeDigest({
          name: 'daily',
          targets: NAMES.map((n) => targets.get(n)),
          sections: SECTIONS,
          timezone: 'UTC',
          connectionsPerServer: BUDGET,
        }),
      );
      expect(digest.targets.map((t) => [t.target, t.reachable, t.pieces.length])).toEqual(
        NAMES.map((n) => [n, true, 2]),
      );
      // A diagnostic may open a second session beside its first: two per target at most.
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(2 * BUDGET);
      expect(await connectionsToTargets()).toBe(0);
    } finally {
      await targets.closeAll();
    }
  }, 60_000);

  it('the snapshots go one database at a time and leave no connection open', async () => {
    const targets = targetsOf(NAMES.map((name) => ({ name, url: server.url(name) })));
    try {
      const { result: outcomes, peak } = await peakDuring(() =>
        runSnapshots({
          statePool: state,
          targets: NAMES.map((n) => targets.get(n)),
          log: recordingLog(),
          instanceId: 'copy-a',
          retentionDays: 35,
          now: () => new Date(),
          connectionsPerServer: BUDGET,
        }),
      );
      expect(outcomes.map((o) => o.status)).toEqual(NAMES.map(() => 'taken'));
      expect(peak).toBeLessThanOrEqual(2);
      expect(await connectionsToTargets()).toBe(0);
    } finally {
      await targets.closeAll();
    }
  }, 60_000);

  it('a server found down is not tried again for each of its databases', async () => {
    // A port that accepts TCP and never answers (a hung host): every attempt would wait out its connect timeout.
    const accepted: Socket[] = [];
    const silent = createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const targets = targetsOf(
      NAMES.map((name) => ({ name, url: `postgres://postgres@127.0.0.1:${port}/${name}`, connectTimeoutMs: 1_000 })),
    );
    try {
      const digest = await composeDigest({
        name: 'daily',
        targets: NAMES.map((n) => targets.get(n)),
        sections: SECTIONS,
        timezone: 'UTC',
        connectionsPerServer: BUDGET,
      });
      expect(digest.targets.every((t) => !t.reachable && /timed out/.test(t.statusLine))).toBe(true);
      // The first two attempts (the budget) found it down; the six others were not made.
      expect(accepted.length).toBe(BUDGET);
    } finally {
      await targets.closeAll();
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 60_000);
});
