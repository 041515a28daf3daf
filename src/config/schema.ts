import { z } from 'zod';
import { thresholdOverridesSchema } from './thresholds.js';

/** Defaults for every target, in one commented place. */
export const TARGET_DEFAULTS = {
  /** Small: pgmedic must never be the thing that exhausts max_connections. */
  poolSize: 3,
  connectTimeoutMs: 5_000,
  /** Diagnostics give up after this; the bot must keep answering while the database struggles. */
  statementTimeoutMs: 5_000,
  /** Never queue behind a migration's ACCESS EXCLUSIVE for long. */
  lockTimeoutMs: 500,
} as const;

export const targetNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use lowercase letters, digits, "-" and "_" (for example "prod" or "eu-replica")');

export const targetSchema = z
  .object({
    name: targetNameSchema,
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// connection URL'),
    /** Separate, privileged credentials for healing actions (used after approval only). */
    actionUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// connection URL').optional(),
    poolSize: z.number().int().min(1).max(20).default(TARGET_DEFAULTS.poolSize),
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(TARGET_DEFAULTS.connectTimeoutMs),
    statementTimeoutMs: z.number().int().min(100).max(600_000).default(TARGET_DEFAULTS.statementTimeoutMs),
    lockTimeoutMs: z.number().int().min(10).max(600_000).default(TARGET_DEFAULTS.lockTimeoutMs),
    thresholds: thresholdOverridesSchema.optional(),
  })
  .strict();

export type TargetConfig = z.infer<typeof targetSchema>;

export const fileConfigSchema = z
  .object({
    targets: z.array(targetSchema).min(1, 'list at least one target'),
    defaultTarget: targetNameSchema.optional(),
  })
  .strict();

export type FileConfig = z.infer<typeof fileConfigSchema>;

export interface Config {
  targets: TargetConfig[];
  defaultTarget: string | undefined;
}
