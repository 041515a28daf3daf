import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/db/counters.js';
import type { Targets } from '../../src/db/targets.js';
import { captureSnapshot } from '../../src/schedule/history/capture.js';
import { runSnapshots } from '../../src/schedule/history/job.js';
import { createScheduler } from '../../src/schedule/scheduler.js';
import { writeHistorySnapshot } from '../../src/state/history.js';
import { pruneHistory } from '../../src/state/history-prune.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect, waitFor } from '../support/clients.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { recordingLog, recordingSlack, refusedUrl, targetsOf } from '../support/schedule.js';

let server: TestServer;
let state: pg.Pool;
let targets: Targets;

beforeAll(async () => {
  server = await startTestServer(18);
  const admin = await connect(server.url());
  for (const name of ['one', 'two', 'three', 'state']) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const one = await connect(server.url('one'));
  await one.query('CREATE EXTENSION pg_stat_statements');
  await one.end();
  state = createStatePool(server.url('state'));
  await migrateStateDatabase(state);
  targets = targetsOf([
    { name: 'one', url: server.url('one') },
    { name: 'two', url: server.url('two') },
    { name: 'three', url: server.url('three') },
  ]);
}, 60_000);
afterAll(async () => {
  await targets?.closeAll();
  await state?.end();
  await server?.stop();
});

const all = () => targets.names().map((n) => targets.get(n));
const deps = (instanceId: string, log = recordingLog()) => ({
  statePool: state,
  targets: all(),
  log,
  instanceId,
  retentionDays: 35,
  now: () => new Date(),
});

describe('taking snapshots on a schedule', () => {
  it('takes each target exactly once per time across two copies, and the copies share the targets', async () => {
    const at = new Date('2030-01-01T00:15:00Z');
    const [a, b] = await Promise.all([runSnapshots(deps('copy-a'), at), runSnapshots(deps('copy-b'), at)]);
    const taken = [...a, ...b].filter((o) => o.status === 'taken').map((o) => o.target);
    expect(taken.sort()).toEqual(['one', 'three', 'two']);
    expect([...a, ...b].filter((o) => o.status === 'taken-elsewhere')).toHaveLength(3);
    const { rows } = await state.query<{ job: string; instance_id: string; outcome: string }>(
      "SELECT job, instance_id, outcome FROM pgmedic.schedule_claims WHERE scheduled_at = $1 AND job LIKE 'snapshot:%' ORDER BY job",
      [at],
    );
    expect(rows.map((r) => r.job)).toEqual(['snapshot:*prune', 'snapshot:one', 'snapshot:three', 'snapshot:two']);
    expect(rows.every((r) => r.outcome === 'taken' || r.outcome === 'pruned')).toBe(true);
    // A copy that runs the same time again (a restart) takes nothing.
    expect((await runSnapshots(deps('copy-c'), at)).every((o) => o.status === 'taken-elsewhere')).toBe(true);
  });

  it('records nothing for an unreachable target, logs it, and carries on with the others', async () => {
    const withDown = targetsOf([
      { name: 'down', url: await refusedUrl() },
      { name: 'one', url: server.url('one') },
    ]);
    const log = recordingLog();
    try {
      const outcomes = await runSnapshots(
        { ...deps('copy-d', log), targets: withDown.names().map((n) => withDown.get(n)) },
        new Date('2030-01-01T00:30:00Z'),
      );
      expect(outcomes.find((o) => o.target === 'down')?.status).toBe('failed');
      expect(outcomes.find((o) => o.target === 'one')?.status).toBe('taken');
      expect(log.lines.find((l) => l.fields.target === 'down')?.message).toBe('no snapshot recorded for this target');
      const { rows } = await state.query(
        "SELECT count(*)::int AS n FROM pgmedic.history_snapshots WHERE target = 'down'",
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await withDown.closeAll();
    }
  });

  it('the running bot takes them on its cron, once per time across two copies', async () => {
    await state.query("DELETE FROM pgmedic.history_snapshots WHERE target = 'two'");
    const schedule = {
      digests: [],
      alerts: undefined,
      snapshots: { cron: '*/2 * * * * *', retentionDays: 35 },
    };
    const slack = recordingSlack();
    const copies = ['bot-a', 'bot-b'].map((name) =>
      createScheduler({
        statePool: state,
        targets,
        poster: slack.posterFor(name),
        log: recordingLog(),
        schedule,
        instanceId: name,
      }),
    );
    const started = new Date();
    await Promise.all(copies.map((c) => c.start()));
    try {
      await waitFor(
        async () => {
          const { rows } = await state.query(
            "SELECT count(DISTINCT scheduled_at)::int AS n FROM pgmedic.schedule_claims WHERE job = 'snapshot:two' AND claimed_at >= $1",
            [started],
          );
          return rows[0].n >= 2 || undefined;
        },
        'two snapshot runs of target two',
        15_000,
      );
    } finally {
      await Promise.all(copies.map((c) => c.stop()));
    }
    const { rows } = await state.query<{ claims: number; snapshots: number; copies: number }>(
      `SELECT (SELECT count(*)::int FROM pgmedic.schedule_claims WHERE job = 'snapshot:two' AND claimed_at >= $1 AND outcome = 'taken') AS claims,
              (SELECT count(*)::int FROM pgmedic.history_snapshots WHERE target = 'two') AS snapshots`,
      [started],
    );
    expect(rows[0]!.claims).toBeGreaterThanOrEqual(2);
    expect(rows[0]!.snapshots).toBe(rows[0]!.claims);
    expect(slack.calls).toEqual([]);
  });
});

describe('retention', () => {
  it('drops snapshots past the retention, thins those older than two days to one per hour, keeps the rest', async () => {
    const { snapshot } = await captureSnapshot(targets.get('one'), state);
    const texts = new Map([['4242', 'SELECT 1']]);
    // The next full hour: the four snapshots 10 days before it at :10 to :55 share one clock hour.
    const now = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
    const ago = (hours: number, minutes = 0) => new Date(now.getTime() - (hours * 60 + minutes) * 60_000);
    const times = [
      ago(36 * 24, 0), // past 35 days: dropped
      ago(10 * 24, 50), // 10 days ago, four in one hour: the first stays
      ago(10 * 24, 35),
      ago(10 * 24, 20),
      ago(10 * 24, 5),
      ago(24, 45), // a day ago: every one stays
      ago(24, 30),
      ago(24, 15),
    ];
    const kept: string[] = [];
    for (const [i, takenAt] of times.entries()) {
      const id = await writeHistorySnapshot(
        state,
        { ...snapshot, target: 'aged', takenAt } as Snapshot,
        i ? new Map() : texts,
      );
      if (i === 1 || i >= 5) kept.push(id);
    }
    await state.query("UPDATE pgmedic.history_statement_texts SET last_seen = $1 WHERE target = 'aged'", [times[0]]);
    const result = await pruneHistory(state, now, 35);
    expect(result).toMatchObject({ expired: 1, thinned: 3 });
    expect(result.texts).toBe(1);
    const { rows } = await state.query<{ id: string }>(
      "SELECT id::text AS id FROM pgmedic.history_snapshots WHERE target = 'aged' ORDER BY taken_at",
    );
    expect(rows.map((r) => r.id)).toEqual(kept);
    const { rows: orphans } = await state.query(
      'SELECT count(*)::int AS n FROM pgmedic.history_statements s WHERE NOT EXISTS (SELECT 1 FROM pgmedic.history_snapshots h WHERE h.id = s.snapshot_id)',
    );
    expect(orphans[0].n).toBe(0);
    const { rows: texts2 } = await state.query(
      "SELECT count(*)::int AS n FROM pgmedic.history_statement_texts WHERE target = 'aged'",
    );
    expect(texts2[0].n).toBe(0);
  });
});

describe('snapshot settings', () => {
  it('defaults to every 15 minutes for 35 days, takes off, and refuses anything else with what to type', async () => {
    const { loadSnapshotConfig } = await import('../../src/config/history.js');
    expect(loadSnapshotConfig({})).toEqual({ cron: '*/15 * * * *', retentionDays: 35 });
    expect(loadSnapshotConfig({ PGMEDIC_SNAPSHOT_CRON: 'off', PGMEDIC_SNAPSHOT_RETENTION_DAYS: '7' })).toEqual({
      cron: null,
      retentionDays: 7,
    });
    for (const days of ['0', '2', '401', '1e3', '0x10', '-5', '7.5', '٣٥', '35; DROP TABLE x'])
      expect(() => loadSnapshotConfig({ PGMEDIC_SNAPSHOT_RETENTION_DAYS: days })).toThrow(/from 3 to 400/);
    expect(() => loadSnapshotConfig({ PGMEDIC_SNAPSHOT_CRON: 'every 15 minutes' })).toThrow(/PGMEDIC_SNAPSHOT_CRON/);
  });
});

describe('as the runtime role that owns nothing', () => {
  it('stores, reads and prunes snapshots with only the grants the owner gives it', async () => {
    const admin = await connect(server.url());
    await admin.query("CREATE ROLE history_owner LOGIN PASSWORD 'pw'; CREATE ROLE history_bot LOGIN PASSWORD 'pw'");
    await admin.query('CREATE DATABASE history_state OWNER history_owner');
    await admin.end();
    const as = (role: string) => {
      const u = new URL(server.url('history_state'));
      u.username = role;
      u.password = 'pw';
      return u.toString();
    };
    const owner = createStatePool(as('history_owner'), 1, { timeouts: false });
    const runtime = createStatePool(as('history_bot'));
    try {
      await migrateStateDatabase(owner, undefined, { grantTo: 'history_bot' });
      const at = new Date('2031-01-01T00:00:00Z');
      const outcomes = await runSnapshots({ ...deps('runtime'), statePool: runtime }, at);
      expect(outcomes.map((o) => o.status)).toEqual(['taken', 'taken', 'taken']);
      const reader = (await import('../../src/state/history-reader.js')).stateHistory(runtime)('one');
      const head = await reader.baseline(new Date());
      expect(await reader.snapshot(head!.id)).toMatchObject({ target: 'one' });
      expect(await pruneHistory(runtime, new Date(Date.now() + 40 * 86_400_000), 35)).toMatchObject({ expired: 3 });
    } finally {
      await Promise.all([owner.end(), runtime.end()]);
    }
  });
});
