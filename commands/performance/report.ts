import type { Thresholds } from '../../src/config/thresholds.js';
import type { ReportContext } from '../../src/engine/command.js';
import { formatBytes, formatCount, formatDuration, formatMs, formatPercent, plural } from '../../src/report/format.js';
import { cumulativeStatus, statusFor, worstStatus, type Report, type Status } from '../../src/report/model.js';
import type { CheckpointActivity, DatabaseActivity, PerformanceFindings } from '../performance.js';

/** Below these, a ratio describes noise: a fresh or idle database. */
const MIN_TRANSACTIONS = 1_000;
const MIN_BLOCKS = 10_000;
const MIN_CHECKPOINTS = 10;

export function performanceReport(
  findings: PerformanceFindings,
  { options, thresholds }: Pick<ReportContext<{ limit: number }>, 'options' | 'thresholds'>,
): Report {
  const shown = findings.databases.slice(0, options.limit);
  const statuses = findings.databases.map((d) => databaseStatus(d, thresholds));
  const checkpointState = checkpointStatus(findings.checkpoints, thresholds);
  const status = worstStatus(checkpointState, ...statuses);
  const causes = findings.databases.flatMap((d) => databaseCauses(d, thresholds).map((c) => c.text));
  const summary = [
    causes.length
      ? `Needs attention: ${causes.join('; ')}.`
      : `${plural(findings.databases.length, 'database')} ${findings.databases.length === 1 ? 'looks' : 'look'} normal.`,
    `Checkpoints: ${formatCount(findings.checkpoints.requested)} requested, ${formatCount(findings.checkpoints.timed)} timed${checkpointState !== 'ok' ? ' (raise max_wal_size)' : ''}.`,
  ].join(' ');
  return {
    title: 'Performance',
    status,
    summary,
    reasons: [
      ...causes,
      ...(checkpointState !== 'ok'
        ? [
            `${formatPercent(findings.checkpoints.requestedPct)} of checkpoints requested rather than timed, since the last reset`,
          ]
        : []),
    ],
    sections: [
      {
        kind: 'table',
        title: 'Databases since their statistics were reset',
        columns: [
          { header: 'database' },
          { header: 'commits', align: 'right' },
          { header: 'rollbacks', align: 'right' },
          { header: 'rollback %', align: 'right' },
          { header: 'cache hit', align: 'right' },
          { header: 'temp files', align: 'right' },
          { header: 'temp bytes', align: 'right' },
          { header: 'deadlocks', align: 'right' },
          { header: 'conflicts', align: 'right' },
          { header: 'reset', align: 'right' },
        ],
        rows: shown.map(databaseRow),
        empty: 'no databases',
      },
      {
        kind: 'facts',
        title: `Checkpoints (${findings.checkpoints.source})`,
        facts: checkpointFacts(findings.checkpoints, checkpointState),
      },
    ],
    actions: [],
    footnotes: footnotes(findings, shown.length),
  };
}

/** Ratios are judged only once there is enough traffic for them to mean something. */
function databaseStatus(d: DatabaseActivity, t: Thresholds): Status {
  return worstStatus(...databaseCauses(d, t).map((c) => c.status));
}

/** The ratios that are not ok, with their figure; cumulative since the reset, so they warn at most. */
function databaseCauses(d: DatabaseActivity, t: Thresholds): { status: Status; text: string }[] {
  const rollbacks =
    d.rollbackPct !== null && d.commits + d.rollbacks >= MIN_TRANSACTIONS
      ? cumulativeStatus(statusFor(d.rollbackPct, t.rollbackPct))
      : 'ok';
  // Lower is worse for the cache hit ratio: negate both sides.
  const cache =
    d.cacheHitPct !== null && d.blocksHit + d.blocksRead >= MIN_BLOCKS
      ? cumulativeStatus(statusFor(-d.cacheHitPct, { warn: -t.cacheHitPct.warn, crit: -t.cacheHitPct.crit }))
      : 'ok';
  const window =
    d.statsResetSeconds === null
      ? 'since the server started'
      : `since statistics reset ${formatDuration(d.statsResetSeconds)} ago`;
  return [
    ...(rollbacks !== 'ok'
      ? [{ status: rollbacks, text: `${d.database}: rollbacks ${formatPercent(d.rollbackPct)} ${window}` }]
      : []),
    ...(cache !== 'ok'
      ? [{ status: cache, text: `${d.database}: cache hit ${formatPercent(d.cacheHitPct, 2)} ${window}` }]
      : []),
  ];
}

function checkpointStatus(c: CheckpointActivity, t: Thresholds): Status {
  if (c.requestedPct === null || c.timed + c.requested < MIN_CHECKPOINTS) return 'ok';
  return cumulativeStatus(statusFor(c.requestedPct, t.requestedCheckpointPct));
}

function databaseRow(d: DatabaseActivity): string[] {
  return [
    d.database,
    formatCount(d.commits),
    formatCount(d.rollbacks),
    formatPercent(d.rollbackPct),
    formatPercent(d.cacheHitPct, 2),
    formatCount(d.tempFiles),
    formatBytes(d.tempBytes),
    formatCount(d.deadlocks),
    formatCount(d.conflicts),
    d.statsResetSeconds === null ? 'never reset' : formatDuration(d.statsResetSeconds),
  ];
}

function checkpointFacts(c: CheckpointActivity, status: Status) {
  return [
    { label: 'Timed', value: formatCount(c.timed) },
    {
      label: 'Requested',
      value: c.requestedPct === null ? '0' : `${formatCount(c.requested)} (${formatPercent(c.requestedPct)} of all)`,
      status,
    },
    { label: 'Write / sync time', value: `${formatMs(c.writeTimeMs)} / ${formatMs(c.syncTimeMs)}` },
    { label: 'Buffers written', value: formatCount(c.buffersWritten) },
    ...(c.restartpointsTimed !== null
      ? [
          {
            label: 'Restartpoints timed / requested',
            value: `${formatCount(c.restartpointsTimed)} / ${formatCount(c.restartpointsRequested)}`,
          },
        ]
      : []),
    {
      label: 'Last reset',
      value: c.statsResetSeconds === null ? 'never' : `${formatDuration(c.statsResetSeconds)} ago`,
    },
  ];
}

function footnotes(findings: PerformanceFindings, shown: number): string[] {
  const notes = [
    'Totals since each statistics reset; for rates over a recent window, add --since 1h (from the query history).',
  ];
  if (findings.databases.length > shown)
    notes.push(`${plural(findings.databases.length - shown, 'more database')} not shown (raise --limit).`);
  if (findings.databases.some((d) => d.tempFiles > 0))
    notes.push('Temp files mean sorts or hashes spilled past work_mem; set log_temp_files to see which queries.');
  if (findings.databases.some((d) => d.deadlocks > 0))
    notes.push('PostgreSQL resolves deadlocks itself; set log_lock_waits = on and run `locks` while it happens.');
  if (findings.databases.some((d) => d.conflicts > 0))
    notes.push('Conflicts are standby queries cancelled by replay; see pg_stat_database_conflicts on the standby.');
  return notes;
}
