import { createHash } from 'node:crypto';
import type { Pool } from '../../db/driver.js';
import type { Target } from '../../db/targets.js';
import { describeError } from '../../errors.js';
import { pruneHistory, type PruneResult } from '../../state/history-prune.js';
import { claim, finishClaim } from '../../state/schedule-claims.js';
import type { ScheduleLog } from '../poster.js';
import { SCHEDULE_DEFAULTS } from '../../config/schedule-schema.js';
import { serverBudget } from '../server-budget.js';
import { takeSnapshot } from './capture.js';

export interface SnapshotJobDeps {
  statePool: Pool;
  /** The targets, or a function giving the live list at each run (reload and discovery change it). */
  targets: readonly Target[] | (() => readonly Target[]);
  log: ScheduleLog;
  instanceId: string;
  retentionDays: number;
  now: () => Date;
  /** alerts.connectionsPerServer when configured (src/schedule/server-budget.ts). */
  connectionsPerServer?: number | undefined;
}

export type SnapshotOutcome =
  | {
      target: string;
      status: 'taken';
      id: string;
      takenAt: Date;
      inRecovery: boolean;
      /** 'recorded', or why pg_stat_statements was skipped. */
      statements: 'recorded' | 'not-installed' | 'not-preloaded';
      entries: number;
      databases: number;
      relations: number;
    }
  | { target: string; status: 'taken-elsewhere' }
  | { target: string; status: 'failed'; error: string };

/** `snapshot:<target>` never collides with this: target names have no `*`. */
const PRUNE_JOB = 'snapshot:*prune';

/**
 * Snapshots of every target. With `scheduledAt` (the cron run) each target is claimed first, so across copies
 * each target is taken exactly once per time; copies start at different places in the list and so share the
 * work. An unreachable target records nothing and the others carry on. Pruning runs once per time too.
 */
export async function runSnapshots(deps: SnapshotJobDeps, scheduledAt?: Date): Promise<SnapshotOutcome[]> {
  const outcomes: SnapshotOutcome[] = [];
  const targets = typeof deps.targets === 'function' ? deps.targets() : deps.targets;
  // One target at a time; many databases of one server close their connections after each snapshot.
  const budget = serverBudget(deps.connectionsPerServer ?? SCHEDULE_DEFAULTS.alertConnectionsPerServer);
  budget.plan(targets);
  for (const target of rotated(targets, deps.instanceId)) {
    const job = `snapshot:${target.name}`;
    if (scheduledAt && !(await claim(deps.statePool, job, scheduledAt, deps.instanceId))) {
      outcomes.push({ target: target.name, status: 'taken-elsewhere' });
      continue;
    }
    const outcome = await budget.run(target, () => snapshotOne(deps, target));
    outcomes.push(outcome);
    if (scheduledAt)
      await finishClaim(
        deps.statePool,
        job,
        scheduledAt,
        outcome.status === 'failed' ? `failed: ${outcome.error}` : 'taken',
      );
  }
  if (scheduledAt && (await claim(deps.statePool, PRUNE_JOB, scheduledAt, deps.instanceId))) {
    const pruned = await prune(deps);
    await finishClaim(deps.statePool, PRUNE_JOB, scheduledAt, pruned ? 'pruned' : 'failed');
  }
  return outcomes;
}

async function snapshotOne(deps: SnapshotJobDeps, target: Target): Promise<SnapshotOutcome> {
  try {
    const { id, snapshot } = await takeSnapshot(target, deps.statePool);
    const statements = 'entries' in snapshot.statements ? 'recorded' : snapshot.statements.unavailable;
    if (statements !== 'recorded')
      deps.log.info(
        { target: target.name, reason: statements },
        'snapshot taken without statements: pg_stat_statements is not set up on this target (see `slow-queries`)',
      );
    return {
      target: target.name,
      status: 'taken',
      id,
      takenAt: snapshot.takenAt,
      inRecovery: snapshot.inRecovery,
      statements,
      entries: 'entries' in snapshot.statements ? snapshot.statements.entries.length : 0,
      databases: snapshot.databases.length,
      relations: snapshot.relations.length,
    };
  } catch (error) {
    const message = describeError(error).text;
    deps.log.warn({ target: target.name, error: message }, 'no snapshot recorded for this target');
    return { target: target.name, status: 'failed', error: message };
  }
}

async function prune(deps: SnapshotJobDeps): Promise<PruneResult | undefined> {
  try {
    return await pruneHistory(deps.statePool, deps.now(), deps.retentionDays);
  } catch (error) {
    deps.log.warn({ error: describeError(error).text }, 'pruning the query history failed; it is retried next time');
    return undefined;
  }
}

/** The targets starting at a place that depends on the copy, so that copies firing together take different ones first. */
function rotated<T>(items: readonly T[], instanceId: string): T[] {
  if (!items.length) return [];
  const start = createHash('sha256').update(instanceId).digest().readUInt32BE(0) % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}
