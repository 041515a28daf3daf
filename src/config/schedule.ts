import { z } from 'zod';
import { AppError } from '../errors.js';
import { loadSnapshotConfig, type SnapshotConfig } from './history.js';
import type { Env } from './load.js';
import { parseOrThrow } from './load.js';
import type { Config } from './schema.js';
import { presentValues } from './env-values.js';
import {
  alertsSchema,
  channel,
  cronExpression,
  digestScheduleSchema,
  type AlertsConfig,
  type DigestSchedule,
} from './schedule-schema.js';

export {
  alertsSchema,
  digestScheduleSchema,
  SCHEDULE_DEFAULTS,
  type AlertsConfig,
  type DigestSchedule,
} from './schedule-schema.js';

export interface ScheduleConfig {
  digests: DigestSchedule[];
  alerts: AlertsConfig | undefined;
  /** Query history snapshots (PGMEDIC_SNAPSHOT_*); left out, none are taken. */
  snapshots?: SnapshotConfig;
}

const envSchema = z.object({
  PGMEDIC_DIGEST_CRON: cronExpression.optional(),
  PGMEDIC_DIGEST_CHANNEL: channel.optional(),
  PGMEDIC_DIGEST_TZ: z.string().optional(),
  PGMEDIC_ALERTS_CHANNEL: channel.optional(),
});

/** Digests and alerts from the YAML sections plus the simple-case variables (a digest named "daily"). */
export function loadScheduleConfig(
  config: Pick<Config, 'targets' | 'digests' | 'alerts'>,
  env: Env = process.env,
): ScheduleConfig {
  const present = presentValues(env, Object.keys(envSchema.shape));
  const parsed = parseOrThrow(envSchema, present, 'environment');
  const digests = [...(config.digests ?? [])];
  if (parsed.PGMEDIC_DIGEST_CRON || parsed.PGMEDIC_DIGEST_CHANNEL) {
    if (!parsed.PGMEDIC_DIGEST_CRON || !parsed.PGMEDIC_DIGEST_CHANNEL) {
      throw new AppError(
        'config_invalid',
        'environment: set both PGMEDIC_DIGEST_CRON (e.g. "0 7 * * *") and PGMEDIC_DIGEST_CHANNEL (e.g. C0123ABCD) for the daily digest.',
      );
    }
    if (digests.some((d) => d.name === 'daily'))
      throw new AppError(
        'config_invalid',
        'environment: PGMEDIC_DIGEST_CRON defines the digest "daily", which the config file defines too; keep one.',
      );
    digests.push(
      parseOrThrow(
        digestScheduleSchema,
        {
          name: 'daily',
          cron: parsed.PGMEDIC_DIGEST_CRON,
          channel: parsed.PGMEDIC_DIGEST_CHANNEL,
          ...(parsed.PGMEDIC_DIGEST_TZ ? { timezone: parsed.PGMEDIC_DIGEST_TZ } : {}),
        },
        'environment (PGMEDIC_DIGEST_*)',
      ),
    );
  }
  const alerts =
    config.alerts ??
    (parsed.PGMEDIC_ALERTS_CHANNEL ? alertsSchema.parse({ channel: parsed.PGMEDIC_ALERTS_CHANNEL }) : undefined);
  const known = new Set(config.targets.map((t) => t.name));
  for (const [where, names] of [
    ...digests.map((d) => [`digests.${d.name}.targets`, d.targets] as const),
    ['alerts.targets', alerts?.targets] as const,
  ]) {
    const unknown = (names ?? []).filter((n) => !known.has(n));
    if (unknown.length)
      throw new AppError(
        'config_invalid',
        `${where}: no target named ${unknown.map((n) => `"${n}"`).join(', ')} (targets: ${[...known].join(', ') || 'none'}).`,
      );
  }
  const names = digests.map((d) => d.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice)
    throw new AppError(
      'config_invalid',
      `digests: the name "${twice}" is used twice; each digest needs its own name (it keys the exactly-once claim).`,
    );
  return { digests, alerts, snapshots: loadSnapshotConfig(env) };
}
