import { z } from 'zod';
import { parseCron } from '../schedule/cron.js';

/* The YAML `digests:` and `alerts:` schemas; no imports from the rest of src/config (schema.ts imports this file). */

/** Defaults for digests and alert watches, in one commented place. */
export const SCHEDULE_DEFAULTS = {
  timezone: 'UTC',
  /** A digest missed while the bot was down is still sent on start within this; later ones are skipped and logged. */
  graceMinutes: 120,
  /** How often alert conditions are checked. */
  alertIntervalSeconds: 60,
  /** Connections one copy's alert watch holds on one server at most. */
  alertConnectionsPerServer: 4,
  /** A cleared alert that returns within this edits its old message instead of notifying again. */
  alertCooldownSeconds: 600,
  /** An alert resolves once not seen for this long (0: at the first look that does not see it). */
  alertResolveAfterSeconds: 0,
} as const;

export const channel = z
  .string()
  .regex(
    /^([CGD][A-Z0-9]{2,}|#[a-z0-9][a-z0-9_-]{0,79})$/,
    'a channel ID such as C0123ABCD or a name such as "#db-digest"',
  );
const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, "-" and "_"');

export const cronExpression = z.string().superRefine((value, ctx) => {
  try {
    parseCron(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** One `digests:` entry of the YAML file. */
export const digestScheduleSchema = z
  .object({
    name,
    cron: cronExpression,
    timezone: z.string().default(SCHEDULE_DEFAULTS.timezone),
    channel,
    /** Target names; all targets when left out. */
    targets: z.array(z.string()).min(1).optional(),
    /** Diagnostics with their options, as typed after /pg: "bloat --limit 5". Default: bloat and vacuum. */
    sections: z.array(z.string().min(1)).min(1).optional(),
    graceMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(SCHEDULE_DEFAULTS.graceMinutes),
  })
  .strict()
  .superRefine((value, ctx) => {
    try {
      parseCron(value.cron, value.timezone);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: (error as Error).message });
    }
  });

/** The YAML `alerts:` section. */
export const alertsSchema = z
  .object({
    enabled: z.boolean().default(true),
    channel,
    targets: z.array(z.string()).min(1).optional(),
    intervalSeconds: z.number().int().min(1).max(3600).default(SCHEDULE_DEFAULTS.alertIntervalSeconds),
    cooldownSeconds: z.number().int().min(0).max(86_400).default(SCHEDULE_DEFAULTS.alertCooldownSeconds),
    resolveAfterSeconds: z.number().int().min(0).max(86_400).default(SCHEDULE_DEFAULTS.alertResolveAfterSeconds),
    /** Connections one copy's watch opens on one server at most (many targets can be databases of one server). */
    connectionsPerServer: z.number().int().min(1).max(50).default(SCHEDULE_DEFAULTS.alertConnectionsPerServer),
    /** Raise at the warn thresholds (default) or only at critical ones. Thresholds are the targets' own. */
    fireAt: z.enum(['warn', 'crit']).default('warn'),
  })
  .strict();

export type DigestSchedule = z.infer<typeof digestScheduleSchema>;
export type AlertsConfig = z.infer<typeof alertsSchema>;
