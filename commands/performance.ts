import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { intOption } from '../src/engine/units.js';
import { percentOf } from '../src/report/format.js';
import { performanceReport } from './performance/report.js';
import {
  CHECKPOINTS_SQL,
  DATABASES_SQL,
  SAMPLED_AT_SQL,
  type CheckpointRow,
  type DatabaseRow,
} from './performance/sql.js';

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

  report: performanceReport,
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
