import { STATEMENT_COUNTERS, type Counters, type StatementEntry, type StatementReading } from '../db/counters.js';
import { columnsOf, type StatementColumns } from '../db/statement-columns.js';

/**
 * Deltas between two readings of cumulative counters that are never negative. A series whose reset mark changed,
 * or any of whose counters went down, was reset in between (a reset function, a crash, an entry evicted and
 * re-added): it counts from zero, so its delta is its current value, a lower bound of what happened.
 */

/**
 * How a statement's delta was found: `counted` (both ends read), `reset` (its counters or pg_stat_statements were
 * reset within the window: counted from the reset), `new` (created within the window, pg_stat_statements 1.11+
 * says so: exact), `absent` (not among the statements the first snapshot kept: counted from zero, an upper bound).
 */
export type Baseline = 'counted' | 'reset' | 'new' | 'absent';

export interface StatementDelta extends Counters {
  queryId: string;
  userId: string;
  dbId: string;
  toplevel: boolean | null;
  baseline: Baseline;
}

export const statementKey = (e: Pick<StatementEntry, 'queryId' | 'userId' | 'dbId' | 'toplevel'>) =>
  `${e.queryId}/${e.userId}/${e.dbId}/${e.toplevel}`;

export function subtract<K extends string>(
  now: Readonly<Record<K, number>>,
  base: Readonly<Record<K, number>>,
  keys: readonly K[],
): { values: Record<K, number>; reset: boolean } {
  // Plain loops: this runs per entry and snapshot pair (a month of charts is a million of them).
  let reset = false;
  for (const k of keys) if (now[k] < base[k]) reset = true;
  const values = {} as Record<K, number>;
  for (const k of keys) values[k] = reset ? now[k] : now[k] - base[k];
  return { values, reset };
}

/**
 * A reading's columns with each statement's key (statementKey) and where each key is: keyed once, as a chart's
 * reading is the next interval's base.
 */
export interface IndexedColumns extends StatementColumns {
  keys: string[];
  index: Map<string, number>;
}

export function indexed(columns: StatementColumns): IndexedColumns {
  const { queryIds, userIds, dbIds, toplevel } = columns;
  const keys = queryIds.map((q, i) => `${q}/${userIds[i]}/${dbIds[i]}/${toplevel[i]}`);
  return { ...columns, keys, index: new Map(keys.map((k, i) => [k, i])) };
}

/** pg_stat_statements_reset() between the two readings: every statement counts from it. */
const resetBetween = (base: StatementColumns, now: StatementColumns) =>
  base.statsReset !== null && now.statsReset !== null && base.statsReset !== now.statsReset;

function wentDown(base: StatementColumns, j: number, now: StatementColumns, i: number): boolean {
  for (const c of STATEMENT_COUNTERS) if (now.counters[c][i]! < base.counters[c][j]!) return true;
  return false;
}

/**
 * The reset rules, in one place: how statement `i` of `now` counts against `base` (`j`: its place there), and
 * `visit` sees each statement that ran (calls > 0) with its counter `c`'s delta as `delta(c)`.
 */
function compare(
  base: IndexedColumns,
  baseTakenAt: Date,
  now: IndexedColumns,
  visit: (i: number, baseline: Baseline, delta: (c: keyof Counters) => number) => void,
): boolean {
  const reset = resetBetween(base, now);
  const since = now.statsSince;
  let i = 0;
  let j: number | undefined;
  let baseline: Baseline = 'counted';
  const delta = (c: keyof Counters) =>
    baseline === 'counted' ? now.counters[c][i]! - base.counters[c][j!]! : now.counters[c][i]!;
  for (; i < now.queryIds.length; i++) {
    j = reset ? undefined : base.index.get(now.keys[i]!);
    if (reset) baseline = 'reset';
    else if (j === undefined)
      // Created after the first snapshot (1.11+ says when), or there already but not among the entries it kept.
      baseline = since[i] !== null && Number(since[i]) * 1000 > baseTakenAt.getTime() ? 'new' : 'absent';
    else if (since[i] !== null && base.statsSince[j] !== null && since[i] !== base.statsSince[j]) baseline = 'reset';
    else baseline = wentDown(base, j, now, i) ? 'reset' : 'counted';
    if (delta('calls') <= 0) continue;
    visit(i, baseline, delta);
  }
  return reset;
}

/** Statements that ran within the window (calls > 0), with how each was counted; `reset`: pg_stat_statements_reset() in between. */
export function statementDeltas(
  base: StatementReading,
  baseTakenAt: Date,
  now: StatementReading,
): { deltas: StatementDelta[]; reset: boolean } {
  const deltas: StatementDelta[] = [];
  const reset = compare(indexed(columnsOf(base)), baseTakenAt, indexed(columnsOf(now)), (i, baseline, delta) => {
    const e = now.entries[i]!;
    const counters = {} as Counters;
    for (const c of STATEMENT_COUNTERS) counters[c] = delta(c);
    deltas.push({ queryId: e.queryId, userId: e.userId, dbId: e.dbId, toplevel: e.toplevel, baseline, ...counters });
  });
  return { deltas, reset };
}

/** The calls and time of all the statements that ran between two readings, as statementDeltas counts them. */
export function statementTotals(
  base: IndexedColumns,
  baseTakenAt: Date,
  now: IndexedColumns,
): { calls: number; totalMs: number } {
  let calls = 0;
  let totalMs = 0;
  compare(base, baseTakenAt, now, (_i, _baseline, delta) => {
    calls += delta('calls');
    totalMs += delta('totalMs');
  });
  return { calls, totalMs };
}
