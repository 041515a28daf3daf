import { z } from 'zod';
import { defineCommand } from '../../src/engine/command.js';
import { intOption, windowOption } from '../../src/engine/units.js';
import slowQueries, { type SlowQueriesFindings } from '../slow-queries.js';
import { collectRegressed, regressedReport, type RegressedFindings } from './regressed.js';
import { collectSince, type WindowFindings } from './since.js';
import { sinceReport } from './window-report.js';

const DAY_SECONDS = 86_400;

const options = slowQueries.options.extend({
  since: windowOption(
    'Figures over this window from the query history (1h, 24h, 7d) instead of since the last reset; needs the state database',
  ),
  regressed: z
    .boolean()
    .default(false)
    .describe('Statements whose mean time rose most against the window before (--since, default 24h)'),
  minCalls: intOption(1, 1_000_000, 20, 'With --regressed: calls a statement needs in each window to be compared'),
});

type Findings = SlowQueriesFindings | WindowFindings | RegressedFindings;

/** slow-queries, plus the query history's windows (`--since`, `--regressed`); without them exactly as before. */
export default defineCommand({
  ...slowQueries,
  options,
  async collect(context, o): Promise<Findings> {
    if (o.regressed)
      return (
        (await collectRegressed(context, { since: o.since ?? DAY_SECONDS, minCalls: o.minCalls, limit: o.limit })) ??
        slowQueries.collect(context, o)
      );
    if (o.since === undefined) return slowQueries.collect(context, o);
    // null: pg_stat_statements cannot be read now, and the plain report says how to set it up.
    return (await collectSince(context, { ...o, since: o.since })) ?? slowQueries.collect(context, o);
  },
  report(findings: Findings, context) {
    if ('kind' in findings) {
      if (findings.kind === 'regressed' || findings.state === 'too-short' || context.options.regressed)
        return regressedReport(findings as RegressedFindings, context.thresholds);
      return sinceReport(findings as WindowFindings, context.options, context.thresholds);
    }
    return slowQueries.report(findings, context);
  },
});
