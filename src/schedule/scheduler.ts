import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import cron, { type ScheduledTask } from 'node-cron';
import type { DigestSchedule, ScheduleConfig } from '../config/schedule.js';
import type { Target, Targets } from '../db/targets.js';
import { createAlertWatch, type AlertWatch } from './alerts/watch.js';
import { claim, finishClaim, pruneClaims } from './claims.js';
import { parseCron, previousRun } from './cron.js';
import { composeDigest } from './digest.js';
import { digestMessages } from './digest-messages.js';
import type { Digest } from './digest-model.js';
import { DEFAULT_SECTIONS, parseSectionSpec, resolveSections, type ResolvedSection } from './digest-sections.js';
import { missedRunDecision, type MissedDecision } from './missed.js';
import type { Poster, ScheduleLog } from './poster.js';
import { snapshotTrends } from './trends/snapshots.js';

export interface SchedulerDeps {
  statePool: pg.Pool;
  targets: Targets;
  poster: Poster;
  log: ScheduleLog;
  schedule: ScheduleConfig;
  /** Names this copy in claims; hostname, pid and a random suffix by default. */
  instanceId?: string;
  now?: () => Date;
  /** Targets whose digest sections run at once (default 4). */
  concurrency?: number;
  /** Seconds between alert rounds; overrides the config (tests). */
  alertIntervalMs?: number;
}

export type RunOutcome = 'sent' | 'taken' | 'failed' | 'skipped';

export interface Scheduler {
  /** Catches up missed digests, then arms the cron schedules and the alert watch. */
  start(): Promise<Record<string, MissedDecision>>;
  stop(): Promise<void>;
  /** `/pg digest [target]`: a digest now, with trends recorded; the caller posts or renders it. */
  digestNow(options?: { targets?: string[]; digest?: string }): Promise<Digest>;
  /** Posts the summary, then every section as a reply in its thread. */
  postDigest(channel: string, digest: Digest): Promise<{ ts: string }>;
  /** The scheduled run of digest `name` at `scheduledAt`, if this copy wins its claim. */
  runScheduled(name: string, scheduledAt: Date): Promise<RunOutcome>;
  readonly alerts: AlertWatch | undefined;
  readonly instanceId: string;
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const now = deps.now ?? (() => new Date());
  const instanceId = deps.instanceId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const jobs = new Map(deps.schedule.digests.map((d) => [d.name, { config: d, sections: sectionsOf(d), cron: parseCron(d.cron, d.timezone) }]));
  const tasks: ScheduledTask[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const alerts = deps.schedule.alerts?.enabled ? makeAlertWatch(deps, now) : undefined;

  const targetsFor = (names: readonly string[] | undefined): Target[] => (names?.length ? names : deps.targets.names()).map((n) => deps.targets.get(n));

  const compose = (name: string, targets: Target[], sections: readonly ResolvedSection[], timezone: string) =>
    composeDigest({ name, targets, sections, timezone, now, ...(deps.concurrency ? { concurrency: deps.concurrency } : {}), trends: loggedTrends(deps) });

  const postDigest = async (channel: string, digest: Digest) => {
    const { main, thread } = digestMessages(digest);
    const { ts } = await deps.poster.post(channel, main);
    for (const reply of thread) {
      await deps.poster.post(channel, { ...reply, threadTs: ts }).catch((error: Error) => deps.log.warn({ digest: digest.name, target: reply.target, error: error.message }, 'a digest detail reply failed'));
    }
    return { ts };
  };

  const runScheduled = async (name: string, scheduledAt: Date): Promise<RunOutcome> => {
    const job = jobs.get(name);
    if (!job) throw new Error(`no digest named "${name}"`);
    const key = `digest:${name}`;
    if (!(await claim(deps.statePool, key, scheduledAt, instanceId))) return 'taken';
    try {
      const digest = await compose(name, targetsFor(job.config.targets), job.sections, job.config.timezone);
      await postDigest(job.config.channel, digest);
      await finishClaim(deps.statePool, key, scheduledAt, 'sent');
      deps.log.info({ digest: name, scheduledAt: scheduledAt.toISOString(), elapsedMs: digest.elapsedMs }, 'digest sent');
      await pruneClaims(deps.statePool, now());
      return 'sent';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await finishClaim(deps.statePool, key, scheduledAt, `failed: ${message}`).catch(() => undefined);
      deps.log.error({ digest: name, scheduledAt: scheduledAt.toISOString(), error: message }, 'digest failed; it is not retried (sent at most once)');
      return 'failed';
    }
  };

  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };

  const catchUp = async (name: string): Promise<MissedDecision> => {
    const job = jobs.get(name)!;
    const decision = missedRunDecision(previousRun(job.cron, now()), now(), job.config.graceMinutes * 60_000);
    if (decision.kind === 'send') await track(runScheduled(name, decision.scheduledAt));
    if (decision.kind === 'skip' && (await claim(deps.statePool, `digest:${name}`, decision.scheduledAt, instanceId))) {
      await finishClaim(deps.statePool, `digest:${name}`, decision.scheduledAt, 'skipped: past the grace period');
      deps.log.warn({ digest: name, scheduledAt: decision.scheduledAt.toISOString(), lateMinutes: Math.round(decision.lateMs / 60_000), graceMinutes: job.config.graceMinutes }, 'missed digest skipped: the bot was down at its time and it is past the grace period');
    }
    return decision;
  };

  return {
    instanceId,
    alerts,
    async start() {
      const decisions: Record<string, MissedDecision> = {};
      for (const name of jobs.keys()) decisions[name] = await catchUp(name);
      for (const [name, job] of jobs) {
        tasks.push(cron.schedule(job.config.cron, (ctx) => track(runScheduled(name, ctx.date)), { timezone: job.config.timezone, name: `pgmedic-digest-${name}`, logger: cronLogger(deps.log) }));
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
      const job = options.digest ? jobs.get(options.digest) : jobs.values().next().value;
      const names = options.targets?.length ? options.targets : job?.config.targets;
      return compose(job?.config.name ?? 'now', targetsFor(names), job?.sections ?? resolveSections(DEFAULT_SECTIONS), job?.config.timezone ?? 'UTC');
    },
    postDigest,
    runScheduled,
  };
}

function sectionsOf(digest: DigestSchedule): ResolvedSection[] {
  return resolveSections(digest.sections ? digest.sections.map(parseSectionSpec) : DEFAULT_SECTIONS);
}

function loggedTrends(deps: SchedulerDeps) {
  const trends = snapshotTrends(deps.statePool);
  return async (...args: Parameters<typeof trends>) => {
    try {
      return await trends(...args);
    } catch (error) {
      deps.log.warn({ target: args[0], error: error instanceof Error ? error.message : String(error) }, 'trend snapshot failed; the digest goes out without trends');
      return [];
    }
  };
}

function makeAlertWatch(deps: SchedulerDeps, now: () => Date): AlertWatch {
  const config = deps.schedule.alerts!;
  const targets = (config.targets?.length ? config.targets : deps.targets.names()).map((n) => deps.targets.get(n));
  return createAlertWatch({
    db: deps.statePool,
    poster: deps.poster,
    log: deps.log,
    settings: { channel: config.channel, cooldownSeconds: config.cooldownSeconds, resolveAfterSeconds: config.resolveAfterSeconds, retryPostSeconds: Math.max(60, config.intervalSeconds * 2) },
    targets,
    intervalMs: deps.alertIntervalMs ?? config.intervalSeconds * 1000,
    fireAt: config.fireAt,
    now,
  });
}

function cronLogger(log: ScheduleLog) {
  const text = (m: string | Error) => (m instanceof Error ? m.message : m);
  return {
    info: (message: string) => log.info({ source: 'node-cron' }, message),
    warn: (message: string) => log.warn({ source: 'node-cron' }, message),
    error: (message: string | Error) => log.error({ source: 'node-cron' }, text(message)),
    debug: () => undefined,
  };
}
