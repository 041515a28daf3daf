import { z } from 'zod';
import { commaList, presentValues } from './env-values.js';
import type { Env } from './load.js';
import { parseOrThrow } from './load.js';

/**
 * The state database (approval requests, audit log), who owns its schema, the simple approver list, and how
 * running healing actions are watched and stopped.
 *
 * PGMEDIC_STATE_DATABASE_URL has NO default on purpose: targets are reached with read-only monitoring
 * roles, and pgmedic never writes to a database it monitors unless told to. Without it, `url` is
 * undefined and healing stays off (fail closed); diagnostics work as before.
 */
export interface StateConfig {
  url: string | undefined;
  /** The role that owns pgmedic's schema and runs the migrations; `url`'s role then gets only what it needs. */
  ownerUrl: string | undefined;
  /** Slack user (U…/W…) and user group (S…) ids from PGMEDIC_APPROVERS. */
  approvers: string[];
  /** On SIGTERM/SIGINT, how long running commands and approved actions get before the rest are marked interrupted. */
  shutdownGraceMs: number;
  /** Executor heartbeat, silence after which another copy marks the action outcome unknown, and how often copies look. */
  limbo: { heartbeatMs: number; staleAfterMs: number; sweepMs: number };
}

/**
 * The executor beats every 10 s; 60 s of silence (six missed beats) means it stopped; every copy looks every 30 s.
 * A stopped executor is noticed within 60 + 30 = 90 s, inside the 2-minute promise.
 */
export const LIMBO_DEFAULTS = { heartbeatMs: 10_000, staleAfterMs: 60_000, sweepMs: 30_000 } as const;
/** Long enough for a typical VACUUM of a small table or a terminate to finish; short enough for process managers. */
export const SHUTDOWN_GRACE_DEFAULT_MS = 30_000;

const approverList = commaList(
  z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'comma-separated user IDs (U0123ABCD) or user group IDs (S0123ABCD)'),
);

/** Seconds as plain decimals ("30", "0.5"), within bounds; returned in milliseconds. */
const seconds = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine(
      (text) => /^\d{1,6}(\.\d{1,3})?$/.test(text) && Number(text) >= min && Number(text) <= max,
      `seconds as a plain number from ${min} to ${max}`,
    )
    .transform((text) => Math.round(Number(text) * 1000));

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// connection URL');

const envSchema = z
  .object({
    PGMEDIC_STATE_DATABASE_URL: postgresUrl.optional(),
    PGMEDIC_STATE_OWNER_URL: postgresUrl.optional(),
    PGMEDIC_APPROVERS: approverList,
    PGMEDIC_SHUTDOWN_GRACE_SECONDS: seconds(SHUTDOWN_GRACE_DEFAULT_MS / 1000, 0, 3600),
    PGMEDIC_HEARTBEAT_SECONDS: seconds(LIMBO_DEFAULTS.heartbeatMs / 1000, 0.1, 300),
    PGMEDIC_EXECUTOR_STALE_SECONDS: seconds(LIMBO_DEFAULTS.staleAfterMs / 1000, 0.3, 3600),
    PGMEDIC_LIMBO_SWEEP_SECONDS: seconds(LIMBO_DEFAULTS.sweepMs / 1000, 0.1, 3600),
  })
  .refine((env) => env.PGMEDIC_EXECUTOR_STALE_SECONDS >= 2 * env.PGMEDIC_HEARTBEAT_SECONDS, {
    path: ['PGMEDIC_EXECUTOR_STALE_SECONDS'],
    message: 'at least twice PGMEDIC_HEARTBEAT_SECONDS, or a live executor whose beat is a little late looks stopped',
  })
  .refine((env) => !env.PGMEDIC_STATE_OWNER_URL || env.PGMEDIC_STATE_DATABASE_URL, {
    path: ['PGMEDIC_STATE_OWNER_URL'],
    message: 'needs PGMEDIC_STATE_DATABASE_URL too (the runtime role)',
  });

export function loadStateConfig(env: Env = process.env): StateConfig {
  const present = presentValues(env, Object.keys(envSchema.shape));
  const parsed = parseOrThrow(envSchema, present, 'environment');
  return {
    url: parsed.PGMEDIC_STATE_DATABASE_URL,
    ownerUrl: parsed.PGMEDIC_STATE_OWNER_URL,
    approvers: parsed.PGMEDIC_APPROVERS,
    shutdownGraceMs: parsed.PGMEDIC_SHUTDOWN_GRACE_SECONDS,
    limbo: {
      heartbeatMs: parsed.PGMEDIC_HEARTBEAT_SECONDS,
      staleAfterMs: parsed.PGMEDIC_EXECUTOR_STALE_SECONDS,
      sweepMs: parsed.PGMEDIC_LIMBO_SWEEP_SECONDS,
    },
  };
}
