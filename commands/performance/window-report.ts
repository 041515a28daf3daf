import type { Thresholds } from '../../src/config/thresholds.js';
import { formatBytes, formatCount, formatPercent, percentOf, plural } from '../../src/report/format.js';
import { statusFor, worstStatus, type Report, type Status } from '../../src/report/model.js';
import { formatWindow, noHistoryReport, windowFootnotes, windowWords } from '../shared/history-window.js';
import type { DatabaseWindow, PerformanceWindowFindings } from './since.js';

/** Deadlocks per minute an experienced operator starts to worry at (FIELD-NOTES). */
const DEADLOCKS_PER_MINUTE_WARN = 5;
/** Below this many transactions in the window a rollback share is noise. */
const MIN_TRANSACTIONS = 1_000;

const rate = (value: number, unit: string) =>
  `${value === 0 ? '0' : value >= 100 ? formatCount(Math.round(value)) : value.toFixed(value >= 1 ? 1 : 3)}/${unit}`;

function databaseStatus(d: DatabaseWindow, t: Thresholds): { status: Status; causes: string[] } {
  const transactions = d.commits + d.rollbacks;
  const rollbackPct = percentOf(d.rollbacks, transactions);
  const rollbacks =
    rollbackPct !== null && transactions >= MIN_TRANSACTIONS ? statusFor(rollbackPct, t.rollbackPct) : 'ok';
  const deadlocks = d.deadlocksPerMinute > DEADLOCKS_PER_MINUTE_WARN ? 'warn' : 'ok';
  return {
    status: worstStatus(rollbacks, deadlocks),
    causes: [
      ...(rollbacks !== 'ok'
        ? [`${d.database}: rollbacks ${formatPercent(rollbackPct)} of transactions in the window`]
        : []),
      ...(deadlocks !== 'ok' ? [`${d.database}: ${rate(d.deadlocksPerMinute, 'min')} deadlocks`] : []),
    ],
  };
}

export function performanceWindowReport(
  findings: PerformanceWindowFindings,
  options: { limit: number },
  thresholds: Thresholds,
): Report {
  const title = `Performance over the last ${findings.state === 'ready' ? formatWindow(findings.window.requestedSeconds) : 'window'}`;
  if (findings.state !== 'ready') return noHistoryReport(findings, title);
  const judged = findings.databases.map((d) => databaseStatus(d, thresholds));
  const causes = judged.flatMap((j) => j.causes);
  const status = worstStatus(...judged.map((j) => j.status));
  const c = findings.checkpoints;
  const busiest = findings.databases[0];
  return {
    title,
    status,
    summary: [
      busiest
        ? `In the ${windowWords(findings.window)} the busiest database, ${busiest.database}, committed ${rate(busiest.commitsPerSecond, 's')}.`
        : `No database in the ${windowWords(findings.window)}.`,
      causes.length ? `Needs attention: ${causes.join('; ')}.` : '',
      `Checkpoints: ${rate(c.checkpointsPerMinute, 'min')} (${formatCount(c.requested)} requested, ${formatCount(c.timed)} timed).`,
    ]
      .filter(Boolean)
      .join(' '),
    reasons: causes,
    sections: [
      {
        kind: 'table',
        title: `Databases, per second unless marked (${plural(findings.databases.length, 'database')})`,
        columns: [
          { header: 'database' },
          { header: 'commits', align: 'right' },
          { header: 'rollbacks', align: 'right' },
          { header: 'deadlocks', align: 'right' },
          { header: 'temp bytes', align: 'right' },
          { header: 'cache hit', align: 'right' },
          { header: 'note' },
        ],
        rows: findings.databases
          .slice(0, options.limit)
          .map((d) => [
            d.database,
            rate(d.commitsPerSecond, 's'),
            rate(d.rollbacksPerSecond, 's'),
            rate(d.deadlocksPerMinute, 'min'),
            `${formatBytes(d.tempBytesPerSecond)}/s`,
            formatPercent(percentOf(d.blocksHit, d.blocksHit + d.blocksRead), 2),
            d.reset ? 'reset' : '',
          ]),
        empty: 'no databases',
      },
      {
        kind: 'facts',
        title: `Checkpoints (${c.source})`,
        facts: [
          { label: 'Per minute', value: rate(c.checkpointsPerMinute, 'min') },
          { label: 'Requested / timed', value: `${formatCount(c.requested)} / ${formatCount(c.timed)}` },
          { label: 'Buffers written', value: formatCount(c.buffersWritten) },
        ],
      },
    ],
    actions: [],
    footnotes: [
      'Rates are the differences between the snapshot the window starts at and a reading taken now, per second of the window.',
      ...windowFootnotes(
        findings.window,
        findings.databases.some((d) => d.reset) || c.reset,
        'The statistics of a database marked "reset", or the checkpointer,',
      ),
      ...(findings.restarted ? ['The server restarted within the window.'] : []),
    ],
    window: findings.window,
  };
}
