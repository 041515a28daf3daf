import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowFindings } from '../../commands/slow-queries/since.js';
import type { StatementReading } from '../../src/db/counters.js';
import type { Target } from '../../src/db/targets.js';
import { statementDeltas } from '../../src/engine/history-delta.js';
import { windowWhole } from '../../src/engine/history-totals.js';
import { formatCount, formatMs } from '../../src/report/format.js';
import { renderText } from '../../src/report/text.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { readHistorySnapshot } from '../../src/state/history.js';
import { stateHistory } from '../../src/state/history-reader.js';
import { slowQueries, statementsWorld } from '../support/history.js';
import { startTestServer, type TestServer } from '../support/pg.js';

type Ready = Extract<WindowFindings, { state: 'ready' }>;
/** Kept per snapshot here, so that a small workload spills into the "all others" bucket. */
const KEEP = { statements: 5 };
const TABLES = 12;
const SLOW = 3;

interface Row {
  key: string;
  toplevel: boolean;
  calls: number;
  total: number;
}

/**
 * Statements as PostgreSQL counts them, keyed as pgmedic keys them, its own left out as it leaves them out. The
 * query is tagged like pgmedic's, so it is not counted either; the state database is not tracked (see beforeAll).
 */
const TRUTH = `SELECT /* pgmedic:test */ queryid::text || '/' || userid::text || '/' || dbid::text || '/' || toplevel::text AS key,
  toplevel, calls::float8 AS calls, total_exec_time AS total
FROM pg_stat_statements WHERE coalesce(query, '') NOT LIKE '%/* pgmedic:%'`;

const sum = (rows: readonly Row[]) => ({
  calls: rows.reduce((s, r) => s + r.calls, 0),
  total: rows.reduce((s, r) => s + r.total, 0),
});

describe.each([14, 18] as const)('the "all others" bucket on PostgreSQL %i, read as a pg_monitor role', (major) => {
  let server: TestServer;
  let world: Awaited<ReturnType<typeof statementsWorld>>;
  let state: pg.Pool;
  let monitor: Target;
  let app: pg.Client;

  const everything = async () => (await app.query<Row>(TRUTH)).rows;
  /** The window's whole counts top-level statements only (a nested one's time is in its caller's). */
  const truth = async () => (await everything()).filter((r) => r.toplevel);
  const keyOf = (e: StatementReading['entries'][number]) => `${e.queryId}/${e.userId}/${e.dbId}/${e.toplevel}`;
  /** Each row's counts since `before` (a row new since then counts from zero). */
  const since = (before: Row[], after: Row[]) => {
    const then = new Map(before.map((r) => [r.key, r]));
    return after.map((r) => ({
      ...r,
      calls: r.calls - (then.get(r.key)?.calls ?? 0),
      total: r.total - (then.get(r.key)?.total ?? 0),
    }));
  };
  /** Many small statements (one per table, a different number of calls each), a nested one, and SLOW slow ones. */
  const workload = async (round: number) => {
    for (let t = 0; t < TABLES; t++)
      for (let i = 0; i <= (t + round) % 4; i++) await app.query(`SELECT count(*) FROM t${t} WHERE id > $1`, [i]);
    for (let i = 0; i < 3; i++) await app.query('SELECT nested_count()');
    for (let t = 0; t < SLOW; t++)
      for (let i = 0; i < 3; i++) await app.query(`SELECT pg_sleep(0.01) FROM t${t} LIMIT 1`);
  };
  const stored = async (id: string) => {
    const snapshot = await readHistorySnapshot(state, id);
    return { takenAt: snapshot!.takenAt, statements: snapshot!.statements as StatementReading };
  };

  beforeAll(async () => {
    server = await startTestServer(major);
    world = await statementsWorld((database) => server.url(database));
    ({ app, state, monitor } = world);
    for (let t = 0; t < TABLES; t++)
      await app.query(`CREATE TABLE t${t} AS SELECT g AS id FROM generate_series(1, 50) g`);
    await app.query(`CREATE FUNCTION nested_count() RETURNS bigint LANGUAGE plpgsql AS
      $$ BEGIN RETURN (SELECT count(*) FROM t0 WHERE id < 10); END $$`);
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await server?.stop();
  });

  it('keeps the costliest statements and sums the rest, nested ones apart, as PostgreSQL counts them', async () => {
    await workload(0);
    const { id } = await takeSnapshot(monitor, state, KEEP);
    const rows = await everything();
    const { statements } = await stored(id);
    expect(statements.entries).toHaveLength(KEEP.statements);
    const kept = new Set(statements.entries.map(keyOf));
    const outside = rows.filter((r) => !kept.has(r.key));
    const [all, nested] = [sum(outside), sum(outside.filter((r) => !r.toplevel))];
    expect(statements.others).toMatchObject({ entries: outside.length, calls: all.calls });
    expect(statements.others.totalMs).toBeCloseTo(all.total, 6);
    expect(statements.others.nested).toMatchObject({ calls: nested.calls });
    expect(statements.others.nested!.totalMs).toBeCloseTo(nested.total, 6);
    // nested_count()'s statement is one of them: the server tracks nested statements (track = all).
    expect(nested.calls).toBeGreaterThanOrEqual(3);
  });

  it('gives the window’s whole and the bucket’s delta as PostgreSQL counted them between two snapshots', async () => {
    await workload(1);
    const first = await takeSnapshot(monitor, state, KEEP);
    const before = await truth();
    await workload(2);
    const second = await takeSnapshot(monitor, state, KEEP);
    const after = await truth();
    const [a, b] = [await stored(first.id), await stored(second.id)];
    const whole = windowWhole(a.statements, a.takenAt, b.statements);
    if (!whole.known) throw new Error(whole.reason);
    const keptLater = new Set(b.statements.entries.map(keyOf));
    const keptBoth = new Set(a.statements.entries.map(keyOf).filter((k) => keptLater.has(k)));
    const window = since(before, after);
    const total = sum(window);
    const kept = sum(window.filter((r) => keptBoth.has(r.key)));
    expect(whole.total.calls).toBe(total.calls);
    expect(whole.total.totalMs).toBeCloseTo(total.total, 6);
    expect(whole.outside.calls).toBe(total.calls - kept.calls);
    expect(whole.outside.totalMs).toBeCloseTo(total.total - kept.total, 6);
    expect(whole.outside.calls).toBeGreaterThan(0);
    expect(whole.kept).toBe(KEEP.statements);
  });

  it('counts from zero across pg_stat_statements_reset(), never negative', async () => {
    await workload(3);
    const first = await takeSnapshot(monitor, state, KEEP);
    await app.query('SELECT pg_stat_statements_reset()');
    await workload(0);
    const second = await takeSnapshot(monitor, state, KEEP);
    const after = sum(await truth());
    const [a, b] = [await stored(first.id), await stored(second.id)];
    const { deltas, reset } = statementDeltas(a.statements, a.takenAt, b.statements);
    expect(reset).toBe(true);
    const whole = windowWhole(a.statements, a.takenAt, b.statements);
    if (!whole.known) throw new Error(whole.reason);
    expect(whole.total.calls).toBe(after.calls);
    expect(whole.total.totalMs).toBeCloseTo(after.total, 6);
    for (const value of [whole.outside.calls, whole.outside.totalMs, ...deltas.flatMap((d) => [d.calls, d.totalMs])])
      expect(value).toBeGreaterThanOrEqual(0);
  });

  it('says in the --since report what share the listed cover and what the others took', async () => {
    await state.query('DELETE FROM pgmedic.history_snapshots');
    await workload(1);
    const first = await takeSnapshot(monitor, state, KEEP);
    const [before, everyBefore] = [await truth(), await everything()];
    await workload(2);
    const [after, everyAfter] = [await truth(), await everything()];
    const keptThen = new Set((await stored(first.id)).statements.entries.map(keyOf));
    const result = await slowQueries(monitor, ['--since', '1h', '--limit', String(SLOW)], stateHistory(state));
    const findings = result.findings as Ready;
    // "ran": kept at the window's start and called again; the rest have counts from their start, so only "up to".
    const ranAgain = since(everyBefore, everyAfter).filter((r) => keptThen.has(r.key) && r.calls > 0);
    const notKept = everyAfter.filter((r) => !keptThen.has(r.key) && r.calls > 0);
    expect([findings.ranStatements, findings.uncertainStatements]).toEqual([ranAgain.length, notKept.length]);
    expect(result.summary).toMatch(
      new RegExp(
        `^${ranAgain.length} statements ran in the .+\\), and up to ${notKept.length} more that the first snapshot did not keep; `,
      ),
    );
    // The slow statements lead by far and were kept: counted at both ends.
    expect(findings.statements.map((s) => [s.query.includes('pg_sleep'), s.baseline])).toEqual(
      Array(SLOW).fill([true, 'counted']),
    );
    const total = sum(since(before, after));
    const kept = sum(since(before, after).filter((r) => keptThen.has(r.key)));
    expect(findings.whole).toMatchObject({ known: true, total: { calls: total.calls } });
    const listedCalls = findings.statements.reduce((s, x) => s + x.calls, 0);
    const text = renderText(result.report, '', { color: false });
    expect(text).toContain(`All other statements: `);
    expect(text).toContain(` in ${formatCount(total.calls - listedCalls)} calls, `);
    const outside = (findings.whole as Extract<Ready['whole'], { known: true }>).outside;
    expect(outside.calls).toBe(total.calls - kept.calls);
    expect(outside.totalMs).toBeCloseTo(total.total - kept.total, 6);
    expect(text).toContain(`first snapshot kept: ${formatMs(outside.totalMs)} in ${formatCount(outside.calls)} calls.`);
    expect(text).toContain(`Statements outside the ${KEEP.statements} the window's first snapshot kept: `);
    expect(result.summary).toMatch(/The 3 listed cover \d+\.\d% of the window's /);
  });

  it('says "unknown" when the window’s first snapshot has no bucket, or does not split nested statements out', async () => {
    for (const [edit, reason] of [
      [`statements_info - 'others'`, 'has no "all others" bucket'],
      [`statements_info #- '{others,nested}'`, 'predates the split of nested statements'],
    ] as const) {
      await state.query('DELETE FROM pgmedic.history_snapshots');
      await takeSnapshot(monitor, state, KEEP);
      await state.query(`UPDATE pgmedic.history_snapshots SET statements_info = ${edit}`);
      await workload(1);
      const result = await slowQueries(monitor, ['--since', '1h', '--limit', String(SLOW)], stateHistory(state));
      expect((result.findings as Ready).whole).toMatchObject({ known: false });
      expect(result.summary).toContain(
        "What share of the window's statement time the listed statements cover is unknown.",
      );
      expect(renderText(result.report, '', { color: false })).toContain(
        `All other statements: unknown, as the snapshot the window starts at ${reason}`,
      );
    }
  });

  it('says "unknown" rather than a negative figure when counts left pg_stat_statements within the window', async () => {
    await state.query('DELETE FROM pgmedic.history_snapshots');
    await app.query('SELECT pg_stat_statements_reset()');
    for (let t = 0; t < KEEP.statements + 2; t++)
      for (let i = 0; i < 3; i++) await app.query(`SELECT pg_sleep(0.01) FROM t${t} LIMIT 1`);
    const first = await takeSnapshot(monitor, state, KEEP);
    const kept = new Set((await stored(first.id)).statements.entries.map((e) => e.queryId));
    // The slow statements the snapshot summed in its bucket are reset one by one: their 30 ms each go with them.
    const { rows } = await app.query<{ id: string; userid: string; dbid: string }>(
      `SELECT /* pgmedic:test */ queryid::text AS id, userid::text AS userid, dbid::text AS dbid
       FROM pg_stat_statements WHERE query LIKE 'SELECT pg_sleep%'`,
    );
    const gone = rows.filter((r) => !kept.has(r.id));
    expect(gone.length).toBeGreaterThanOrEqual(2);
    for (const r of gone)
      await app.query('SELECT pg_stat_statements_reset($1::oid, $2::oid, $3::bigint)', [r.userid, r.dbid, r.id]);
    await app.query('SELECT count(*) FROM t0 WHERE id > $1', [1]);
    const result = await slowQueries(monitor, ['--since', '1h'], stateHistory(state));
    const reason = 'statements left pg_stat_statements within the window (evicted, or reset one by one)';
    expect((result.findings as Ready).whole).toMatchObject({ known: false, reason: expect.stringContaining(reason) });
    expect(renderText(result.report, '', { color: false })).toContain(`All other statements: unknown, as ${reason}`);
  });
});
