import type { Thresholds } from '../../src/config/thresholds.js';
import { formatCount, formatMs, formatPercent, percentOf, plural } from '../../src/report/format.js';
import { statusFor, type Report, type Section } from '../../src/report/model.js';
import type { WindowFindings, WindowStatement } from './since.js';
import { statementSections, tempWritten } from './statement-table.js';
import { formatWindow, noHistoryReport, windowFootnotes, windowWords } from '../shared/history-window.js';
import { coverageOf, coverageSentence, evictionFootnotes, othersSection, windowTimeMs } from './window-whole.js';

const BASELINE_NOTE: Record<WindowStatement['baseline'], string> = {
  counted: '',
  reset: 'reset',
  new: 'new',
  absent: 'upper bound',
};

export function sinceReport(
  findings: WindowFindings,
  options: { sort: string; minMeanMs: number },
  thresholds: Thresholds,
): Report {
  const title = `Slow queries over the last ${findings.state === 'ready' ? formatWindow(findings.window.requestedSeconds) : 'window'} (by ${options.sort})`;
  if (findings.state !== 'ready') return noHistoryReport(findings, title);
  const top = findings.statements[0];
  const slowest = Math.max(0, ...findings.statements.map((s) => s.meanMs / 1000));
  const status = statusFor(slowest, thresholds.longQuerySeconds);
  const timeMs = windowTimeMs(findings.whole, findings.totalMs);
  const coverage = coverageOf(findings.statements, findings.whole);
  const wholeRan = findings.whole.known && findings.whole.total.calls > 0;
  const summary = top
    ? `${ranWords(findings, windowWords(findings.window))}; by ${options.sort} the top one averaged ${formatMs(top.meanMs)} over ${plural(top.calls, 'call')} (${formatPercent(percentOf(top.totalMs, timeMs))} of the window's time). ${coverageSentence(coverage, findings.statements.length, false)}`.trimEnd()
    : `No statement ran in the ${windowWords(findings.window)}${options.minMeanMs ? ` with a mean of ${formatMs(options.minMeanMs)} or more` : ''}.`;
  return {
    title,
    status,
    summary,
    reasons:
      status === 'ok'
        ? []
        : [
            `a statement averaging ${formatMs(slowest * 1000)} per call in the window (${status} from ${formatMs(thresholds.longQuerySeconds[status] * 1000)})`,
          ],
    sections: withOthers(sections(findings.statements, timeMs), top || wholeRan ? othersSection(coverage) : undefined),
    actions: [],
    followUps: findings.statements.map((s, i) => ({
      command: 'explain' as const,
      args: [s.queryId],
      label: `Explain #${i + 1}`,
      row: i,
    })),
    footnotes: [
      'Figures are the differences between the snapshot the window starts at and a reading taken now.',
      ...windowFootnotes(findings.window, findings.reset, 'pg_stat_statements'),
      ...evictionFootnotes(findings.whole),
      ...(findings.statements.some((s) => s.baseline === 'absent')
        ? [
            '"upper bound": the statement was not among the 500 costliest when the window began, so it is counted from zero.',
          ]
        : []),
      ...(findings.statements.some((s) => s.baseline === 'reset')
        ? ['"reset": the entry was evicted and re-added (or reset) within the window; counted from then.']
        : []),
    ],
    window: findings.window,
  };
}

/** The others' line goes right under the table, before the top statement in full. */
const withOthers = ([table, ...rest]: Section[], others: Section | undefined): Section[] =>
  [table, others, ...rest].filter((s): s is Section => s !== undefined);

function sections(statements: WindowStatement[], totalMs: number): Section[] {
  const lines = statements.map((s) => ({ ...s, percentOfTotal: percentOf(s.totalMs, totalMs) }));
  return statementSections(lines, [
    { column: { header: 'temp', align: 'right' }, cell: (s) => tempWritten(s.tempWritten) },
    { column: { header: 'note' }, cell: (s) => BASELINE_NOTE[s.baseline] },
  ]);
}

/** "16 statements ran in the …", and how many more may have (not kept when the window began: counted from their start). */
function ranWords(findings: { ranStatements: number; uncertainStatements: number }, window: string): string {
  const ran = `${plural(findings.ranStatements, 'statement')} ran in the ${window}`;
  return findings.uncertainStatements
    ? `${ran}, and up to ${formatCount(findings.uncertainStatements)} more that the first snapshot did not keep`
    : ran;
}
