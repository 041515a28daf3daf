import type { z } from 'zod';
import connections from '../../../commands/connections.js';
import health from '../../../commands/health.js';
import locks from '../../../commands/locks.js';
import replication from '../../../commands/replication.js';
import type { Target } from '../../db/targets.js';
import { isAppError } from '../../errors.js';
import type { CommandDefinition } from '../../engine/command.js';
import { parseOptions } from '../../engine/options.js';
import { runCommand } from '../../engine/run.js';
import type { Report } from '../../report/model.js';
import { unreachableReason } from '../digest.js';
import {
  connectionLimitRules,
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
  /** Other databases of the server this look stands for (src/schedule/alerts/server-groups.ts); 0 or absent: none. */
  alsoCovers?: number;
}

type RuleContext = { thresholds: Target['thresholds']; fireAt: 'warn' | 'crit' };

interface Check {
  check: Exclude<AlertCheck, 'target'>;
  /** Runs the diagnostic with its defaults (errors propagate); the rules, applied to its typed findings, come back. */
  run(target: Target, now: () => Date): Promise<(ctx: RuleContext) => Observation[]>;
}

/** Ties a diagnostic to its rules, so the findings reach them with the command's own type. */
function check<Findings>(
  name: Check['check'],
  command: CommandDefinition<z.ZodObject, Findings>,
  rule: (findings: Findings, report: Report, ctx: RuleContext) => Observation[],
): Check {
  return {
    check: name,
    run: async (target, now) => {
      const result = await runCommand({ command, target, options: parseOptions(command, []), now });
      return (ctx) => rule(result.findings, result.report, ctx);
    },
  };
}

const CHECKS: Check[] = [
  check('health', health, (f, _r, ctx) => healthRules(f, ctx)),
  check('locks', locks, lockRules),
  check('connections', connections, (f, r, ctx) => [...connectionRules(f, r, ctx), ...connectionLimitRules(f, r, ctx)]),
  check('replication', replication, replicationRules),
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
  for (const { check, run } of CHECKS) {
    let rules: (ctx: RuleContext) => Observation[];
    try {
      rules = await run(target, now);
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
    observations.push(...rules({ thresholds: target.thresholds, fireAt }));
  }
  return { target: target.name, observedAt, observations, failedChecks };
}
