import cron, { type ScheduledTask } from 'node-cron';
import type { Pool } from '../db/driver.js';
import type { ScheduleConfig } from '../config/schedule.js';
import type { Targets } from '../db/targets.js';
import { newCopyId } from '../heal/limbo.js';
import { createAlertWatch, type AlertWatch } from './alerts/watch.js';
import type { Digest } from './digest-model.js';
import {
  catchUp,
  composeFor,
  digestJobs,
  postDigest,
  runScheduled,
  type DigestContext,
  type RunOutcome,
} from './digest-jobs.js';
import { DEFAULT_SECTIONS, resolveSections } from './digest-sections.js';
import type { MissedDecision } from './missed.js';
import type { Poster, ScheduleLog } from './poster.js';
import { runSnapshots } from './history/job.js';
import { createWorkShare } from './share.js';
import { liveTargets } from './live-targets.js';
import { retireTargets } from './alerts/retire.js';

export type { RunOutcome } from './digest-jobs.js';

export interface SchedulerDeps {
  statePool: Pool;
  targets: Targets;
  poster: Poster;
  log: ScheduleLog;
  schedule: ScheduleConfig;
  /** Names this copy in claims and leases: the copy's identity (src/heal/limbo.ts: host, pid, random part) by default. */
  instanceId?: string;
  now?: () => Date;
  /** Targets whose digest sections run at once (default 4). */
  concurrency?: number;
  /** Overrides alerts.intervalSeconds (tests). */
  alertIntervalMs?: number;
}

export interface Scheduler {
  /** Catches up missed digests, then arms the cron schedules and the alert watch. */
  start(): Promise<Record<string, MissedDecision>>;
  /** Disarms everything and waits for runs in flight. */
  stop(): Promise<void>;
  /** `/pg digest [target]`: a digest now (trends recorded); the caller posts it (postDigest) or renders it. */
  digestNow(options?: { targets?: string[]; digest?: string }): Promise<Digest>;
  /** Posts the summary, then every section as a reply in its thread. */
  postDigest(channel: string, digest: Digest): Promise<{ ts: string }>;
  /** The scheduled run of digest `name` at `scheduledAt`, if this copy wins its claim. */
  runScheduled(name: string, scheduledAt: Date): Promise<RunOutcome>;
  /** Targets a reload or a discovery removed: their firing alerts are closed with a note, their leases removed. */
  retire(removed: readonly string[]): Promise<string[]>;
  readonly alerts: AlertWatch | undefined;
  readonly instanceId: string;
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const ctx: DigestContext = {
    ...deps,
    instanceId: deps.instanceId ?? newCopyId(),
    now: deps.now ?? (() => new Date()),
    concurrency: deps.concurrency,
    connectionsPerServer: deps.schedule.alerts?.connectionsPerServer,
    jobs: digestJobs(deps.schedule.digests),
  };
  const tasks: ScheduledTask[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
  };
  const alerts = deps.schedule.alerts?.enabled ? alertWatch(deps, ctx.instanceId, ctx.now) : undefined;
  return {
    instanceId: ctx.instanceId,
    alerts,
    async start() {
      const decisions: Record<string, MissedDecision> = {};
      for (const name of ctx.jobs.keys()) decisions[name] = await catchUp(ctx, name);
      for (const [name, job] of ctx.jobs) {
        const run = (context: { date: Date }) => track(runScheduled(ctx, name, context.date));
        tasks.push(
          cron.schedule(job.config.cron, run, {
            timezone: job.config.timezone,
            name: `pgmedic-digest-${name}`,
            logger: cronLogger(deps.log),
          }),
        );
      }
      const snapshots = deps.schedule.snapshots;
      if (snapshots?.cron) {
        const snapshotDeps = {
          ...ctx,
          // Read at each run: targets added or removed by a reload or a discovery since the start count.
          targets: () => liveTargets(deps.targets),
          retentionDays: snapshots.retentionDays,
        };
        const run = (context: { date: Date }) =>
          track(
            runSnapshots(snapshotDeps, context.date).catch((error: Error) =>
              deps.log.error({ error: error.message }, 'the snapshot run failed (state database)'),
            ),
          );
        tasks.push(
          cron.schedule(snapshots.cron, run, {
            timezone: 'UTC',
            name: 'pgmedic-snapshots',
            logger: cronLogger(deps.log),
          }),
        );
      }
      alerts?.start();
      return decisions;
    },
    async stop() {
      await Promise.all(tasks.splice(0).map((t) => t.destroy()));
      await alerts?.stop();
      await Promise.allSettled([...inFlight]);
    },
    async digestNow(options = {}) {
      const job = options.digest ? ctx.jobs.get(options.digest) : ctx.jobs.values().next().value;
      // Names typed in `/pg digest` must exist (a typo says so); the digest's own list skips targets gone since.
      const targets = options.targets?.length
        ? options.targets.map((n) => deps.targets.get(n))
        : liveTargets(deps.targets, job?.config.targets);
      return composeFor(
        ctx,
        job?.config.name ?? 'now',
        targets,
        job?.sections ?? resolveSections(DEFAULT_SECTIONS),
        job?.config.timezone ?? 'UTC',
      );
    },
    postDigest: (channel, digest) => postDigest(ctx, channel, digest),
    retire: (removed) => retireTargets({ db: deps.statePool, poster: deps.poster, log: deps.log }, removed, ctx.now()),
    runScheduled: (name, scheduledAt) => runScheduled(ctx, name, scheduledAt),
  };
}

function alertWatch(deps: SchedulerDeps, copyId: string, now: () => Date): AlertWatch {
  const config = deps.schedule.alerts!;
  // Asked each round: a reload or a discovery adds and removes targets while the watch runs.
  const targets = () => liveTargets(deps.targets, config.targets);
  const intervalMs = deps.alertIntervalMs ?? config.intervalSeconds * 1000;
  return createAlertWatch({
    db: deps.statePool,
    poster: deps.poster,
    log: deps.log,
    settings: {
      channel: config.channel,
      cooldownSeconds: config.cooldownSeconds,
      resolveAfterSeconds: config.resolveAfterSeconds,
      retryPostSeconds: Math.max(60, config.intervalSeconds * 2),
    },
    targets,
    intervalMs,
    fireAt: config.fireAt,
    connectionsPerServer: config.connectionsPerServer,
    now,
    // Each target checked by one copy per interval, however many copies run.
    share: createWorkShare({ db: deps.statePool, work: 'alerts', copyId, intervalMs }),
  });
}

/** node-cron's own warnings (missed ticks when the event loop was blocked) go to our log. */
function cronLogger(log: ScheduleLog) {
  return {
    info: (message: string) => log.info({ source: 'node-cron' }, message),
    warn: (message: string) => log.warn({ source: 'node-cron' }, message),
    error: (message: string | Error) =>
      log.error({ source: 'node-cron' }, message instanceof Error ? message.message : message),
    debug: () => undefined,
  };
}
