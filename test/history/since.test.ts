import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowFindings } from '../../commands/slow-queries/since.js';
import type { Target } from '../../src/db/targets.js';
import type { HistoryReader } from '../../src/engine/history.js';
import { parseOptions } from '../../src/engine/options.js';
import { findCommand } from '../../src/engine/registry.js';
import { toJson } from '../../src/report/json.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { stateHistory } from '../../src/state/history-reader.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from '../support/clients.js';
import { testTarget } from '../support/engine.js';
import { slowQueries } from '../support/history.js';
import { startTestServer, type TestServer } from '../support/pg.js';

type Ready = Extract<WindowFindings, { state: 'ready' }>;
const SCAN = 'SELECT count(*) FROM items WHERE id > $1';
const TOUCH = 'UPDATE items SET note = note WHERE id = $1';

interface Truth {
  id: string;
  calls: number;
  total: number;
  rows: number;
  hit: number;
  dirtied: number;
}

describe.each([14, 16, 17, 18] as const)('slow-queries --since on PostgreSQL %i', (major) => {
  let server: TestServer;
  let state: pg.Pool;
  let target: Target;
  let app: pg.Client;
  let history: HistoryReader;

  const truth = async (text: string): Promise<Truth> => {
    const { rows } = await app.query<Truth>(
      `SELECT queryid::text AS id, calls::float8 AS calls, total_exec_time AS total, rows::float8 AS rows,
              shared_blks_hit::float8 AS hit, shared_blks_dirtied::float8 AS dirtied
       FROM pg_stat_statements WHERE query = $1 AND toplevel`,
      [text],
    );
    return rows[0]!;
  };
  const runTimes = async (text: string, times: number) => {
    for (let i = 0; i < times; i++) await app.query(text, [i]);
  };

  beforeAll(async () => {
    server = await startTestServer(major);
    const admin = await connect(server.url());
    for (const name of ['app', 'state']) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    app = await connect(server.url('app'));
    await app.query('CREATE EXTENSION pg_stat_statements');
    await app.query('CREATE TABLE items AS SELECT g AS id, g::text AS note FROM generate_series(1, 2000) g');
    state = createStatePool(server.url('state'));
    await migrateStateDatabase(state);
    history = stateHistory(state);
    target = testTarget(server.url('app'));
  }, 60_000);
  afterAll(async () => {
    await app?.end();
    await Promise.all([target?.close(), state?.end()]);
    await server?.stop();
  });

  it('gives each statement’s real difference between the snapshot and now, and meta.window', async () => {
    await runTimes(SCAN, 5);
    await runTimes(TOUCH, 3);
    const { snapshot } = await takeSnapshot(target, state);
    const [scan0, touch0] = [await truth(SCAN), await truth(TOUCH)];
    await runTimes(SCAN, 4);
    await runTimes(TOUCH, 6);
    const [scan1, touch1] = [await truth(SCAN), await truth(TOUCH)];
    const result = await slowQueries(target, ['--since', '1h', '--limit', '100'], history);
    const findings = result.findings as Ready;
    expect(findings.state).toBe('ready');
    for (const [before, after] of [
      [scan0, scan1],
      [touch0, touch1],
    ] as const) {
      const found = findings.statements.find((s) => s.queryId === after.id);
      expect(found).toMatchObject({
        calls: after.calls - before.calls,
        rows: after.rows - before.rows,
        sharedHit: after.hit - before.hit,
        sharedDirtied: after.dirtied - before.dirtied,
        baseline: 'counted',
      });
      expect(found!.totalMs).toBeCloseTo(after.total - before.total, 9);
      expect(found!.meanMs).toBeCloseTo((after.total - before.total) / (after.calls - before.calls), 9);
    }
    expect(findings.statements.find((s) => s.queryId === scan1.id)!.calls).toBe(4);
    expect(findings.statements.find((s) => s.queryId === touch1.id)!.query).toBe(TOUCH);
    // The snapshot is seconds old: no snapshot is an hour old, so the oldest is used and the report says so.
    const meta = toJson(result).meta as { window?: Record<string, unknown> };
    expect(meta.window).toMatchObject({
      from: snapshot.takenAt.toISOString(),
      requestedSeconds: 3600,
      coversRequest: false,
    });
    expect(result.report.footnotes.join(' ')).toContain('No snapshot is 1h old');
  });

  it('never gives a negative figure across pg_stat_statements_reset(), and says the window holds a reset', async () => {
    await runTimes(SCAN, 6);
    await takeSnapshot(target, state);
    await app.query('SELECT pg_stat_statements_reset()');
    await runTimes(SCAN, 2);
    const result = await slowQueries(target, ['--since', '1h', '--limit', '100'], history);
    const findings = result.findings as Ready;
    const scan = findings.statements.find((s) => s.query === SCAN);
    expect(scan).toMatchObject({ calls: 2, baseline: 'reset' });
    expect(findings.reset).toBe(true);
    for (const s of findings.statements)
      for (const value of [s.calls, s.totalMs, s.rows, s.sharedHit, s.sharedRead, s.tempRead, s.tempWritten])
        expect(value).toBeGreaterThanOrEqual(0);
    expect(result.report.footnotes.join(' ')).toContain('pg_stat_statements was reset within the window');
  });

  it('counts an entry evicted and re-added within the window from zero', async () => {
    // Only this test's snapshot: with none an hour old the window starts at the oldest.
    await state.query('DELETE FROM pgmedic.history_snapshots');
    await runTimes(SCAN, 9);
    await takeSnapshot(target, state);
    const { id } = await truth(SCAN);
    await app.query('SELECT pg_stat_statements_reset(0, 0, $1::bigint)', [id]);
    await runTimes(SCAN, 1);
    const findings = (await slowQueries(target, ['--since', '1h', '--limit', '100'], history)).findings as Ready;
    expect(findings.reset).toBe(false);
    // 17+ says when the entry began (stats_since); before, its counters went down.
    expect(findings.statements.find((s) => s.queryId === id)).toMatchObject({ calls: 1, baseline: 'reset' });
  });

  it('starts the window at the newest snapshot at or before now − duration, else the oldest', async () => {
    await state.query('DELETE FROM pgmedic.history_snapshots');
    const taken: Date[] = [];
    for (const hoursAgo of [3, 2, 0.5]) {
      const { id } = await takeSnapshot(target, state);
      const { rows } = await state.query<{ taken_at: Date }>(
        'UPDATE pgmedic.history_snapshots SET taken_at = taken_at - make_interval(secs => $2) WHERE id = $1 RETURNING taken_at',
        [id, hoursAgo * 3600],
      );
      taken.push(rows[0]!.taken_at);
    }
    const windowOf = async (since: string) =>
      (
        toJson(await slowQueries(target, ['--since', since], history)).meta as {
          window: { from: string; coversRequest: boolean };
        }
      ).window;
    expect(await windowOf('1h')).toMatchObject({ from: taken[1]!.toISOString(), coversRequest: true });
    expect(await windowOf('150min')).toMatchObject({ from: taken[0]!.toISOString(), coversRequest: true });
    expect(await windowOf('15min')).toMatchObject({ from: taken[2]!.toISOString(), coversRequest: true });
    expect(await windowOf('4h')).toMatchObject({ from: taken[0]!.toISOString(), coversRequest: false });
  });
});

describe('slow-queries --since without history', () => {
  let server: TestServer;
  let target: Target;
  let state: pg.Pool;

  beforeAll(async () => {
    server = await startTestServer(18);
    const admin = await connect(server.url());
    await admin.query('CREATE DATABASE state');
    await admin.query('CREATE EXTENSION pg_stat_statements');
    await admin.end();
    state = createStatePool(server.url('state'));
    target = testTarget(server.url());
  }, 60_000);
  afterAll(async () => {
    await Promise.all([target?.close(), state?.end()]);
    await server?.stop();
  });

  it('says how to start taking snapshots: no state database, no schema yet, no snapshot of this target', async () => {
    const none = await slowQueries(target, ['--since', '24h']);
    expect(none.status).toBe('warn');
    expect(none.summary).toContain('set PGMEDIC_STATE_DATABASE_URL');
    const unmigrated = await slowQueries(target, ['--since', '24h'], stateHistory(state));
    expect(unmigrated.summary).toContain('There are no snapshots of test yet');
    await migrateStateDatabase(state);
    const empty = await slowQueries(target, ['--since', '7d'], stateHistory(state));
    expect(empty.summary).toContain('`pgmedic snapshot --target test` takes one now');
    // Without --since the report is the usual one.
    expect((await slowQueries(target, [], stateHistory(state))).report.window).toBeUndefined();
  });
});

describe('--since refuses anything but a plain window', () => {
  it.each([
    '24',
    '1e3h',
    '-1h',
    '+1h',
    '1.5h',
    '0h',
    '10min',
    '14min',
    '366d',
    '0x10h',
    '１h',
    '٣h',
    '24 h',
    '1h; DROP TABLE x',
    "1h' OR '1'='1",
    '1w',
    'Infinityh',
    '99999d',
    '',
  ])('refuses %j with what to type', (value) => {
    const command = findCommand('slow-queries');
    expect(() => parseOptions(command, ['--since', value])).toThrow(/1h, 24h or 7d/);
  });

  it('accepts minutes, hours and days', () => {
    const command = findCommand('slow-queries');
    expect(parseOptions(command, ['--since', '15min']).since).toBe(900);
    expect(parseOptions(command, ['--since', '24h']).since).toBe(86_400);
    expect(parseOptions(command, ['--since=7d']).since).toBe(604_800);
  });
});
