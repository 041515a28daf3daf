import {
  readCheckpointCounters,
  readDatabaseCounters,
  readServerClock,
  type CheckpointCounters,
  type DatabaseCounters,
} from '../../src/db/counters.js';
import type { CollectContext } from '../../src/engine/command.js';
import { subtract } from '../../src/engine/history-delta.js';
import type { ReportWindow } from '../../src/report/model.js';
import type { NoHistory } from '../shared/history-window.js';

/** One database's activity within the window, and its rates. */
export interface DatabaseWindow {
  database: string;
  commits: number;
  rollbacks: number;
  deadlocks: number;
  tempFiles: number;
  tempBytes: number;
  blocksRead: number;
  blocksHit: number;
  commitsPerSecond: number;
  rollbacksPerSecond: number;
  deadlocksPerMinute: number;
  tempBytesPerSecond: number;
  /** Its statistics were reset within the window (or it is new): counted from then, a lower bound. */
  reset: boolean;
}

export interface CheckpointWindow {
  source: CheckpointCounters['source'];
  timed: number;
  requested: number;
  checkpointsPerMinute: number;
  requestedPerMinute: number;
  buffersWritten: number;
  reset: boolean;
}

export type PerformanceWindowFindings =
  | NoHistory
  | {
      kind: 'window';
      state: 'ready';
      window: ReportWindow;
      databases: DatabaseWindow[];
      checkpoints: CheckpointWindow;
      /** The server restarted within the window. */
      restarted: boolean;
    };

const DATABASE_COUNTERS = [
  'commits',
  'rollbacks',
  'deadlocks',
  'tempFiles',
  'tempBytes',
  'blocksRead',
  'blocksHit',
] as const;
const CHECKPOINT_COUNTERS = ['timed', 'requested', 'buffersWritten'] as const;

/** `performance --since`: pg_stat_database and checkpointer rates between the window's first snapshot and now. */
export async function collectPerformanceSince(
  context: CollectContext,
  seconds: number,
): Promise<PerformanceWindowFindings> {
  const { session, history, target } = context;
  if (!history) return { kind: 'window', state: 'no-reader', target };
  const clock = await readServerClock(session);
  const databases = await readDatabaseCounters(session);
  const checkpoints = await readCheckpointCounters(session);
  const head = await history.baseline(new Date(clock.takenAt.getTime() - seconds * 1000));
  const base = head && (await history.snapshot(head.id));
  if (!head || !base) return { kind: 'window', state: 'no-snapshots', target };
  const elapsed = Math.max(1, (clock.takenAt.getTime() - base.takenAt.getTime()) / 1000);
  const before = new Map(base.databases.map((d) => [d.database, d]));
  return {
    kind: 'window',
    state: 'ready',
    window: {
      from: base.takenAt.toISOString(),
      to: clock.takenAt.toISOString(),
      seconds: elapsed,
      requestedSeconds: seconds,
      coversRequest: head.coversWindow,
    },
    databases: databases
      .map((d) => databaseWindow(d, before.get(d.database), elapsed))
      .sort((a, b) => b.commits + b.rollbacks - (a.commits + a.rollbacks) || a.database.localeCompare(b.database)),
    checkpoints: checkpointWindow(checkpoints, base.checkpoints, elapsed),
    restarted: base.postmasterStart !== clock.postmasterStart,
  };
}

function databaseWindow(now: DatabaseCounters, base: DatabaseCounters | undefined, seconds: number): DatabaseWindow {
  const epochChanged = !base || base.statsReset !== now.statsReset;
  const delta = subtract(now, epochChanged ? now : base, DATABASE_COUNTERS);
  const values = epochChanged ? pick(now, DATABASE_COUNTERS) : delta.values;
  return {
    database: now.database,
    ...values,
    commitsPerSecond: values.commits / seconds,
    rollbacksPerSecond: values.rollbacks / seconds,
    deadlocksPerMinute: (60 * values.deadlocks) / seconds,
    tempBytesPerSecond: values.tempBytes / seconds,
    reset: epochChanged || delta.reset,
  };
}

function checkpointWindow(now: CheckpointCounters, base: CheckpointCounters, seconds: number): CheckpointWindow {
  const epochChanged = base.statsReset !== now.statsReset || base.source !== now.source;
  const delta = subtract(now, epochChanged ? now : base, CHECKPOINT_COUNTERS);
  const values = epochChanged ? pick(now, CHECKPOINT_COUNTERS) : delta.values;
  return {
    source: now.source,
    ...values,
    checkpointsPerMinute: (60 * (values.timed + values.requested)) / seconds,
    requestedPerMinute: (60 * values.requested) / seconds,
    reset: epochChanged || delta.reset,
  };
}

function pick<K extends string>(row: Readonly<Record<K, number>>, keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, row[k]])) as Record<K, number>;
}
