import { defineCommand } from '../../src/engine/command.js';
import { windowOption } from '../../src/engine/units.js';
import performance, { type PerformanceFindings } from '../performance.js';
import { collectPerformanceSince, type PerformanceWindowFindings } from './since.js';
import { performanceWindowReport } from './window-report.js';

const options = performance.options.extend({
  since: windowOption(
    'Rates over this window from the query history (1h, 24h, 7d) instead of totals since the reset; needs the state database',
  ),
});

type Findings = PerformanceFindings | PerformanceWindowFindings;

/** performance, plus rates over a window of the stored snapshots (`--since`); without it exactly as before. */
export default defineCommand({
  ...performance,
  options,
  async collect(context, o): Promise<Findings> {
    return o.since === undefined ? performance.collect(context, o) : collectPerformanceSince(context, o.since);
  },
  report(findings: Findings, context) {
    if ('kind' in findings) return performanceWindowReport(findings, context.options, context.thresholds);
    return performance.report(findings, context);
  },
});
