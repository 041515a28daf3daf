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
 * A reading's columns with where each queryid's last statement is, and before each statement the place of the
 * previous one with its queryid (-1: none; a queryid recurs only per user, database and nesting level): indexed
 * once, as a chart's reading is the next interval's base, without a key string per statement.
 */
export interface IndexedColumns extends StatementColumns {
  last: Map<string, number>;
  previous: Int32Array;
}

export function indexed(columns: StatementColumns): IndexedColumns {
  const last = new Map<string, number>();
  const previous = new Int32Array(columns.queryIds.length);
  for (const [i, q] of columns.queryIds.entries()) {
    previous[i] = last.get(q) ?? -1;
    last.set(q, i);
  }
  return { ...columns, last, previous };
}

/** Where statement `i` of `now` is in `base`: the same statementKey (the last such, as a Map of the keys keeps). */
export function placeIn(base: IndexedColumns, now: StatementColumns, i: number): number | undefined {
  for (let j = base.last.get(now.queryIds[i]!) ?? -1; j >= 0; j = base.previous[j]!)
    if (base.userIds[j] === now.userIds[i] && base.dbIds[j] === now.dbIds[i] && base.toplevel[j] === now.toplevel[i])
      return j;
  return undefined;
}

/**
 * pg_stat_statements_reset() between two readings (pg_stat_statements_info's stats_reset changed, 1.9+): every
 * statement counts from it.
 */
export const statementsReset = (
  base: Pick<StatementReading, 'statsReset'>,
  now: Pick<StatementReading, 'statsReset'>,
): boolean => base.statsReset !== null && now.statsReset !== null && base.statsReset !== now.statsReset;

/** Any counter went down; `counters` are each counter's column of `now` and of the base, in pairs. */
function wentDown(counters: readonly [number[], number[]][], i: number, j: number): boolean {
  for (const [now, base] of counters) if (now[i]! < base[j]!) return true;
  return false;
}

/** A counter's delta for statement `i` of `now` (`j`: its place in the base), as its baseline counts it. */
export const deltaOf = (now: number[], base: number[], i: number, j: number | undefined, baseline: Baseline) =>
  baseline === 'counted' ? now[i]! - base[j!]! : now[i]!;

/**
 * The reset rules, in one place: how statement `i` of `now` counts against `base` (`j`: its place there);
 * `visit` sees each statement that ran (calls > 0), and finds its counters' deltas with deltaOf.
 */
export function compare(
  base: IndexedColumns,
  baseTakenAt: Date,
  now: IndexedColumns,
  visit: (i: number, j: number | undefined, baseline: Baseline) => void,
): boolean {
  const reset = statementsReset(base, now);
  const since = now.statsSince;
  const counters = STATEMENT_COUNTERS.map((c): [number[], number[]] => [now.counters[c], base.counters[c]]);
  for (let i = 0; i < now.queryIds.length; i++) {
    const j = reset ? undefined : placeIn(base, now, i);
    let baseline: Baseline;
    if (reset) baseline = 'reset';
    else if (j === undefined)
      // Created after the first snapshot (1.11+ says when), or there already but not among the entries it kept.
      baseline = since[i] !== null && Number(since[i]) * 1000 > baseTakenAt.getTime() ? 'new' : 'absent';
    else if (since[i] !== null && base.statsSince[j] !== null && since[i] !== base.statsSince[j]) baseline = 'reset';
    else baseline = wentDown(counters, i, j) ? 'reset' : 'counted';
    if (deltaOf(now.counters.calls, base.counters.calls, i, j, baseline) <= 0) continue;
    visit(i, j, baseline);
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
  const [b, n] = [indexed(columnsOf(base)), indexed(columnsOf(now))];
  const reset = compare(b, baseTakenAt, n, (i, j, baseline) => {
    const e = now.entries[i]!;
    const counters = {} as Counters;
    for (const c of STATEMENT_COUNTERS) counters[c] = deltaOf(n.counters[c], b.counters[c], i, j, baseline);
    deltas.push({ queryId: e.queryId, userId: e.userId, dbId: e.dbId, toplevel: e.toplevel, baseline, ...counters });
  });
  return { deltas, reset };
}
