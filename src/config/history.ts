import { z } from 'zod';
import type { Env } from './load.js';
import { parseOrThrow } from './load.js';
import { cronExpression } from './schedule-schema.js';

/** The query history's snapshots (src/schedule/history): when the bot takes them and how long they are kept. */
export interface SnapshotConfig {
  /** node-cron expression, or null when PGMEDIC_SNAPSHOT_CRON=off. Times are UTC. */
  cron: string | null;
  retentionDays: number;
}

export const SNAPSHOT_DEFAULTS = { cron: '*/15 * * * *', retentionDays: 35 } as const;

const envSchema = z.object({
  PGMEDIC_SNAPSHOT_CRON: z.union([z.literal('off'), cronExpression]).default(SNAPSHOT_DEFAULTS.cron),
  PGMEDIC_SNAPSHOT_RETENTION_DAYS: z
    .string()
    .default(String(SNAPSHOT_DEFAULTS.retentionDays))
    .refine((text) => /^[0-9]{1,3}$/.test(text) && Number(text) >= 3 && Number(text) <= 400, {
      message: 'a whole number of days from 3 to 400, in digits (e.g. 35)',
    })
    .transform(Number),
});

export function loadSnapshotConfig(env: Env = process.env): SnapshotConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in envSchema.shape && value !== undefined && value !== ''),
  );
  const parsed = parseOrThrow(envSchema, present, 'environment');
  return {
    cron: parsed.PGMEDIC_SNAPSHOT_CRON === 'off' ? null : parsed.PGMEDIC_SNAPSHOT_CRON,
    retentionDays: parsed.PGMEDIC_SNAPSHOT_RETENTION_DAYS,
  };
}
