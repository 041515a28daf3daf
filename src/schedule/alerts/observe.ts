import type { ConnectionsFindings } from '../../../commands/connections.js';
import type { HealthFindings } from '../../../commands/health.js';
import type { LocksFindings } from '../../../commands/locks.js';
import type { ReplicationFindings } from '../../../commands/replication.js';
import type { Target } from '../../db/targets.js';
import { isAppError } from '../../errors.js';
import { parseOptions } from '../../engine/options.js';
import { findCommand } from '../../engine/registry.js';
import { runCommand, type RunResult } from '../../engine/run.js';
import type { Report } from '../../report/model.js';
import { unreachableReason } from '../digest.js';
import {
  connectionRules,
  healthRules,
  lockRules,
  replicationRules,
  unreachableObservation,
  type AlertCheck,
  type Observation,
} from './rules.js';

/** What one look at a target saw; `failedChecks` are the diagnostics that could not answer this time. */
export interface TargetObservation {
  target: string;
  /** Taken before the first query: an alert last seen after this cannot be resolved by this look. */
  observedAt: Date;
  observations: Observation[];
  failedChecks: AlertCheck[];
}

type Rule = (
  findings: never,
  report: Report,
  ctx: { thresholds: Target['thresholds']; fireAt: 'warn' | 'crit' },
) => Observation[];

const CHECKS: { check: Exclude<AlertCheck, 'target'>; rule: Rule }[] = [
  { check: 'health', rule: (f: HealthFindings, _r, ctx) => healthRules(f, ctx) },
  { check: 'locks', rule: (f: LocksFindings, r, ctx) => lockRules(f, r, ctx) },
  { check: 'connections', rule: (f: ConnectionsFindings, r, ctx) => connectionRules(f, r, ctx) },
  { check: 'replication', rule: (f: ReplicationFindings, r, ctx) => replicationRules(f, r, ctx) },
];

const ALL_CHECKS: AlertCheck[] = CHECKS.map((c) => c.check);

/** Runs the four diagnostics alerts are drawn from, one after another (gentle on a struggling server). */
export async function observeTarget(
  target: Target,
  fireAt: 'warn' | 'crit',
  now: () => Date,
): Promise<TargetObservation> {
  const observedAt = now();
  try {
    await target.capabilities();
  } catch (error) {
    return {
      target: target.name,
      observedAt,
      observations: [unreachableObservation(unreachableReason(error))],
      failedChecks: ALL_CHECKS,
    };
  }
  const observations: Observation[] = [];
  const failedChecks: AlertCheck[] = [];
  for (const { check, rule } of CHECKS) {
    let result: RunResult;
    try {
      const command = findCommand(check);
      result = await runCommand({ command, target, options: parseOptions(command, []), now });
    } catch (error) {
      if (isAppError(error) && error.code === 'target_unreachable') {
        return {
          target: target.name,
          observedAt,
          observations: [unreachableObservation(unreachableReason(error))],
          failedChecks: ALL_CHECKS,
        };
      }
      failedChecks.push(check);
      continue;
    }
    observations.push(...rule(result.findings as never, result.report, { thresholds: target.thresholds, fireAt }));
  }
  return { target: target.name, observedAt, observations, failedChecks };
}
