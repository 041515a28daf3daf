import { z } from 'zod';
import type { AlertsConfig, DigestSchedule } from './schedule-schema.js';
import { thresholdOverridesSchema } from './thresholds.js';
import { QUERY_TEXT_MODES } from '../redact/modes.js';

/** How often databases are re-discovered on servers with `discover: all-databases`. */
export const DISCOVERY_DEFAULT_INTERVAL_SECONDS = 300;

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
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'use lowercase letters, digits, "-" and "_" (for example "prod" or "eu-replica")',
  );

export const targetSchema = z
  .object({
    name: targetNameSchema,
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// connection URL'),
    /** Separate, privileged credentials for healing actions (used after approval only). */
    actionUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// connection URL')
      .optional(),
    poolSize: z.number().int().min(1).max(20).default(TARGET_DEFAULTS.poolSize),
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(TARGET_DEFAULTS.connectTimeoutMs),
    statementTimeoutMs: z.number().int().min(100).max(600_000).default(TARGET_DEFAULTS.statementTimeoutMs),
    lockTimeoutMs: z.number().int().min(10).max(600_000).default(TARGET_DEFAULTS.lockTimeoutMs),
    thresholds: thresholdOverridesSchema.optional(),
    /**
     * Healing actions on this target: off switch, a stricter approval count (src/heal/policy.ts), and the action
     * connection's statement and lock timeouts, replacing each action's own (src/heal/execute.ts).
     */
    healing: z
      .object({
        enabled: z.boolean().optional(),
        approvalsRequired: z.number().int().min(1).max(10).optional(),
        statementTimeoutMs: z
          .number()
          .int()
          .min(1_000)
          .max(24 * 60 * 60 * 1000)
          .optional(),
        lockTimeoutMs: z
          .number()
          .int()
          .min(10)
          .max(24 * 60 * 60 * 1000)
          .optional(),
      })
      .strict()
      .optional(),
    /** How query text from this server is shown and stored: full (passwords still masked), redacted (default), hidden. */
    queryText: z.enum(QUERY_TEXT_MODES, 'use full, redacted or hidden').optional(),
    /** Slack channels allowed to query this target (IDs such as C0123ABCD, or "#name"); unset means every channel. */
    channels: z
      .array(
        z
          .string()
          .regex(
            /^([CGD][A-Z0-9]{2,}|#[a-z0-9][a-z0-9_-]{0,79})$/,
            'a channel ID such as C0123ABCD or a name such as "#incidents"',
          ),
      )
      .optional(),
    /**
     * `all-databases`: besides this target, every database of its server the role may connect to becomes a target
     * named `<name>/<database>` with these same settings (src/db/discover.ts), re-discovered periodically.
     */
    discover: z.literal('all-databases', 'the only discovery is "all-databases"').optional(),
    /** With discover: only databases matching one of these patterns (`*` any characters, `?` one). */
    include: z.array(z.string().min(1).max(200)).optional(),
    /** With discover: databases matching one of these patterns are left out (after include). */
    exclude: z.array(z.string().min(1).max(200)).optional(),
    /** Slack users (U…/W…) or user groups (S…) allowed to query this target; unset means everyone in an allowed channel. */
    users: z
      .array(
        z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'a user ID such as U0123ABCD or a user group ID such as S0123ABCD'),
      )
      .optional(),
  })
  .strict();

export type TargetConfig = z.infer<typeof targetSchema>;

const slackPrincipal = z
  .string()
  .regex(/^[UWS][A-Z0-9]{2,}$/, 'a user ID such as U0123ABCD or a user group ID such as S0123ABCD');

/** The optional `healing:` section: who approves what (defaults live in src/heal/policy.ts). */
export const healingSchema = z
  .object({
    /** Slack users (U…/W…) and user groups (S…, resolved at click time); added to PGMEDIC_APPROVERS. */
    approvers: z.array(slackPrincipal).optional(),
    allowSelfApproval: z.boolean().optional(),
    approvalsRequired: z.number().int().min(1).max(10).optional(),
    /** Per action name (terminate, drop-index, …): a stricter approval count. */
    actions: z.record(z.string(), z.object({ approvalsRequired: z.number().int().min(1).max(10) }).strict()).optional(),
    expiryMinutes: z.number().int().min(1).max(1440).optional(),
    /** Master switch for every target (a target's own `healing.enabled` can only turn it off further). */
    enabled: z.boolean().optional(),
  })
  .strict();

export type HealingFileConfig = z.infer<typeof healingSchema>;

export interface Config {
  targets: TargetConfig[];
  defaultTarget: string | undefined;
  /** The YAML `healing:` section, when the file has one. */
  healing?: HealingFileConfig;
  /** The YAML `digests:` and `alerts:` sections, when the file has them (merged with env by loadScheduleConfig). */
  digests?: DigestSchedule[];
  alerts?: AlertsConfig;
  /** Targets with `discover:` are re-discovered this often (src/db/discovery.ts). */
  discovery?: { intervalSeconds: number };
}
