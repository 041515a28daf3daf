import { z } from 'zod';
import type { Env } from './load.js';
import { parseOrThrow } from './load.js';

/**
 * The state database (approval requests, audit log) and the simple approver list.
 *
 * PGMEDIC_STATE_DATABASE_URL has NO default on purpose: targets are reached with read-only monitoring
 * roles, and pgmedic never writes to a database it monitors unless told to. Without it, `url` is
 * undefined and healing stays off (fail closed); diagnostics work as before.
 */
export interface StateConfig {
  url: string | undefined;
  /** Slack user (U…/W…) and user group (S…) ids from PGMEDIC_APPROVERS. */
  approvers: string[];
}

const approverList = z
  .string()
  .default('')
  .transform((text) => text.split(',').map((item) => item.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'comma-separated user IDs (U0123ABCD) or user group IDs (S0123ABCD)')));

const envSchema = z.object({
  PGMEDIC_STATE_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// connection URL').optional(),
  PGMEDIC_APPROVERS: approverList,
});

export function loadStateConfig(env: Env = process.env): StateConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([key, value]) => key in envSchema.shape && value !== undefined && value !== ''));
  const parsed = parseOrThrow(envSchema, present, 'environment');
  return { url: parsed.PGMEDIC_STATE_DATABASE_URL, approvers: parsed.PGMEDIC_APPROVERS };
}
