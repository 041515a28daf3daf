import { readServerClock, readStatementCounters } from '../../src/db/counters.js';
import type { Thresholds } from '../../src/config/thresholds.js';
import type { CollectContext } from '../../src/engine/command.js';
import { statementDeltas, statementKey, type StatementDelta } from '../../src/engine/history-delta.js';
import { windowWhole, type WindowWhole } from '../../src/engine/history-totals.js';
import { formatCount, formatDuration, formatMs, plural } from '../../src/report/format.js';
import { statusFor, type Report, type ReportWindow } from '../../src/report/model.js';
import { queryColumn } from '../../src/report/query-text.js';
import { describeStatements, type NoHistory } from './since.js';
import { formatWindow, noHistoryReport, windowFootnotes, windowWords } from '../shared/history-window.js';
import { coverageOf, coverageSentence } from './window-whole.js';

export interface RegressedStatement {
  queryId: string;
  database: string | null;
  user: string | null;
  query: string;
  toplevel: boolean | null;
  callsBefore: number;
  meanBeforeMs: number;
  callsNow: number;
  meanNowMs: number;
  /** meanNow / meanBefore. */
  ratio: number;
}

export type RegressedFindings =
  | NoHistory
  | { kind: 'window'; state: 'too-short'; target: string; oldest: string; seconds: number }
  | {
      kind: 'regressed';
      state: 'ready';
      window: ReportWindow;
      previous: { from: string; to: string; seconds: number };
      statements: RegressedStatement[];
      /** Statements with enough calls in both windows to compare. */
      compared: number;
      minCalls: number;
      reset: boolean;
      /** Every statement the last window counted (the "all others" bucket included): what share the listed took. */
      whole: WindowWhole;
    };

/** Means are compared only where both ends were read (or the entry began within the window): never an upper bound. */
const comparable = (d: StatementDelta) => d.baseline !== 'absent';

/**
 * `slow-queries --regressed`: each statement's mean in the last `since` against the `since` before it (two stored
 * snapshots and a reading now), statements with at least `minCalls` calls in both, largest rise first.
 */
export async function collectRegressed(
  context: CollectContext,
  options: { since: number; minCalls: number; limit: number },
): Promise<RegressedFindings | null> {
  const { session, caps, history, target } = context;
  if (!history) return { kind: 'window', state: 'no-reader', target };
  const clock = await readServerClock(session);
  const now = await readStatementCounters(session, caps, 1_000_000);
  if ('unavailable' in now) return null;
  const ago = (seconds: number) => new Date(clock.takenAt.getTime() - seconds * 1000);
  const midHead = await history.baseline(ago(options.since), { withStatements: true });
  const firstHead = await history.baseline(ago(2 * options.since), { withStatements: true });
  if (!midHead || !firstHead) return { kind: 'window', state: 'no-snapshots', target };
  const [mid, first] = [await history.snapshot(midHead.id), await history.snapshot(firstHead.id)];
  if (!mid || !first || !('entries' in mid.statements) || !('entries' in first.statements))
    return { kind: 'window', state: 'no-snapshots', target };
  if (!midHead.coversWindow || first.takenAt >= mid.takenAt)
    return {
      kind: 'window',
      state: 'too-short',
      target,
      oldest: first.takenAt.toISOString(),
      seconds: 2 * options.since,
    };
  const current = statementDeltas(mid.statements, mid.takenAt, now);
  const previous = statementDeltas(first.statements, first.takenAt, mid.statements);
  const before = new Map(previous.deltas.filter(comparable).map((d) => [statementKey(d), d]));
  const pairs = current.deltas
    .filter(comparable)
    .flatMap((d) => {
      const b = before.get(statementKey(d));
      return b && b.calls >= options.minCalls && d.calls >= options.minCalls ? [{ now: d, before: b }] : [];
    })
    .map((p) => ({ ...p, ratio: p.now.totalMs / p.now.calls / (p.before.totalMs / p.before.calls) }));
  const risen = pairs
    .filter((p) => Number.isFinite(p.ratio) && p.ratio > 1)
    .sort((a, b) => b.ratio - a.ratio || a.now.queryId.localeCompare(b.now.queryId))
    .slice(0, options.limit);
  const described = await describeStatements(
    session,
    { caps, history },
    risen.map((p) => p.now),
  );
  return {
    kind: 'regressed',
    state: 'ready',
    window: {
      from: mid.takenAt.toISOString(),
      to: clock.takenAt.toISOString(),
      seconds: (clock.takenAt.getTime() - mid.takenAt.getTime()) / 1000,
      requestedSeconds: options.since,
      coversRequest: firstHead.coversWindow,
    },
    previous: {
      from: first.takenAt.toISOString(),
      to: mid.takenAt.toISOString(),
      seconds: (mid.takenAt.getTime() - first.takenAt.getTime()) / 1000,
    },
    statements: described.map((s, i) => ({
      queryId: s.queryId,
      database: s.database,
      user: s.user,
      query: s.query,
      toplevel: s.toplevel,
      callsBefore: risen[i]!.before.calls,
      meanBeforeMs: risen[i]!.before.totalMs / risen[i]!.before.calls,
      callsNow: s.calls,
      meanNowMs: s.meanMs,
      ratio: risen[i]!.ratio,
    })),
    compared: pairs.length,
    minCalls: options.minCalls,
    reset: current.reset || previous.reset,
    whole: windowWhole(mid.statements, mid.takenAt, now),
  };
}

export function regressedReport(findings: RegressedFindings, thresholds: Thresholds): Report {
  const title = 'Statements that got slower';
  if (findings.state === 'too-short')
    return {
      ...noHistoryReport({ kind: 'window', state: 'no-snapshots', target: findings.target }, title),
      summary: `Not enough history to compare two windows: that needs snapshots from ${formatWindow(findings.seconds)} ago, and the oldest of ${findings.target} was taken ${findings.oldest}. Try a shorter --since, or come back later.`,
    };
  if (findings.state !== 'ready') return noHistoryReport(findings, title);
  const top = findings.statements[0];
  const slowest = Math.max(0, ...findings.statements.map((s) => s.meanNowMs / 1000));
  const status = statusFor(slowest, thresholds.longQuerySeconds);
  return {
    title: `${title}: the last ${formatWindow(findings.window.requestedSeconds)} against the ${formatWindow(findings.window.requestedSeconds)} before`,
    status,
    summary: top
      ? `${plural(findings.statements.length, 'statement')} got slower in the ${windowWords(findings.window)}; the most: ${formatMs(top.meanBeforeMs)} → ${formatMs(top.meanNowMs)} per call (×${top.ratio.toFixed(1)}).`
      : `No statement got slower (${plural(findings.compared, 'statement')} with ${findings.minCalls}+ calls in both windows compared).`,
    reasons: status === 'ok' ? [] : [`a slower statement now averages ${formatMs(slowest * 1000)} per call`],
    sections: top
      ? [
          {
            kind: 'table',
            columns: [
              { header: '#', align: 'right' },
              { header: 'queryid', align: 'right' },
              { header: 'mean before', align: 'right' },
              { header: 'mean now', align: 'right' },
              { header: 'rise', align: 'right' },
              { header: 'calls before', align: 'right' },
              { header: 'calls now', align: 'right' },
              queryColumn('query', 70),
            ],
            rows: findings.statements.map((s, i) => [
              String(i + 1),
              s.queryId,
              formatMs(s.meanBeforeMs),
              formatMs(s.meanNowMs),
              `×${s.ratio.toFixed(2)}`,
              formatCount(s.callsBefore),
              formatCount(s.callsNow),
              s.query,
            ]),
          },
        ]
      : [],
    actions: [],
    followUps: findings.statements.map((s, i) => ({
      command: 'explain' as const,
      args: [s.queryId],
      label: `Explain #${i + 1}`,
      row: i,
    })),
    footnotes: [
      `The window before: ${formatDuration(findings.previous.seconds)} (${findings.previous.from} to ${findings.previous.to}). Only statements with ${findings.minCalls}+ calls in each window are compared (--min-calls).`,
      ...windowFootnotes(findings.window, findings.reset, 'pg_stat_statements'),
      ...listedShare(findings),
    ],
    window: findings.window,
  };
}

/** How much of the last window's time the listed statements took: a regression in a rarely run statement matters less. */
function listedShare(findings: Extract<RegressedFindings, { kind: 'regressed' }>): string[] {
  if (!findings.statements.length) return [];
  const listed = findings.statements.map((s) => ({ totalMs: s.callsNow * s.meanNowMs, calls: s.callsNow, ...s }));
  return [coverageSentence(coverageOf(listed, findings.whole), listed.length)].filter(Boolean);
}
