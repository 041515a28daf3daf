import type { Pool } from '../db/driver.js';
import type { ScheduleConfig } from '../config/schedule.js';
import type { Targets } from '../db/targets.js';
import type { Logger } from '../log/logger.js';
import { stateHistory } from '../schedule/history/reader.js';
import { statelessDigests } from '../schedule/on-demand.js';
import { createScheduler, type Scheduler } from '../schedule/scheduler.js';
import type { SlackApp } from './app.js';
import { createSlackPoster } from './poster.js';

export interface ScheduleWiringOptions {
  /** The migrated state database; without it nothing is scheduled (no exactly-once claims) and `/pg digest` has no trends. */
  statePool: Pool | undefined;
  targets: Targets;
  schedule: ScheduleConfig;
  logger: Logger;
  /** Overrides alerts.intervalSeconds (tests). */
  alertIntervalMs?: number;
  instanceId?: string;
}

export interface ScheduleWiring {
  scheduler: Scheduler | undefined;
  /** Catches up missed digests and arms the schedules and the alert watch; a failure is logged, not thrown. */
  start(): Promise<void>;
  /** Disarms them and waits for runs in flight; call before closing pools. */
  stop(): Promise<void>;
  /** After a reload or discovery removed targets: their alerts are closed with a note, their leases removed. */
  retire(removed: readonly string[]): Promise<void>;
}

/**
 * Digests and alerts on Slack: the scheduler posts through the bot's own client (buttons via the approval
 * flow), and `/pg digest` uses the same scheduler, or digests without trends when there is no state database.
 */
export function wireSchedule(bot: SlackApp, options: ScheduleWiringOptions): ScheduleWiring {
  const { statePool, targets, schedule, logger } = options;
  const poster = createSlackPoster({ client: bot.app.client, healing: bot.deps.healing, logger });
  // One identity per copy: the leases name the same copy the healing executor's heartbeat does.
  const instanceId = options.instanceId ?? bot.deps.healing?.service.copyId;
  const scheduler = statePool
    ? createScheduler({
        statePool,
        targets,
        poster,
        log: logger,
        schedule,
        ...(options.alertIntervalMs ? { alertIntervalMs: options.alertIntervalMs } : {}),
        ...(instanceId ? { instanceId } : {}),
      })
    : undefined;
  bot.attachDigests(scheduler ?? statelessDigests({ targets, schedule, poster, log: logger }));
  if (statePool) {
    bot.deps.snapshots = statePool;
    bot.deps.history = stateHistory(statePool);
  }
  if (scheduler?.alerts && schedule.alerts) {
    const watch = scheduler.alerts;
    bot.deps.watch = {
      intervalMs: options.alertIntervalMs ?? schedule.alerts.intervalSeconds * 1000,
      leadOf: (name) => watch.leadOf(name),
    };
  }
  if (!scheduler && (schedule.digests.length || schedule.alerts?.enabled)) {
    logger.warn(
      { digests: schedule.digests.map((d) => d.name), alerts: Boolean(schedule.alerts?.enabled) },
      'scheduled digests and alert watches are off: they need PGMEDIC_STATE_DATABASE_URL so that each is sent exactly once across copies and restarts (/pg digest still works, without trends)',
    );
  }
  return {
    scheduler,
    async start() {
      if (!scheduler) return;
      // A state database that does not answer at start costs the schedule, not the bot (commands keep working).
      const decisions = await scheduler
        .start()
        .catch(
          (error: unknown) =>
            void logger.error(
              { err: error },
              'the scheduler did not start: scheduled digests and alerts are off until a restart',
            ),
        );
      if (!decisions) return;
      logger.info(
        {
          digests: schedule.digests.map((d) => `${d.name} (${d.cron} ${d.timezone})`),
          alerts: schedule.alerts?.enabled ? schedule.alerts.channel : 'off',
          snapshots: schedule.snapshots?.cron ?? 'off',
          missed: decisions,
        },
        'scheduler started',
      );
    },
    stop: async () => void (await scheduler?.stop()),
    async retire(removed) {
      const closed = (await scheduler?.retire(removed)) ?? [];
      if (closed.length) logger.info({ removed, alerts: closed }, 'alerts of removed targets closed');
    },
  };
}
