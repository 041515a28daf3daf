import type { Capabilities } from '../../src/db/capabilities.js';
import type { Session } from '../../src/db/session.js';
import { measureOne, pgstattupleAccess, type ExactUnavailable, type Measured } from './exact.js';
import { isTiny } from './relations.js';

/**
 * Time spent measuring relations whose pg_stats this role may not read, before the rest are reported as not
 * estimated. pgstattuple_approx skips all-visible pages, so most tables take milliseconds; one huge table
 * may take up to the statement timeout, after which nothing more is tried.
 */
export const HIDDEN_STATS_BUDGET_MS = 3_000;

/** Relations whose statistics were hidden: measured with pgstattuple instead, or not estimated. */
export interface HiddenStatsCheck {
  /** Candidates whose estimate rests on pg_stats rows this role may not see. */
  relations: number;
  /** Of those, measured with pgstattuple_approx / pgstatindex. */
  measured: number;
  /** schema.name of those left without a figure (no pgstattuple, no privilege, out of time, standby index). */
  notEstimated: string[];
  /** Why pgstattuple could not be used at all, when it could not. */
  unavailable: ExactUnavailable | null;
}

/**
 * pg_stats hides the columns a role may not SELECT, and a width-based estimate without them is wrong by any
 * factor (43 % against 2.6 % measured on pgbench_accounts as pg_monitor). pgstattuple needs no SELECT on the
 * table (pg_stat_scan_tables, part of pg_monitor, may call it), so it replaces those estimates, largest
 * estimated bloat first, within the time budget.
 */
export async function measureHidden(
  session: Session,
  caps: Capabilities,
  candidates: Measured[],
  blockSize: number,
  budgetMs = HIDDEN_STATS_BUDGET_MS,
): Promise<HiddenStatsCheck> {
  // A tiny relation cannot hide bloat worth having: it is left unestimated, unmeasured and unlisted.
  for (const m of candidates)
    if (m.relation.statsHidden && isTiny(m.relation, blockSize)) m.relation.notEstimated = true;
  const hidden = candidates
    .filter((m) => m.relation.statsHidden && !isTiny(m.relation, blockSize))
    .sort((a, b) => b.relation.bloatBytes - a.relation.bloatBytes);
  const check: HiddenStatsCheck = { relations: hidden.length, measured: 0, notEstimated: [], unavailable: null };
  if (!hidden.length) return check;
  check.unavailable = await pgstattupleAccess(session, caps);
  const started = performance.now();
  let stopped = check.unavailable !== null;
  for (const m of hidden) {
    const standbyIndex = caps.inRecovery && m.relation.kind === 'index';
    if (!stopped && !standbyIndex && performance.now() - started < budgetMs) {
      const outcome = await measureOne(session, caps, m, blockSize).catch((error: { code?: string }) =>
        error.code === '57014' ? 'timeout' : error.code === '55P03' ? 'locked' : Promise.reject(error),
      );
      if (outcome === true) {
        check.measured++;
        continue;
      }
      if (outcome === 'timeout') stopped = true;
    }
    m.relation.notEstimated = true;
    check.notEstimated.push(`${m.relation.schema}.${m.relation.index ?? m.relation.table}`);
  }
  return check;
}
