import type { Pool } from '../db/driver.js';
import type { DigestSchedule } from '../config/schedule.js';
import type { Target, Targets } from '../db/targets.js';
import { claim, finishClaim, pruneClaims } from '../state/schedule-claims.js';
import { parseCron, previousRun, type CronSchedule } from './cron.js';
import { composeDigest } from './digest.js';
import { postDigestCharts } from './digest-charts.js';
import { digestMessages } from './digest-messages.js';
import type { Digest } from './digest-model.js';
import { DEFAULT_SECTIONS, parseSectionSpec, resolveSections, type ResolvedSection } from './digest-sections.js';
import { missedRunDecision, type MissedDecision } from './missed.js';
import type { Poster, ScheduleLog } from './poster.js';
import { stateHistory } from './history/reader.js';
import { goneTargets, liveTargets } from './live-targets.js';
import { snapshotTrends } from './trends/snapshots.js';

export type RunOutcome = 'sent' | 'taken' | 'failed';

export interface DigestJob {
  config: DigestSchedule;
  sections: ResolvedSection[];
  cron: CronSchedule;
}

/** What running digests needs; built once per scheduler. */
export interface DigestContext {
  statePool: Pool;
  targets: Targets;
  poster: Poster;
  log: ScheduleLog;
  instanceId: string;
  now: () => Date;
  concurrency: number | undefined;
  /** alerts.connectionsPerServer when configured: the digest and the snapshots keep to it as the watch does. */
  connectionsPerServer: number | undefined;
  jobs: Map<string, DigestJob>;
}

/** Parses every schedule and section up front: a bad one fails the start, not the 7 a.m. run. */
export function digestJobs(digests: readonly DigestSchedule[]): Map<string, DigestJob> {
  return new Map(
    digests.map((d) => [
      d.name,
      {
        config: d,
        cron: parseCron(d.cron, d.timezone),
        sections: resolveSections(d.sections ? d.sections.map(parseSectionSpec) : DEFAULT_SECTIONS),
      },
    ]),
  );
}

export async function composeFor(
  ctx: DigestContext,
  name: string,
  targets: readonly Target[],
  sections: readonly ResolvedSection[],
  timezone: string,
): Promise<Digest> {
  return composeDigest({
    name,
    targets,
    sections,
    timezone,
    now: ctx.now,
    ...(ctx.concurrency ? { concurrency: ctx.concurrency } : {}),
    ...(ctx.connectionsPerServer ? { connectionsPerServer: ctx.connectionsPerServer } : {}),
    trends: loggedTrends(ctx),
    history: stateHistory(ctx.statePool),
  });
}

/** The summary, then every section as a reply in its thread, then the trend charts (a failed reply is logged, not fatal). */
export async function postDigest(
  ctx: Pick<DigestContext, 'poster' | 'log'> & { statePool?: Pool },
  channel: string,
  digest: Digest,
): Promise<{ ts: string }> {
  const { main, thread } = digestMessages(digest);
  const { ts } = await ctx.poster.post(channel, main);
  for (const reply of thread) {
    await ctx.poster
      .post(channel, { ...reply, threadTs: ts })
      .catch((error: Error) =>
        ctx.log.warn(
          { digest: digest.name, target: reply.target, error: error.message },
          'a digest detail reply failed',
        ),
      );
  }
  await postDigestCharts(ctx, channel, ts, digest);
  return { ts };
}

/**
 * The run of digest `name` scheduled at `scheduledAt`, if this copy wins its claim. The claim comes before
 * the send: a copy dying mid-run loses that digest rather than risking two (at most once, by design).
 */
export async function runScheduled(ctx: DigestContext, name: string, scheduledAt: Date): Promise<RunOutcome> {
  const job = ctx.jobs.get(name);
  if (!job) throw new Error(`no digest named "${name}"`);
  const key = `digest:${name}`;
  if (!(await claim(ctx.statePool, key, scheduledAt, ctx.instanceId))) return 'taken';
  try {
    const gone = goneTargets(ctx.targets, job.config.targets);
    if (gone.length)
      ctx.log.warn({ digest: name, targets: gone }, 'these digest targets are not configured or discovered any more');
    const targets = liveTargets(ctx.targets, job.config.targets);
    const digest = await composeFor(ctx, name, targets, job.sections, job.config.timezone);
    await postDigest(ctx, job.config.channel, digest);
    await finishClaim(ctx.statePool, key, scheduledAt, 'sent');
    ctx.log.info({ digest: name, scheduledAt: scheduledAt.toISOString(), elapsedMs: digest.elapsedMs }, 'digest sent');
    await pruneClaims(ctx.statePool, ctx.now());
    return 'sent';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await finishClaim(ctx.statePool, key, scheduledAt, `failed: ${message}`).catch(() => undefined);
    ctx.log.error(
      { digest: name, scheduledAt: scheduledAt.toISOString(), error: message },
      'digest failed; it is not retried (sent at most once)',
    );
    return 'failed';
  }
}

/** On start: the latest scheduled time is sent late within the grace period, else skipped with one log line. */
export async function catchUp(ctx: DigestContext, name: string): Promise<MissedDecision> {
  const job = ctx.jobs.get(name)!;
  const decision = missedRunDecision(previousRun(job.cron, ctx.now()), ctx.now(), job.config.graceMinutes * 60_000);
  if (decision.kind === 'send') await runScheduled(ctx, name, decision.scheduledAt);
  // Claimed as skipped, so that only one copy logs it and none sends it later.
  if (
    decision.kind === 'skip' &&
    (await claim(ctx.statePool, `digest:${name}`, decision.scheduledAt, ctx.instanceId))
  ) {
    await finishClaim(ctx.statePool, `digest:${name}`, decision.scheduledAt, 'skipped: past the grace period');
    ctx.log.warn(
      {
        digest: name,
        scheduledAt: decision.scheduledAt.toISOString(),
        lateMinutes: Math.round(decision.lateMs / 60_000),
        graceMinutes: job.config.graceMinutes,
      },
      'missed digest skipped: the bot was down at its time and it is past the grace period',
    );
  }
  return decision;
}

function loggedTrends(ctx: DigestContext) {
  const trends = snapshotTrends(ctx.statePool);
  return async (...args: Parameters<typeof trends>) => {
    try {
      return await trends(...args);
    } catch (error) {
      ctx.log.warn(
        { target: args[0], error: error instanceof Error ? error.message : String(error) },
        'trend snapshot failed; the digest goes out without trends',
      );
      return [];
    }
  };
}
