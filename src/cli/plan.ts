import type { AnyCommand } from '../engine/command.js';
import { parseOptions } from '../engine/options.js';
import { findCommand } from '../engine/registry.js';
import { takeTarget } from '../engine/target-arg.js';
import { intOption } from '../engine/units.js';
import { AppError } from '../errors.js';
import { withPositionalTarget, type CliArgs } from './args.js';

/** What the command line asks for, checked before any connection is made: every bad argument fails here. */
export type CliPlan =
  | { kind: 'help'; args: CliArgs }
  | { kind: 'audit'; args: CliArgs; limit: number }
  | { kind: 'digest'; args: CliArgs }
  | { kind: 'migrate-state'; args: CliArgs }
  | { kind: 'snapshot'; args: CliArgs }
  | { kind: 'run'; args: CliArgs; command: AnyCommand; target: string | undefined; options: Record<string, unknown> };

/** Loaded after help and --version are ruled out, so they do not pay for the command registry. */
export function planCli(typed: CliArgs, targetNames: readonly string[]): CliPlan {
  // Help and --version are answered before this module loads (cli/main.ts); here they only need to run nothing.
  if (!typed.command || typed.help || typed.version || typed.command === 'help' || typed.command === 'commands')
    return { kind: 'help', args: typed };
  if (typed.command === 'audit') {
    const args = withPositionalTarget(typed);
    return { kind: 'audit', args, limit: parseLimit(args.rest) };
  }
  if (typed.command === 'migrate-state') {
    if (typed.rest.length)
      throw new AppError('bad_option', '`migrate-state` takes no options.', {
        hint: 'Set PGMEDIC_STATE_OWNER_URL and PGMEDIC_STATE_DATABASE_URL, then run `pgmedic migrate-state`.',
      });
    return { kind: 'migrate-state', args: typed };
  }
  if (typed.command === 'snapshot') {
    const args = withPositionalTarget(typed);
    if (args.rest.length || args.format === 'nagios')
      throw new AppError('bad_option', '`snapshot` takes only a target and --format text or json.', {
        hint: 'For example `pgmedic snapshot --target prod`, or `pgmedic snapshot` for every target.',
      });
    if (args.target !== undefined && !targetNames.includes(args.target))
      throw new AppError('unknown_target', `No target named "${args.target.slice(0, 64)}".`, {
        hint: `Targets: ${targetNames.join(', ') || 'none configured'}.`,
      });
    return { kind: 'snapshot', args };
  }
  if (typed.command === 'digest') {
    const args = withPositionalTarget(typed);
    if (args.rest.length)
      throw new AppError('bad_option', '`digest` takes only a target and --format.', {
        hint: 'For example `pgmedic digest prod`.',
      });
    return { kind: 'digest', args };
  }
  const command = findCommand(typed.command!);
  const tokens = [...typed.rest];
  const target = takeTarget(command, tokens, typed.target, targetNames);
  return { kind: 'run', args: typed, command, target, options: parseOptions(command, tokens) };
}

/** `audit --limit N`: bounds declared once, checked like every command option. */
const AUDIT_LIMIT = intOption(1, 500, 20, 'Audit entries to show');

export function parseLimit(rest: readonly string[]): number {
  if (!rest.length) return AUDIT_LIMIT.parse(undefined);
  const value =
    rest[0] === '--limit' ? rest[1] : rest[0]?.startsWith('--limit=') ? rest[0].slice('--limit='.length) : undefined;
  const limit = value === undefined ? undefined : AUDIT_LIMIT.safeParse(value);
  if (rest.length > (rest[0] === '--limit' ? 2 : 1) || !limit?.success) {
    throw new AppError(
      'bad_option',
      '`audit` takes only a target and --limit N (a whole number from 1 to 500, in digits).',
      { hint: 'For example `pgmedic audit prod --limit 50`.' },
    );
  }
  return limit.data;
}
