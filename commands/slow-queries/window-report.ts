import type { Thresholds } from '../../src/config/thresholds.js';
import { formatBytes, formatCount, formatMs, formatPercent, percentOf, plural } from '../../src/report/format.js';
import { statusFor, type Report, type Section } from '../../src/report/model.js';
import { queryColumn, querySection } from '../../src/report/query-text.js';
import type { WindowFindings, WindowStatement } from './since.js';
import { formatWindow, noHistoryReport, windowFootnotes, windowWords } from '../shared/history-window.js';

const BLOCK_SIZE_BYTES = 8192;

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
  const summary = top
    ? `${plural(findings.ranStatements, 'statement')} ran in the ${windowWords(findings.window)}; by ${options.sort} the top one averaged ${formatMs(top.meanMs)} over ${plural(top.calls, 'call')} (${formatPercent(percentOf(top.totalMs, findings.totalMs))} of the window's time).`
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
    sections: sections(findings.statements, findings.totalMs),
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

function sections(statements: WindowStatement[], totalMs: number): Section[] {
  if (!statements.length) return [];
  const right = 'right' as const;
  return [
    {
      kind: 'table',
      columns: [
        { header: '#', align: right },
        { header: 'queryid', align: right },
        { header: 'mean', align: right },
        { header: 'total', align: right },
        { header: '% time', align: right },
        { header: 'calls', align: right },
        { header: 'rows/call', align: right },
        { header: 'temp', align: right },
        { header: 'note' },
        queryColumn('query', 70),
      ],
      rows: statements.map((s, i) => [
        String(i + 1),
        s.queryId,
        formatMs(s.meanMs),
        formatMs(s.totalMs),
        formatPercent(percentOf(s.totalMs, totalMs)),
        formatCount(s.calls),
        formatCount(s.rows / s.calls),
        s.tempWritten ? formatBytes(s.tempWritten * BLOCK_SIZE_BYTES) : '',
        BASELINE_NOTE[s.baseline],
        s.query,
      ]),
    },
    querySection(
      `#1 in full${statements[0]!.database ? ` (database ${statements[0]!.database})` : ''}`,
      statements[0]!.query,
      600,
    ),
  ];
}
