import { z } from 'zod';

/**
 * Warn/critical thresholds, higher is worse unless named otherwise. Defaults follow what experienced
 * operators use (shared/FIELD-NOTES.md §2); every one can be overridden per target in the config file.
 */
export const DEFAULT_THRESHOLDS = {
  /** Share of max_connections in use, in percent. */
  connectionsUsedPct: { warn: 80, crit: 90 },
  /** A session idle in transaction holds locks and the xmin horizon; 5 min is already unusual. */
  idleInTransactionSeconds: { warn: 300, crit: 900 },
  /** Queries running this long (walsenders and autovacuum excluded). */
  longQuerySeconds: { warn: 60, crit: 300 },
  /** A session waiting on a lock this long. */
  lockWaitSeconds: { warn: 10, crit: 60 },
  /**
   * Sessions waiting on locks at the same moment, however briefly: three means a queue is forming behind
   * one holder (a pile-up grows by the second under load, long before any single wait reaches 10 s).
   */
  lockWaitingSessions: { warn: 3, crit: 20 },
  /**
   * Share of active sessions waiting on locks, in percent, judged once lockWaitingSessions.warn are waiting:
   * with half of the work stuck, the application is effectively down whatever the absolute count.
   */
  lockStuckSharePct: { warn: 25, crit: 50 },
  /** Database XID age; forced shutdown comes near 2^31 ≈ 2.1 B. */
  xidAge: { warn: 1_000_000_000, crit: 1_400_000_000 },
  /** Standby replay lag in bytes (50 MiB / 100 MiB). */
  replicationLagBytes: { warn: 50 * 1024 * 1024, crit: 100 * 1024 * 1024 },
  /** Standby replay lag in seconds. */
  replicationLagSeconds: { warn: 5, crit: 60 },
  /** WAL a replication slot holds back from removal, in bytes (1 GiB / 10 GiB): an abandoned slot fills the disk. */
  slotRetainedWalBytes: { warn: 1024 ** 3, crit: 10 * 1024 ** 3 },
  /** Share of a sequence's usable range consumed (against the column type too), in percent. */
  sequenceUsedPct: { warn: 75, crit: 95 },
  /** Deadlocks per minute since the previous sample. */
  deadlocksPerMinute: { warn: 5, crit: 20 },
  /** Estimated reclaimable share of a relation, in percent (above the size floor). */
  bloatPct: { warn: 30, crit: 60 },
  /** Cache hit ratio in percent: LOWER is worse. OLTP databases normally sit above 99 %. */
  cacheHitPct: { warn: 95, crit: 90 },
  /** Rollbacks as a share of all transactions, in percent. */
  rollbackPct: { warn: 5, crit: 20 },
  /** Dead tuples as a multiple of the table's autovacuum trigger: 2× means autovacuum is behind. */
  vacuumTriggerRatio: { warn: 2, crit: 10 },
  /** Age of the oldest open transaction (or prepared transaction): it holds back the xmin horizon. */
  oldestTransactionSeconds: { warn: 300, crit: 3600 },
  /** Sessions a root blocker holds up (directly or through others) before it is alerted on, with lockWaitSeconds as the time. */
  rootBlockerSessions: { warn: 2, crit: 10 },
  /** Requested (not timed) checkpoints as a share of all, in percent: high means max_wal_size is too small. */
  requestedCheckpointPct: { warn: 20, crit: 50 },
} satisfies Record<string, { warn: number; crit: number }>;

export type ThresholdName = keyof typeof DEFAULT_THRESHOLDS;
export type Thresholds = Record<ThresholdName, { warn: number; crit: number }>;

const pair = z.object({ warn: z.number().optional(), crit: z.number().optional() }).strict();

export const thresholdOverridesSchema = z
  .object(
    Object.fromEntries(Object.keys(DEFAULT_THRESHOLDS).map((name) => [name, pair.optional()])) as Record<
      ThresholdName,
      z.ZodOptional<typeof pair>
    >,
  )
  .strict();

export type ThresholdOverrides = z.infer<typeof thresholdOverridesSchema>;

export function resolveThresholds(overrides: ThresholdOverrides | undefined): Thresholds {
  const result = structuredClone(DEFAULT_THRESHOLDS) as Thresholds;
  for (const [name, value] of Object.entries(overrides ?? {}) as [
    ThresholdName,
    { warn?: number; crit?: number } | undefined,
  ][]) {
    if (value?.warn !== undefined) result[name].warn = value.warn;
    if (value?.crit !== undefined) result[name].crit = value.crit;
  }
  return result;
}
