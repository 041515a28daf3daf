import { z } from 'zod';
import { AppError } from '../errors.js';
import { parseCron } from '../schedule/cron.js';
import type { Env } from './load.js';
import { parseOrThrow } from './load.js';
import type { Config } from './schema.js';

/** Defaults for digests and alert watches, in one commented place. */
export const SCHEDULE_DEFAULTS = {
  timezone: 'UTC',
  /** A digest missed while the bot was down is still sent on start within this; later ones are skipped and logged. */
  graceMinutes: 120,
  /** How often alert conditions are checked. */
  alertIntervalSeconds: 60,
  /** A cleared alert that returns within this edits its old message instead of notifying again. */
  alertCooldownSeconds: 600,
  /** An alert resolves once not seen for this long (0: at the first look that does not see it). */
  alertResolveAfterSeconds: 0,
} as const;

const channel = z.string().regex(/^([CGD][A-Z0-9]{2,}|#[a-z0-9][a-z0-9_-]{0,79})$/, 'a channel ID such as C0123ABCD or a name such as "#db-digest"');
const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, "-" and "_"');

const cronExpression = z.string().superRefine((value, ctx) => {
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
    graceMinutes: z.number().int().min(0).max(7 * 24 * 60).default(SCHEDULE_DEFAULTS.graceMinutes),
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
    /** Raise at the warn thresholds (default) or only at critical ones. Thresholds are the targets' own. */
    fireAt: z.enum(['warn', 'crit']).default('warn'),
  })
  .strict();

export type DigestSchedule = z.infer<typeof digestScheduleSchema>;
export type AlertsConfig = z.infer<typeof alertsSchema>;

export interface ScheduleConfig {
  digests: DigestSchedule[];
  alerts: AlertsConfig | undefined;
}

const envSchema = z.object({
  PGMEDIC_DIGEST_CRON: cronExpression.optional(),
  PGMEDIC_DIGEST_CHANNEL: channel.optional(),
  PGMEDIC_DIGEST_TZ: z.string().optional(),
  PGMEDIC_ALERTS_CHANNEL: channel.optional(),
});

/** Digests and alerts from the YAML sections plus the simple-case variables (a digest named "daily"). */
export function loadScheduleConfig(config: Pick<Config, 'targets' | 'digests' | 'alerts'>, env: Env = process.env): ScheduleConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([key, value]) => key in envSchema.shape && value !== undefined && value !== ''));
  const parsed = parseOrThrow(envSchema, present, 'environment');
  const digests = [...(config.digests ?? [])];
  if (parsed.PGMEDIC_DIGEST_CRON || parsed.PGMEDIC_DIGEST_CHANNEL) {
    if (!parsed.PGMEDIC_DIGEST_CRON || !parsed.PGMEDIC_DIGEST_CHANNEL) {
      throw new AppError('config_invalid', 'environment: set both PGMEDIC_DIGEST_CRON (e.g. "0 7 * * *") and PGMEDIC_DIGEST_CHANNEL (e.g. C0123ABCD) for the daily digest.');
    }
    if (digests.some((d) => d.name === 'daily')) throw new AppError('config_invalid', 'environment: PGMEDIC_DIGEST_CRON defines the digest "daily", which the config file defines too; keep one.');
    digests.push(parseOrThrow(digestScheduleSchema, { name: 'daily', cron: parsed.PGMEDIC_DIGEST_CRON, channel: parsed.PGMEDIC_DIGEST_CHANNEL, ...(parsed.PGMEDIC_DIGEST_TZ ? { timezone: parsed.PGMEDIC_DIGEST_TZ } : {}) }, 'environment (PGMEDIC_DIGEST_*)'));
  }
  const alerts = config.alerts ?? (parsed.PGMEDIC_ALERTS_CHANNEL ? alertsSchema.parse({ channel: parsed.PGMEDIC_ALERTS_CHANNEL }) : undefined);
  const known = new Set(config.targets.map((t) => t.name));
  for (const [where, names] of [...digests.map((d) => [`digests.${d.name}.targets`, d.targets] as const), ['alerts.targets', alerts?.targets] as const]) {
    const unknown = (names ?? []).filter((n) => !known.has(n));
    if (unknown.length) throw new AppError('config_invalid', `${where}: no target named ${unknown.map((n) => `"${n}"`).join(', ')} (targets: ${[...known].join(', ') || 'none'}).`);
  }
  const names = digests.map((d) => d.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new AppError('config_invalid', `digests: the name "${twice}" is used twice; each digest needs its own name (it keys the exactly-once claim).`);
  return { digests, alerts };
}
