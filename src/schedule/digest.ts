import type { Target } from '../db/targets.js';
import { describeError } from '../errors.js';
import { parseOptions } from '../engine/options.js';
import { findCommand } from '../engine/registry.js';
import { runCommand } from '../engine/run.js';
import { worstStatus } from '../report/model.js';
import type { HistoryReader } from '../engine/history.js';
import { SCHEDULE_DEFAULTS } from '../config/schedule-schema.js';
import { serverKeyOf } from '../db/server-key.js';
import { isServerDown } from '../db/sqlstate.js';
import { createLimiter } from './bounded.js';
import { serverBudget } from './server-budget.js';
import { localDate } from './cron.js';
import type { Digest, DigestPiece, TargetDigest } from './digest-model.js';
import type { ResolvedSection } from './digest-sections.js';
import { historyPieces } from './history/digest-pieces.js';
import { findOffenders, targetStatus } from './offenders.js';
import type { TrendEvent } from './trends/compare.js';

export const DIGEST_DEFAULTS = {
  /** Targets whose sections run at once: the digest must not load many servers, or the bot, at the same moment. */
  concurrency: 4,
  /** Connection attempts at once: waiting on a dead host costs nothing, so it must not hold a work slot. */
  connectConcurrency: 64,
} as const;

export interface DigestRequest {
  name: string;
  targets: readonly Target[];
  sections: readonly ResolvedSection[];
  timezone: string;
  now?: () => Date;
  concurrency?: number;
  connectConcurrency?: number;
  /** Targets of one server worked on at once (alerts.connectionsPerServer); more of them close connections after. */
  connectionsPerServer?: number;
  /** Stores today's snapshot and returns what changed (src/schedule/trends); left out, no trends. */
  trends?: (target: string, day: string, pieces: readonly DigestPiece[]) => Promise<TrendEvent[]>;
  /** The query history: adds "slower since yesterday" and "largest growth in size" (src/schedule/history). */
  history?: HistoryReader;
}

/**
 * Runs the digest for every target: each target first connects (a wide bound, so an unreachable one waits
 * out its connect timeout without holding anyone up), then its health check and sections run under the
 * narrow work bound.
 */
export async function composeDigest(request: DigestRequest): Promise<Digest> {
  const now = request.now ?? (() => new Date());
  const started = performance.now();
  const generatedAt = now();
  const day = localDate(generatedAt.getTime(), request.timezone);
  const connect = createLimiter(request.connectConcurrency ?? DIGEST_DEFAULTS.connectConcurrency);
  const work = createLimiter(request.concurrency ?? DIGEST_DEFAULTS.concurrency);
  const budget = serverBudget(request.connectionsPerServer ?? SCHEDULE_DEFAULTS.alertConnectionsPerServer);
  budget.plan(request.targets);
  const down = new Map<string, unknown>();
  const probe = (target: Target) =>
    target.capabilities().then(
      () => null,
      (error: unknown) => error,
    );
  const digestOf = (target: Target, reached: unknown) =>
    reached ? unreachable(target.name, reached) : work(() => digestTarget(target, request, now, day));
  const targets = await Promise.all(
    request.targets.map(async (target) => {
      const t0 = performance.now();
      const digest = budget.crowded(target)
        ? // Many databases of one server: each connects and runs inside the server's budget and closes after, and
          // once the server is found down its other databases are not tried again (each would wait its timeout).
          await budget.run(target, async () => {
            const key = serverKeyOf(target.config.url);
            const reached = down.get(key) ?? (await probe(target));
            if (reached && isServerDown(reached)) down.set(key, reached);
            return digestOf(target, reached);
          })
        : await digestOf(target, await connect(() => probe(target)));
      return { ...digest, elapsedMs: Math.round(performance.now() - t0) };
    }),
  );
  return {
    name: request.name,
    title: `Digest: ${request.name}`,
    generatedAt: generatedAt.toISOString(),
    day,
    status: worstStatus(...targets.map(targetStatus)),
    targets,
    elapsedMs: Math.round(performance.now() - started),
  };
}

async function digestTarget(
  target: Target,
  request: DigestRequest,
  now: () => Date,
  day: string,
): Promise<TargetDigest> {
  const health = await runPiece(
    target,
    { command: findCommand('health'), options: parseOptions(findCommand('health'), []) },
    now,
  );
  const pieces: DigestPiece[] = [];
  for (const section of request.sections)
    pieces.push(section.command.name === 'health' ? health : await runPiece(target, section, now));
  if (request.history) pieces.push(...(await historyPieces(target, request.history, now)));
  const trends = request.trends ? await request.trends(target.name, day, pieces).catch(() => []) : [];
  return {
    target: target.name,
    reachable: true,
    // A target that answered the connection but not the health check is reachable and in trouble.
    status: health.report?.status ?? 'crit',
    statusLine: health.report?.summary ?? `health check failed: ${health.error}`,
    serverVersion: (await target.capabilities()).serverVersion,
    pieces,
    trends,
    offenders: findOffenders(pieces, trends, target.thresholds),
    actions: pieces.flatMap((p) => p.report?.actions ?? []),
    elapsedMs: 0,
  };
}

async function runPiece(target: Target, section: ResolvedSection, now: () => Date): Promise<DigestPiece> {
  const started = performance.now();
  try {
    const result = await runCommand({ command: section.command, target, options: section.options, now });
    return {
      command: section.command.name,
      report: result.report,
      findings: result.findings,
      error: null,
      elapsedMs: result.meta.elapsedMs,
    };
  } catch (error) {
    return {
      command: section.command.name,
      report: null,
      findings: null,
      error: describeError(error).text,
      elapsedMs: Math.round(performance.now() - started),
    };
  }
}

function unreachable(target: string, error: unknown): TargetDigest {
  return {
    target,
    reachable: false,
    status: null,
    statusLine: `could not reach ${target}: ${unreachableReason(error)}`,
    serverVersion: null,
    pieces: [],
    trends: [],
    offenders: [],
    actions: [],
    elapsedMs: 0,
  };
}

/** "Could not connect to target "prod" (connect ECONNREFUSED …)." → "connect ECONNREFUSED …". */
export function unreachableReason(error: unknown): string {
  const message =
    error instanceof Error ? error.message : typeof error === 'string' ? error : describeError(error).text;
  const inner = /^Could not connect to target "[^"]*"(?::\s*|\s*\()(.*?)\)?\.?$/s.exec(message);
  return (inner?.[1] ?? message).replace(/\.$/, '');
}
