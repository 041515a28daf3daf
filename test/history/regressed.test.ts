import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegressedFindings } from '../../commands/slow-queries/regressed.js';
import type { Target } from '../../src/db/targets.js';
import { formatMs, formatPercent, percentOf } from '../../src/report/format.js';
import { takeSnapshot } from '../../src/schedule/history/capture.js';
import { stateHistory } from '../../src/state/history-reader.js';
import { testTarget } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/pg.js';
import { appAndState, slowQueries } from '../support/history.js';

type Ready = Extract<RegressedFindings, { state: 'ready' }>;
/** One normalised statement whose cost follows its parameter: fast in the first window, slow in the second. */
const SLEEP = 'SELECT pg_sleep($1)';

describe.each([14, 18] as const)('slow-queries --regressed on PostgreSQL %i', (major) => {
  let server: TestServer;
  let state: pg.Pool;
  let target: Target;
  let app: pg.Client;

  const truth = async () =>
    (
      await app.query<{ calls: number; total: number }>(
        'SELECT calls::float8 AS calls, total_exec_time AS total FROM pg_stat_statements WHERE query = $1',
        [SLEEP],
      )
    ).rows[0]!;
  const sleep = async (seconds: number, times: number) => {
    for (let i = 0; i < times; i++) await app.query(SLEEP, [seconds]);
  };
  /** Takes a snapshot now and dates it `hoursAgo` back, as if taken then. */
  const snapshotDated = async (hoursAgo: number) => {
    const { id } = await takeSnapshot(target, state);
    await state.query(
      'UPDATE pgmedic.history_snapshots SET taken_at = taken_at - make_interval(secs => $2) WHERE id = $1',
      [id, hoursAgo * 3600],
    );
  };

  beforeAll(async () => {
    server = await startTestServer(major);
    ({ app, state } = await appAndState((database) => server.url(database)));
    target = testTarget(server.url('app'));
  }, 60_000);
  afterAll(async () => {
    await app?.end();
    await Promise.all([target?.close(), state?.end()]);
    await server?.stop();
  });

  it('needs two windows of history, and says so', async () => {
    const none = await slowQueries(target, ['--regressed'], stateHistory(state));
    expect(none.summary).toContain('There are no snapshots of test yet');
    await snapshotDated(1.1);
    const short = await slowQueries(target, ['--regressed', '--since', '1h'], stateHistory(state));
    expect(short.summary).toContain('Not enough history to compare two windows');
    await state.query('DELETE FROM pgmedic.history_snapshots');
  });

  it('finds the statement whose mean rose, with both means as pg_stat_statements counted them', async () => {
    await sleep(0.001, 4);
    await snapshotDated(2.1);
    const t0 = await truth();
    await sleep(0.001, 5);
    await snapshotDated(1.1);
    const t1 = await truth();
    await sleep(0.05, 5);
    const t2 = await truth();
    const result = await slowQueries(target, ['--regressed', '--since', '1h', '--min-calls', '5'], stateHistory(state));
    const findings = result.findings as Ready;
    expect(findings.state).toBe('ready');
    expect(findings.statements[0]).toMatchObject({ query: SLEEP, callsBefore: 5, callsNow: 5 });
    const meanBefore = (t1.total - t0.total) / (t1.calls - t0.calls);
    const meanNow = (t2.total - t1.total) / (t2.calls - t1.calls);
    expect(findings.statements[0]!.meanBeforeMs).toBeCloseTo(meanBefore, 9);
    expect(findings.statements[0]!.meanNowMs).toBeCloseTo(meanNow, 9);
    expect(findings.statements[0]!.ratio).toBeCloseTo(meanNow / meanBefore, 9);
    expect(findings.statements[0]!.ratio).toBeGreaterThan(1);
    expect(result.report.title).toBe('Statements that got slower: the last 1h against the 1h before');
    // What share of the last window's time the listed took, of every statement it counted (the bucket included).
    const whole = findings.whole;
    if (!whole.known) throw new Error(whole.reason);
    const listedMs = t2.total - t1.total;
    expect(whole.total.totalMs).toBeGreaterThanOrEqual(listedMs);
    expect(whole.total.calls).toBeGreaterThanOrEqual(t2.calls - t1.calls);
    expect(result.report.footnotes).toContain(
      `The listed statement covers ${formatPercent(percentOf(listedMs, whole.total.totalMs))} of the window's ${formatMs(whole.total.totalMs)} of statement time.`,
    );
    // Too few calls in a window: not compared.
    const strict = await slowQueries(target, ['--regressed', '--since', '1h', '--min-calls', '6'], stateHistory(state));
    expect((strict.findings as Ready).statements.map((s) => s.query)).not.toContain(SLEEP);
  });
});
