import type { Pool } from '../db/driver.js';
import { digestCharts } from '../charts/charts.js';
import type { TrendDays } from '../charts/metrics.js';
import type { Digest } from './digest-model.js';
import type { Poster, ScheduleLog } from './poster.js';

/** The digest thread shows the last week; `/pg trend <metric> --days 30` gives the month. */
export const DIGEST_CHART_DAYS: TrendDays = 7;

/**
 * Each reachable target's trend charts as one upload in the digest's thread, from the snapshots the digest
 * has just stored. A chart that fails costs that target's charts, not the digest (logged).
 */
export async function postDigestCharts(
  ctx: { poster: Poster; log: ScheduleLog; statePool?: Pool },
  channel: string,
  threadTs: string,
  digest: Digest,
): Promise<void> {
  const { statePool, poster } = ctx;
  if (!statePool || !poster.attach) return;
  for (const target of digest.targets.filter((t) => t.reachable)) {
    try {
      const files = await digestCharts(statePool, target.target, digest.day, DIGEST_CHART_DAYS);
      if (files.length) await poster.attach(channel, threadTs, files);
    } catch (error) {
      ctx.log.warn(
        { digest: digest.name, target: target.target, error: error instanceof Error ? error.message : String(error) },
        'trend charts for the digest thread failed',
      );
    }
  }
}
