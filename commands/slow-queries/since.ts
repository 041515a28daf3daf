import {
  readServerClock,
  readStatementCounters,
  readStatementTexts,
  type Counters,
  type StatementReading,
} from '../../src/db/counters.js';
import type { Session } from '../../src/db/session.js';
import type { CollectContext } from '../../src/engine/command.js';
import type { TargetHistory } from '../../src/engine/history.js';
import { statementDeltas, type Baseline, type StatementDelta } from '../../src/engine/history-delta.js';
import { windowWhole, type WindowWhole } from '../../src/engine/history-totals.js';
import type { ReportWindow } from '../../src/report/model.js';
import type { NoHistory } from '../shared/history-window.js';

/** Every entry is read now: a statement's delta needs its current counters whatever its rank. */
const ALL_ENTRIES = 1_000_000;

/** A statement's figures within the window. */
export interface WindowStatement extends Counters {
  queryId: string;
  database: string | null;
  user: string | null;
  toplevel: boolean | null;
  query: string;
  meanMs: number;
  baseline: Baseline;
}

export type { NoHistory };

export type WindowFindings =
  | NoHistory
  | {
      kind: 'window';
      state: 'ready';
      window: ReportWindow;
      statements: WindowStatement[];
      /** Statements that ran in the window: read at both ends, or created or reset within it. */
      ranStatements: number;
      /**
       * Statements with calls that the window's first snapshot did not keep: their counts run from their start, so
       * each may or may not have run within the window.
       */
      uncertainStatements: number;
      /** The time of all the deltas (top-level only), the uncertain ones' whole counts included. */
      totalMs: number;
      /** Every statement the window counted, the "all others" bucket included, and the part outside the kept ones. */
      whole: WindowWhole;
      /** pg_stat_statements_reset() within the window: every figure counts from the reset. */
      reset: boolean;
    };

export interface WindowRead {
  window: ReportWindow;
  deltas: StatementDelta[];
  reset: boolean;
  now: StatementReading;
  whole: WindowWhole;
}

/**
 * Reads the target's statements now and compares them with the snapshot the window starts at. undefined with
 * `state` when there is nothing to compare with; null when pg_stat_statements cannot be read now.
 */
export async function readWindow(context: CollectContext, seconds: number): Promise<WindowRead | NoHistory | null> {
  const { session, caps, history, target } = context;
  if (!history) return { kind: 'window', state: 'no-reader', target };
  const clock = await readServerClock(session);
  const now = await readStatementCounters(session, caps, ALL_ENTRIES);
  if ('unavailable' in now) return null;
  const start = new Date(clock.takenAt.getTime() - seconds * 1000);
  const head = await history.baseline(start, { withStatements: true });
  const base = head && (await history.snapshot(head.id));
  if (!head || !base || !('entries' in base.statements)) return { kind: 'window', state: 'no-snapshots', target };
  const { deltas, reset } = statementDeltas(base.statements, base.takenAt, now);
  return {
    window: {
      from: base.takenAt.toISOString(),
      to: clock.takenAt.toISOString(),
      seconds: Math.max(0, (clock.takenAt.getTime() - base.takenAt.getTime()) / 1000),
      requestedSeconds: seconds,
      coversRequest: head.coversWindow,
    },
    deltas,
    reset,
    now,
    whole: windowWhole(base.statements, base.takenAt, now),
  };
}

/** Database and role names of the entries' oids, and each queryid's text (stored, else read now). */
export async function describeStatements(
  session: Session,
  context: Pick<CollectContext, 'caps'> & { history: TargetHistory },
  deltas: readonly StatementDelta[],
): Promise<WindowStatement[]> {
  const names = await session.query<{ kind: string; oid: string; name: string }>(
    `SELECT 'db' AS kind, oid::text AS oid, datname AS name FROM pg_catalog.pg_database
     UNION ALL SELECT 'role', oid::text, rolname FROM pg_catalog.pg_roles`,
  );
  const nameOf = new Map(names.map((n) => [`${n.kind}:${n.oid}`, n.name]));
  const ids = [...new Set(deltas.map((d) => d.queryId))];
  const texts = await context.history.texts(ids);
  const missing = ids.filter((id) => !texts.has(id));
  for (const [id, text] of await readStatementTexts(session, context.caps, missing)) texts.set(id, text);
  return deltas.map((d) => ({
    ...d,
    database: nameOf.get(`db:${d.dbId}`) ?? null,
    user: nameOf.get(`role:${d.userId}`) ?? null,
    query: texts.get(d.queryId) ?? '',
    meanMs: d.calls ? d.totalMs / d.calls : 0,
  }));
}

const SORT_KEY = { total: 'totalMs', mean: 'meanMs', calls: 'calls' } as const;

/** `slow-queries --since`: the window's top statements by the chosen order. */
export async function collectSince(
  context: CollectContext,
  options: { since: number; sort: 'total' | 'mean' | 'calls'; minMeanMs: number; limit: number },
): Promise<WindowFindings | null> {
  const read = await readWindow(context, options.since);
  if (!read || 'kind' in read) return read;
  const key = SORT_KEY[options.sort];
  const ranked = read.deltas
    .map((d) => ({ d, meanMs: d.totalMs / d.calls }))
    .filter((x) => x.meanMs >= options.minMeanMs)
    .sort(
      (a, b) =>
        (key === 'meanMs' ? b.meanMs - a.meanMs : b.d[key] - a.d[key]) || a.d.queryId.localeCompare(b.d.queryId),
    )
    .slice(0, options.limit)
    .map((x) => x.d);
  return {
    kind: 'window',
    state: 'ready',
    window: read.window,
    statements: await describeStatements(context.session, { caps: context.caps, history: context.history! }, ranked),
    ranStatements: read.deltas.filter((d) => d.baseline !== 'absent').length,
    uncertainStatements: read.deltas.filter((d) => d.baseline === 'absent').length,
    totalMs: read.deltas.filter((d) => d.toplevel !== false).reduce((sum, d) => sum + d.totalMs, 0),
    whole: read.whole,
    reset: read.reset,
  };
}
