import type { Thresholds } from '../../src/config/thresholds.js';
import type { ReportContext } from '../../src/engine/command.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLargeCount,
  formatPercent,
  plural,
} from '../../src/report/format.js';
import {
  cumulativeStatus,
  statusFor,
  worstStatus,
  type Fact,
  type Report,
  type Status,
} from '../../src/report/model.js';
import { largestTablesSections, skippedFootnotes } from '../sizes.js';
import type { DatabaseFindings, DatabaseStats } from '../database.js';

/** Below these volumes a ratio says more about a fresh database than about a problem. */
const MIN_BLOCKS_FOR_CACHE_RATIO = 100_000;
const MIN_TRANSACTIONS_FOR_ROLLBACK_RATIO = 1_000;
export function databaseReport(
  findings: DatabaseFindings,
  { thresholds }: Pick<ReportContext<unknown>, 'thresholds'>,
): Report {
  const total = findings.connections.reduce((sum, c) => sum + c.count, 0);
  const statuses = healthStatuses(findings, thresholds);
  const freezePct = (100 * findings.xidAge) / findings.freezeMaxAge;
  const reasons = databaseReasons(findings, statuses);
  return {
    title: `Database ${findings.database}`,
    status: worstStatus(...Object.values(statuses)),
    summary: `${findings.database}: ${findings.bytes === null ? 'size not readable' : formatBytes(findings.bytes)}, ${plural(total, 'connection')}, XID age ${formatLargeCount(findings.xidAge)} (${formatPercent(freezePct, 0)} of autovacuum_freeze_max_age).${reasons.length ? ` Needs attention: ${reasons.join('; ')}.` : ''}`,
    reasons,
    sections: [
      { kind: 'facts', facts: overviewFacts(findings, statuses) },
      ...(findings.stats
        ? [
            {
              kind: 'facts' as const,
              title: `Activity since statistics reset${findings.stats.statsResetSeconds === null ? '' : ` (${formatDuration(findings.stats.statsResetSeconds)} ago)`}`,
              facts: activityFacts(findings.stats, statuses),
            },
          ]
        : []),
      {
        kind: 'table',
        title: 'Connections by state',
        columns: [
          { header: 'state' },
          { header: 'sessions', align: 'right' },
          { header: 'oldest transaction', align: 'right' },
        ],
        rows: findings.connections.map((c) => [
          c.state,
          formatCount(c.count),
          formatDuration(c.oldestTransactionSeconds),
        ]),
        empty: 'No client connections.',
      },
      ...(findings.relationsUnavailable
        ? [{ kind: 'text' as const, title: 'Largest tables', text: findings.relationsUnavailable }]
        : largestTablesSections(findings, findings.database)),
    ],
    actions: [],
    footnotes: [
      ...skippedFootnotes(findings.skipped),
      ...(findings.connections.some((c) => c.state === 'not visible')
        ? ['Some sessions belong to other users; grant pg_monitor (or pg_read_all_stats) to see their state.']
        : []),
      ...(statuses.xid !== 'ok' ? ['Run `wraparound` to see which tables hold the XID age back.'] : []),
    ],
  };
}
type Statuses = Record<'xid' | 'cacheHit' | 'rollbacks', Status>;

function healthStatuses(findings: DatabaseFindings, thresholds: Thresholds): Statuses {
  const stats = findings.stats;
  const blocks = stats ? stats.blocksHit + stats.blocksRead : 0;
  const transactions = stats ? stats.commits + stats.rollbacks : 0;
  return {
    xid: statusFor(Math.max(findings.xidAge, findings.multixactAge), thresholds.xidAge),
    // Lower is worse for the cache hit ratio: compare the miss share against the inverted thresholds.
    // Both ratios cover everything since the statistics reset: they warn at most (cumulativeStatus).
    cacheHit:
      stats?.cacheHitPct != null && blocks >= MIN_BLOCKS_FOR_CACHE_RATIO
        ? cumulativeStatus(
            statusFor(100 - stats.cacheHitPct, {
              warn: 100 - thresholds.cacheHitPct.warn,
              crit: 100 - thresholds.cacheHitPct.crit,
            }),
          )
        : 'ok',
    rollbacks:
      stats && transactions >= MIN_TRANSACTIONS_FOR_ROLLBACK_RATIO
        ? cumulativeStatus(statusFor((100 * stats.rollbacks) / transactions, thresholds.rollbackPct))
        : 'ok',
  };
}

function overviewFacts(findings: DatabaseFindings, statuses: Statuses): Fact[] {
  const limit = findings.connectionLimit >= 0 ? ` (limit ${formatCount(findings.connectionLimit)})` : '';
  const total = findings.connections.reduce((sum, c) => sum + c.count, 0);
  return [
    {
      label: 'Size',
      value:
        findings.bytes === null ? 'not readable (needs CONNECT or pg_read_all_stats)' : formatBytes(findings.bytes),
    },
    { label: 'Client connections', value: `${formatCount(total)}${limit}` },
    {
      label: 'XID age',
      value: `${formatLargeCount(findings.xidAge)} (${formatPercent((100 * findings.xidAge) / findings.freezeMaxAge, 0)} of autovacuum_freeze_max_age ${formatLargeCount(findings.freezeMaxAge)})`,
      status: statuses.xid,
    },
    { label: 'Multixact age', value: formatLargeCount(findings.multixactAge) },
  ];
}

function activityFacts(stats: DatabaseStats, statuses: Statuses): Fact[] {
  const transactions = stats.commits + stats.rollbacks;
  return [
    { label: 'Commits', value: formatCount(stats.commits) },
    {
      label: 'Rollbacks',
      value: `${formatCount(stats.rollbacks)}${transactions ? ` (${formatPercent((100 * stats.rollbacks) / transactions)} ${sinceReset(stats)})` : ''}`,
      status: statuses.rollbacks,
    },
    {
      label: 'Cache hit',
      value: `${formatPercent(stats.cacheHitPct, 2)} ${sinceReset(stats)}`,
      status: statuses.cacheHit,
    },
    { label: 'Temp files', value: `${formatCount(stats.tempFiles)} (${formatBytes(stats.tempBytes)})` },
    { label: 'Deadlocks', value: formatCount(stats.deadlocks) },
    { label: 'Recovery conflicts', value: formatCount(stats.conflicts) },
    {
      label: 'Sessions',
      value: `${formatCount(stats.sessions)} (${formatCount(stats.sessionsAbandoned)} abandoned, ${formatCount(stats.sessionsFatal)} fatal, ${formatCount(stats.sessionsKilled)} killed)`,
    },
  ];
}

/** The window a cumulative ratio covers, next to the ratio itself. */
function sinceReset(stats: DatabaseStats): string {
  return stats.statsResetSeconds === null
    ? 'since the server started'
    : `since statistics reset ${formatDuration(stats.statsResetSeconds)} ago`;
}

/** Each non-ok status with its figure and window, so warn and crit always say why. */
function databaseReasons(findings: DatabaseFindings, statuses: Statuses): string[] {
  const stats = findings.stats;
  const transactions = stats ? stats.commits + stats.rollbacks : 0;
  return [
    ...(statuses.xid !== 'ok'
      ? [
          `XID age ${formatLargeCount(Math.max(findings.xidAge, findings.multixactAge))} (${statuses.xid}; run \`wraparound\`)`,
        ]
      : []),
    ...(stats && statuses.cacheHit !== 'ok'
      ? [
          `cache hit ${formatPercent(stats.cacheHitPct, 2)} ${sinceReset(stats)} (${statuses.cacheHit}; a ratio since reset warns at most)`,
        ]
      : []),
    ...(stats && statuses.rollbacks !== 'ok'
      ? [
          `rollbacks ${formatPercent((100 * stats.rollbacks) / transactions)} of transactions ${sinceReset(stats)} (${statuses.rollbacks})`,
        ]
      : []),
  ];
}
