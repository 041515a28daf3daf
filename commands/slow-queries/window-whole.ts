import type { TimeAndCalls, WindowWhole } from '../../src/engine/history-totals.js';
import { formatCount, formatMs, formatPercent, percentOf, plural } from '../../src/report/format.js';
import type { Section } from '../../src/report/model.js';

/** A listed statement as far as the window's whole is concerned. */
type Listed = TimeAndCalls & { toplevel: boolean | null };

/**
 * What a window report says about the statements it does not list: the share the listed ones cover, the rest
 * ("all other statements") and the part of it outside the statements the snapshots kept. Shares count top-level
 * statements only, as the whole does.
 */
export interface Coverage {
  whole: WindowWhole;
  listedMs: number;
  /** The window minus the listed; undefined when the whole is unknown or the listed (upper bounds) exceed it. */
  rest?: TimeAndCalls;
}

export function coverageOf(listed: readonly Listed[], whole: WindowWhole): Coverage {
  const top = listed.filter((s) => s.toplevel !== false);
  const listedMs = top.reduce((sum, s) => sum + s.totalMs, 0);
  if (!whole.known) return { whole, listedMs };
  const rest = {
    totalMs: whole.total.totalMs - listedMs,
    calls: whole.total.calls - top.reduce((sum, s) => sum + s.calls, 0),
  };
  // Rounding aside, the listed can exceed the whole only when some are counted from zero ("upper bound").
  const exceeds = rest.calls < 0 || rest.totalMs < -1e-6 * Math.max(1, listedMs);
  return exceeds ? { whole, listedMs } : { whole, listedMs, rest: { ...rest, totalMs: Math.max(0, rest.totalMs) } };
}

/** The window's time that shares are taken of: the whole when known, else what the listed statements' deltas add up to. */
export const windowTimeMs = (whole: WindowWhole, deltasMs: number) => (whole.known ? whole.total.totalMs : deltasMs);

const atLeast = (whole: WindowWhole) => (whole.known && whole.evicted ? 'at least ' : '');

/**
 * For the summary: "The 10 listed cover 87.5% of the window's 12s of statement time." After evictions the whole
 * is a lower bound, so the share is an upper one. `why`: with the reason when unknown (the line under the table
 * says it otherwise).
 */
export function coverageSentence(c: Coverage, count: number, why = true): string {
  const listed = count === 1 ? 'The listed statement covers' : `The ${count} listed cover`;
  if (!c.whole.known)
    return `What share of the window's statement time the listed statements cover is unknown${why ? `: ${c.whole.reason}` : ''}.`;
  const { totalMs } = c.whole.total;
  if (!totalMs) return '';
  const share = formatPercent(percentOf(c.listedMs, totalMs));
  return c.whole.evicted
    ? `${listed} at most ${share} of the window's statement time (at least ${formatMs(totalMs)}: pg_stat_statements evicted entries).`
    : `${listed} ${share} of the window's ${formatMs(totalMs)} of statement time.`;
}

const timeIn = (t: TimeAndCalls) => `${formatMs(t.totalMs)} in ${plural(t.calls, 'call')}`;

/**
 * The line under the table: "All other statements: 1.2s in 3,400 calls, 4.0% of the window's time. Statements
 * outside the 500 …: …" (those may include listed ones, a statement that began within the window among them).
 */
export function othersSection(c: Coverage): Section {
  const { whole, rest } = c;
  let text: string;
  if (!whole.known) text = `All other statements: unknown, as ${whole.reason}.`;
  else if (!rest)
    text = `All other statements: unknown, as the statements marked "upper bound" count time from before the window.`;
  else
    text =
      `All other statements: ${atLeast(whole)}${timeIn(rest)}, ${formatPercent(percentOf(rest.totalMs, whole.total.totalMs))} of the window's time. ` +
      `Statements outside the ${formatCount(whole.kept)} the window's first snapshot kept: ${atLeast(whole)}${timeIn(whole.outside)}.`;
  return { kind: 'text', text };
}

/** Why figures are lower bounds when pg_stat_statements evicted entries within the window, and what to change. */
export function evictionFootnotes(whole: WindowWhole): string[] {
  if (!whole.known || !whole.evicted) return [];
  return [
    `pg_stat_statements evicted its least-used entries ${plural(whole.evicted, 'time')} within the window (pg_stat_statements.max is full), and their counts with them: the window's total time is a lower bound. A larger pg_stat_statements.max keeps them.`,
  ];
}
