import type { OthersBucket, StatementReading } from '../db/counters.js';
import { columnsOf } from '../db/statement-columns.js';
import { compare, deltaOf, type IndexedColumns, indexed, placeIn, statementsReset } from './history-delta.js';

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

function evictedBetween(base: IndexedColumns, now: IndexedColumns, reset: boolean): number | null {
  if (now.dealloc === null) return null;
  if (reset) return now.dealloc;
  return base.dealloc === null || now.dealloc < base.dealloc ? null : now.dealloc - base.dealloc;
}

/** The top-level statements of `of` that `other` does not hold, summed as they stand (no delta). */
function notIn(of: IndexedColumns, other: IndexedColumns): TimeAndCalls {
  let [totalMs, calls] = [0, 0];
  for (let i = 0; i < of.queryIds.length; i++)
    if (of.toplevel[i] !== false && placeIn(other, of, i) === undefined) {
      totalMs += of.counters.totalMs[i]!;
      calls += of.counters.calls[i]!;
    }
  return { totalMs, calls };
}

/**
 * The window's whole between two readings: the kept statements' own deltas (the reset rules of compare) plus the
 * change in everything else. A pg_stat_statements_reset() in between counts everything from zero, like each
 * statement's delta. The query-time charts take it for every interval, `--since` and `--regressed` for their window.
 */
export function wholeBetween(base: IndexedColumns, baseTakenAt: Date, now: IndexedColumns): WindowWhole {
  if (!base.others || !now.others)
    return { known: false, reason: 'the snapshot the window starts at has no "all others" bucket' };
  const tracksNested =
    base.toplevel.includes(false) ||
    now.toplevel.includes(false) ||
    Boolean(now.others.nested?.entries || base.others.nested?.entries);
  const [baseOthers, nowOthers] = [topLevelOf(base.others, tracksNested), topLevelOf(now.others, tracksNested)];
  if (!baseOthers || !nowOthers)
    return {
      known: false,
      reason:
        'the snapshot the window starts at predates the split of nested statements (pg_stat_statements.track = all) from its "all others" bucket',
    };
  let kept = ZERO;
  // compare finds each statement's place in the base, except after a reset of everything (then all count from zero).
  const resetAll = statementsReset(base, now);
  const reset = compare(base, baseTakenAt, now, (i, j, baseline) => {
    const inBase = j !== undefined || (resetAll && placeIn(base, now, i) !== undefined);
    if (now.toplevel[i] === false || !inBase) return;
    kept = add(kept, {
      totalMs: deltaOf(now.counters.totalMs, base.counters.totalMs, i, j, baseline),
      calls: deltaOf(now.counters.calls, base.counters.calls, i, j, baseline),
    });
  });
  const evicted = evictedBetween(base, now, reset);
  const outsideNow = add(nowOthers, notIn(now, base));
  const outsideBase = reset ? ZERO : add(baseOthers, notIn(base, now));
  const outside = {
    totalMs: withoutRounding(outsideNow.totalMs - outsideBase.totalMs, outsideBase.totalMs),
    calls: outsideNow.calls - outsideBase.calls,
  };
  if (outside.totalMs < 0 || outside.calls < 0)
    return {
      known: false,
      reason: `statements left pg_stat_statements within the window (${evicted ? `evicted ${evicted === 1 ? 'once' : `${evicted} times`}` : 'evicted, or reset one by one'}) and took their counts with them`,
    };
  return { known: true, total: add(kept, outside), outside, kept: base.queryIds.length, evicted };
}

/** wholeBetween of two stored or current readings. */
export const windowWhole = (base: StatementReading, baseTakenAt: Date, now: StatementReading): WindowWhole =>
  wholeBetween(indexed(columnsOf(base)), baseTakenAt, indexed(columnsOf(now)));
