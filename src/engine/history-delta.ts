import { STATEMENT_COUNTERS, type Counters, type StatementEntry, type StatementReading } from '../db/counters.js';

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

/** pg_stat_statements_reset() between two readings (pg_stat_statements_info's stats_reset changed, 1.9+). */
export const statementsReset = (base: StatementReading, now: StatementReading): boolean =>
  base.statsReset !== null && now.statsReset !== null && base.statsReset !== now.statsReset;

/** Statements that ran within the window (calls > 0), with how each was counted; `reset`: pg_stat_statements_reset() in between. */
export function statementDeltas(
  base: StatementReading,
  baseTakenAt: Date,
  now: StatementReading,
): { deltas: StatementDelta[]; reset: boolean } {
  const reset = statementsReset(base, now);
  const before = new Map(base.entries.map((e) => [statementKey(e), e]));
  const deltas = now.entries.flatMap((e): StatementDelta[] => {
    const b = before.get(statementKey(e));
    const current = {} as Counters;
    for (const c of STATEMENT_COUNTERS) current[c] = e[c];
    let counters = current;
    let baseline: Baseline;
    if (reset) baseline = 'reset';
    else if (!b)
      // Created after the first snapshot (1.11+ says when), or there already but not among the entries it kept.
      baseline = e.statsSince !== null && Number(e.statsSince) * 1000 > baseTakenAt.getTime() ? 'new' : 'absent';
    else if (e.statsSince !== null && b.statsSince !== null && e.statsSince !== b.statsSince) baseline = 'reset';
    else {
      const delta = subtract(current, b, STATEMENT_COUNTERS);
      counters = delta.values;
      baseline = delta.reset ? 'reset' : 'counted';
    }
    if (counters.calls <= 0) return [];
    return [{ queryId: e.queryId, userId: e.userId, dbId: e.dbId, toplevel: e.toplevel, baseline, ...counters }];
  });
  return { deltas, reset };
}
