import type { OthersBucket, StatementReading } from '../db/counters.js';
import { type StatementDelta, statementKey, statementsReset } from './history-delta.js';

export interface TimeAndCalls {
  totalMs: number;
  calls: number;
}

/**
 * Everything pg_stat_statements counted within a window, not only the entries a snapshot keeps. `total`: every
 * top-level statement (a nested one's time is already in its caller's). `outside`: the part of it that ran in
 * statements not kept at both ends, i.e. the "all others" bucket's delta with the entries that moved into or out
 * of it. `kept`: how many the window's first snapshot kept. `evicted`: how many times pg_stat_statements evicted
 * its least-used entries within the window (its dealloc; null where it cannot say, before 1.9); their counts left
 * with them, so both figures are then lower bounds. Unknown, with why, rather than invented.
 */
export type WindowWhole =
  | { known: true; total: TimeAndCalls; outside: TimeAndCalls; kept: number; evicted: number | null }
  | { known: false; reason: string };

const ZERO: TimeAndCalls = { totalMs: 0, calls: 0 };
const add = (a: TimeAndCalls, b: TimeAndCalls): TimeAndCalls => ({
  totalMs: a.totalMs + b.totalMs,
  calls: a.calls + b.calls,
});
const sum = (entries: readonly TimeAndCalls[]) => entries.reduce(add, ZERO);
const topLevel = (e: { toplevel: boolean | null }) => e.toplevel !== false;

/** The bucket without its nested statements; undefined when an older snapshot did not split them and some exist. */
function topLevelOf(bucket: OthersBucket, tracksNested: boolean): TimeAndCalls | undefined {
  if (bucket.nested)
    return { totalMs: bucket.totalMs - bucket.nested.totalMs, calls: bucket.calls - bucket.nested.calls };
  return tracksNested ? undefined : bucket;
}

/**
 * Sums of the same times in another order (PostgreSQL's sum then, ours now) differ in the last bits: a difference
 * within that of zero is zero, not a loss.
 */
const withoutRounding = (difference: number, magnitude: number) =>
  difference < 0 && difference > -1e-9 * Math.max(1, magnitude) ? 0 : difference;

function evictedBetween(base: StatementReading, now: StatementReading, reset: boolean): number | null {
  if (now.dealloc === null) return null;
  if (reset) return now.dealloc;
  return base.dealloc === null || now.dealloc < base.dealloc ? null : now.dealloc - base.dealloc;
}

/**
 * The window's whole from its two readings and the kept statements' deltas (statementDeltas of the same pair).
 * A pg_stat_statements_reset() in between counts everything from zero, like each statement's delta.
 */
export function windowWhole(
  base: StatementReading,
  now: StatementReading,
  deltas: readonly StatementDelta[],
): WindowWhole {
  if (!base.others || !now.others)
    return { known: false, reason: 'the snapshot the window starts at has no "all others" bucket' };
  const tracksNested =
    [...base.entries, ...now.entries].some((e) => e.toplevel === false) ||
    Boolean(now.others.nested?.entries || base.others.nested?.entries);
  const [baseOthers, nowOthers] = [topLevelOf(base.others, tracksNested), topLevelOf(now.others, tracksNested)];
  if (!baseOthers || !nowOthers)
    return {
      known: false,
      reason:
        'the snapshot the window starts at predates the split of nested statements (pg_stat_statements.track = all) from its "all others" bucket',
    };
  const reset = statementsReset(base, now);
  const evicted = evictedBetween(base, now, reset);
  const [baseKeys, nowKeys] = [new Set(base.entries.map(statementKey)), new Set(now.entries.map(statementKey))];
  const keptDelta = sum(deltas.filter((d) => topLevel(d) && baseKeys.has(statementKey(d))));
  const outsideNow = add(nowOthers, sum(now.entries.filter((e) => topLevel(e) && !baseKeys.has(statementKey(e)))));
  const outsideBase = reset
    ? ZERO
    : add(baseOthers, sum(base.entries.filter((e) => topLevel(e) && !nowKeys.has(statementKey(e)))));
  const outside = {
    totalMs: withoutRounding(outsideNow.totalMs - outsideBase.totalMs, outsideBase.totalMs),
    calls: outsideNow.calls - outsideBase.calls,
  };
  if (outside.totalMs < 0 || outside.calls < 0)
    return {
      known: false,
      reason: `statements left pg_stat_statements within the window (${evicted ? `evicted ${evicted === 1 ? 'once' : `${evicted} times`}` : 'evicted, or reset one by one'}) and took their counts with them`,
    };
  return { known: true, total: add(keptDelta, outside), outside, kept: base.entries.length, evicted };
}
