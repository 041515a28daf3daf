import { secondsSince } from '../src/db/sql.js';
import { z } from 'zod';
import type { Thresholds } from '../src/config/thresholds.js';
import { defineCommand } from '../src/engine/command.js';
import { intOption } from '../src/engine/units.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatMs,
  formatPercent,
  percentOf,
  plural,
} from '../src/report/format.js';
import { cumulativeStatus, statusFor, worstStatus, type Report, type Status } from '../src/report/model.js';

/** One database's counters since its statistics were last reset (pg_stat_database). */
export interface DatabaseActivity {
  database: string;
  commits: number;
  rollbacks: number;
  /** Rollbacks as a share of all transactions; null before any transaction. */
  rollbackPct: number | null;
  blocksHit: number;
  blocksRead: number;
  cacheHitPct: number | null;
  tempFiles: number;
  tempBytes: number;
  deadlocks: number;
  /** Queries cancelled on a standby because replay needed what they used. */
  conflicts: number;
  statsResetSeconds: number | null;
}

export interface CheckpointActivity {
  /** pg_stat_checkpointer on 17+, pg_stat_bgwriter before. */
  source: 'pg_stat_checkpointer' | 'pg_stat_bgwriter';
  timed: number;
  /** Forced by max_wal_size, a CHECKPOINT command, a shutdown or a backup start. */
  requested: number;
  requestedPct: number | null;
  writeTimeMs: number;
  syncTimeMs: number;
  buffersWritten: number;
  /** Restartpoints (a standby's checkpoints) are counted apart from 17 on; null before. */
  restartpointsTimed: number | null;
  restartpointsRequested: number | null;
  statsResetSeconds: number | null;
}

export interface PerformanceFindings {
  databases: DatabaseActivity[];
  checkpoints: CheckpointActivity;
  /**
   * Server clock (epoch seconds) when the counters were read: with a stored previous sample,
   * ratesBetween() turns two samples into per-second rates. Until one exists, totals are shown.
   */
  sampledAtEpoch: number;
}

/** Below these, a ratio describes noise: a fresh or idle database. */
const MIN_TRANSACTIONS = 1_000;
const MIN_BLOCKS = 10_000;
const MIN_CHECKPOINTS = 10;

const DATABASES_SQL = `
SELECT s.datname AS database, s.xact_commit::float8 AS commits, s.xact_rollback::float8 AS rollbacks,
       s.blks_hit::float8 AS blocks_hit, s.blks_read::float8 AS blocks_read,
       s.temp_files::float8 AS temp_files, s.temp_bytes::float8 AS temp_bytes,
       s.deadlocks::float8 AS deadlocks, s.conflicts::float8 AS conflicts,
       ${secondsSince('s.stats_reset')} AS stats_reset_seconds
FROM pg_catalog.pg_stat_database s
JOIN pg_catalog.pg_database d ON d.oid = s.datid
WHERE NOT d.datistemplate
ORDER BY s.xact_commit + s.xact_rollback DESC, s.datname`;

// PostgreSQL 17 moved the checkpoint counters to pg_stat_checkpointer and counts restartpoints apart.
const CHECKPOINTS_SQL = {
  140000: `
SELECT 'pg_stat_bgwriter' AS source, checkpoints_timed::float8 AS timed, checkpoints_req::float8 AS requested,
       checkpoint_write_time::float8 AS write_time_ms, checkpoint_sync_time::float8 AS sync_time_ms,
       buffers_checkpoint::float8 AS buffers_written, NULL::float8 AS restartpoints_timed, NULL::float8 AS restartpoints_requested,
       ${secondsSince('stats_reset')} AS stats_reset_seconds
FROM pg_catalog.pg_stat_bgwriter`,
  170000: `
SELECT 'pg_stat_checkpointer' AS source, num_timed::float8 AS timed, num_requested::float8 AS requested,
       write_time::float8 AS write_time_ms, sync_time::float8 AS sync_time_ms,
       buffers_written::float8 AS buffers_written, restartpoints_timed::float8 AS restartpoints_timed,
       restartpoints_req::float8 AS restartpoints_requested,
       ${secondsSince('stats_reset')} AS stats_reset_seconds
FROM pg_catalog.pg_stat_checkpointer`,
};

const SAMPLED_AT_SQL = `SELECT extract(epoch FROM now())::float8 AS epoch`;

interface DatabaseRow {
  database: string;
  commits: number;
  rollbacks: number;
  blocks_hit: number;
  blocks_read: number;
  temp_files: number;
  temp_bytes: number;
  deadlocks: number;
  conflicts: number;
  stats_reset_seconds: number | null;
}
interface CheckpointRow {
  source: CheckpointActivity['source'];
  timed: number;
  requested: number;
  write_time_ms: number;
  sync_time_ms: number;
  buffers_written: number;
  restartpoints_timed: number | null;
  restartpoints_requested: number | null;
  stats_reset_seconds: number | null;
}

export default defineCommand({
  name: 'performance',
  summary:
    'Per database since stats reset: commits, rollbacks, cache hits, temp files, deadlocks, conflicts; checkpoint pressure',
  kind: 'diagnostic',
  options: z.object({
    limit: intOption(1, 100, 20, 'Databases to show (busiest first)'),
  }),
  sql: { databases: DATABASES_SQL, checkpoints: CHECKPOINTS_SQL, sampledAt: SAMPLED_AT_SQL },

  async collect({ session }) {
    const rows = await session.query<DatabaseRow>(DATABASES_SQL);
    const [checkpoint] = await session.query<CheckpointRow>(CHECKPOINTS_SQL);
    const [sampled] = await session.query<{ epoch: number }>(SAMPLED_AT_SQL);
    return { databases: rows.map(toActivity), checkpoints: toCheckpoints(checkpoint!), sampledAtEpoch: sampled!.epoch };
  },

  report(findings, { options, thresholds }): Report {
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
  },
});

function toActivity(row: DatabaseRow): DatabaseActivity {
  const transactions = row.commits + row.rollbacks;
  const blocks = row.blocks_hit + row.blocks_read;
  return {
    database: row.database,
    commits: row.commits,
    rollbacks: row.rollbacks,
    rollbackPct: percentOf(row.rollbacks, transactions),
    blocksHit: row.blocks_hit,
    blocksRead: row.blocks_read,
    cacheHitPct: percentOf(row.blocks_hit, blocks),
    tempFiles: row.temp_files,
    tempBytes: row.temp_bytes,
    deadlocks: row.deadlocks,
    conflicts: row.conflicts,
    statsResetSeconds: row.stats_reset_seconds,
  };
}

function toCheckpoints(row: CheckpointRow): CheckpointActivity {
  const total = row.timed + row.requested;
  return {
    source: row.source,
    timed: row.timed,
    requested: row.requested,
    requestedPct: percentOf(row.requested, total),
    writeTimeMs: row.write_time_ms,
    syncTimeMs: row.sync_time_ms,
    buffersWritten: row.buffers_written,
    restartpointsTimed: row.restartpoints_timed,
    restartpointsRequested: row.restartpoints_requested,
    statsResetSeconds: row.stats_reset_seconds,
  };
}

/** Ratios are judged only once there is enough traffic for them to mean something. */
export function databaseStatus(d: DatabaseActivity, t: Thresholds): Status {
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

export function checkpointStatus(c: CheckpointActivity, t: Thresholds): Status {
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
    { label: 'Requested', value: `${formatCount(c.requested)} (${formatPercent(c.requestedPct)} of all)`, status },
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
    'Totals since each statistics reset; per-second rates need a previous sample (ratesBetween) and appear once samples are stored.',
  ];
  if (findings.databases.length > shown)
    notes.push(`${findings.databases.length - shown} more databases not shown (raise --limit).`);
  if (findings.databases.some((d) => d.tempFiles > 0))
    notes.push('Temp files mean sorts or hashes spilled past work_mem; set log_temp_files to see which queries.');
  if (findings.databases.some((d) => d.deadlocks > 0))
    notes.push('PostgreSQL resolves deadlocks itself; set log_lock_waits = on and run `locks` while it happens.');
  if (findings.databases.some((d) => d.conflicts > 0))
    notes.push('Conflicts are standby queries cancelled by replay; see pg_stat_database_conflicts on the standby.');
  return notes;
}

export interface ActivityRates {
  database: string;
  commitsPerSecond: number;
  rollbacksPerSecond: number;
  deadlocksPerMinute: number;
  tempBytesPerSecond: number;
}

/**
 * Per-second rates between two samples of the same server. A database whose counters went down
 * (statistics reset in between) or that is new has no rate.
 */
export function ratesBetween(previous: PerformanceFindings, current: PerformanceFindings): ActivityRates[] {
  const seconds = current.sampledAtEpoch - previous.sampledAtEpoch;
  if (seconds <= 0) return [];
  const before = new Map(previous.databases.map((d) => [d.database, d]));
  return current.databases.flatMap((d) => {
    const p = before.get(d.database);
    if (!p || d.commits < p.commits || d.rollbacks < p.rollbacks) return [];
    return [
      {
        database: d.database,
        commitsPerSecond: (d.commits - p.commits) / seconds,
        rollbacksPerSecond: (d.rollbacks - p.rollbacks) / seconds,
        deadlocksPerMinute: (60 * (d.deadlocks - p.deadlocks)) / seconds,
        tempBytesPerSecond: (d.tempBytes - p.tempBytes) / seconds,
      },
    ];
  });
}
