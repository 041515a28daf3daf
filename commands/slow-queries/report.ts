import type { ReportContext } from '../../src/engine/command.js';
import { formatCount, formatMs, formatPercent, plural } from '../../src/report/format.js';
import { statusFor, type Report } from '../../src/report/model.js';
import type { SlowQueriesFindings } from '../slow-queries.js';
import { statementSections, tempWritten } from './statement-table.js';

type Available = Extract<SlowQueriesFindings, { available: true }>;
type Options = { sort: 'total' | 'mean' | 'calls'; minMeanMs: number };

export function slowQueriesReport(
  findings: SlowQueriesFindings,
  { options, thresholds }: Pick<ReportContext<Options>, 'options' | 'thresholds'>,
): Report {
  if (!findings.available) return unavailableReport(findings);
  const slowestMeanSeconds = Math.max(0, ...findings.statements.map((s) => s.meanMs / 1000));
  const status = statusFor(slowestMeanSeconds, thresholds.longQuerySeconds);
  return {
    title: `Slow queries (by ${options.sort})`,
    status,
    summary: summaryLine(findings, options),
    reasons:
      status === 'ok'
        ? []
        : [
            `a statement averaging ${formatMs(slowestMeanSeconds * 1000)} per call (${status} from ${formatMs(thresholds.longQuerySeconds[status] * 1000)})`,
          ],
    sections: statementSections(findings.statements, [
      { column: { header: 'hit %', align: 'right' }, cell: (s) => formatPercent(s.sharedHitPercent) },
      { column: { header: 'temp', align: 'right' }, cell: (s) => tempWritten(s.tempBlocksWritten) },
    ]),
    actions: [],
    // One per row that has a queryid, numbered like the table's # column.
    followUps: findings.statements.flatMap((s, i) =>
      s.queryId ? [{ command: 'explain' as const, args: [s.queryId], label: `Explain #${i + 1}`, row: i }] : [],
    ),
    footnotes: footnotes(findings),
  };
}

function summaryLine(findings: Available, options: Options): string {
  const top = findings.statements[0];
  if (top)
    return `${plural(findings.trackedStatements, 'statement')} tracked; by ${options.sort} the top one averages ${formatMs(top.meanMs)} over ${plural(top.calls, 'call')} (${formatPercent(top.percentOfTotal)} of all time).`;
  return `No statement matches (${plural(findings.trackedStatements, 'statement')} tracked${options.minMeanMs ? `, none with a mean of ${formatMs(options.minMeanMs)} or more` : ''}).`;
}

function footnotes(findings: Available): string[] {
  return [
    'Times are execution times accumulated since pg_stat_statements was last reset; % time is the share of all top-level execution time.',
    ...(findings.statements.some((s) => s.queryId)
      ? [
          `To see a statement's plan: explain <queryid>, for example \`explain ${findings.statements.find((s) => s.queryId)!.queryId}\`.`,
        ]
      : []),
    ...(findings.statements.some((s) => s.toplevel === false)
      ? [
          'Statements run inside functions are listed too (toplevel = false); their time is also part of the calling statement.',
        ]
      : []),
    ...(findings.seesAllStatements
      ? []
      : [
          "This role lacks pg_read_all_stats, so other roles' statements show as <insufficient privilege>: GRANT pg_monitor TO it.",
        ]),
    ...(findings.deallocations
      ? [
          `${formatCount(findings.deallocations)} entries were evicted for lack of room; raise pg_stat_statements.max (needs a restart) to keep rare statements.`,
        ]
      : []),
  ];
}

function unavailableReport(findings: Extract<SlowQueriesFindings, { available: false }>): Report {
  const preload =
    "shared_preload_libraries = 'pg_stat_statements'   # postgresql.conf; keep libraries already listed, comma-separated";
  const create = 'CREATE EXTENSION pg_stat_statements;   -- in this database';
  const steps = findings.preloaded
    ? [create]
    : [
        preload,
        '-- then restart PostgreSQL: the library loads only at server start',
        ...(findings.reason === 'not-installed' ? [create] : []),
      ];
  return {
    title: 'Slow queries',
    status: 'warn',
    summary:
      findings.reason === 'not-preloaded'
        ? 'pg_stat_statements is installed but not loaded, so it records nothing: add it to shared_preload_libraries and restart PostgreSQL.'
        : findings.preloaded
          ? 'pg_stat_statements is loaded but not installed in this database: run CREATE EXTENSION pg_stat_statements here.'
          : 'pg_stat_statements is not set up: add it to shared_preload_libraries, restart PostgreSQL, then CREATE EXTENSION pg_stat_statements.',
    reasons: [
      findings.reason === 'not-preloaded'
        ? 'pg_stat_statements is not loaded (shared_preload_libraries)'
        : 'pg_stat_statements is not installed in this database',
    ],
    sections: [{ kind: 'code', title: 'To enable it', text: steps.join('\n') }],
    actions: [],
    footnotes: [
      'Creating the extension needs a role with CREATE on the database; reading every statement needs pg_read_all_stats (or pg_monitor).',
    ],
  };
}
