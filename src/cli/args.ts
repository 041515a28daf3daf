import type { AnyCommand } from '../engine/command.js';
import { parseOptions } from '../engine/options.js';
import { findCommand } from '../engine/registry.js';
import { AppError } from '../errors.js';

export interface CliArgs {
  command: string | undefined;
  target: string | undefined;
  format: 'text' | 'json';
  /** --redact: query text redacted as in Slack (by default the CLI, whose user holds the credentials, shows it in full). */
  redact: boolean;
  /** Everything else, passed to the command's option parser. */
  rest: string[];
}

/** Pulls the CLI's own flags (--target, --format, --redact) out; the rest belongs to the command. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const rest: string[] = [];
  let target: string | undefined;
  let format: CliArgs['format'] = 'text';
  let redact = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const [flag, inline] = token.includes('=') && token.startsWith('--') ? [token.slice(0, token.indexOf('=')), token.slice(token.indexOf('=') + 1)] : [token, undefined];
    if (flag === '--target' || flag === '--format') {
      const value = inline ?? argv[++i];
      if (!value) throw new AppError('bad_option', `${flag} needs a value.`, { hint: flag === '--target' ? 'For example `--target prod`.' : 'Use `--format text` or `--format json`.' });
      if (flag === '--target') target = value;
      else if (value === 'text' || value === 'json') format = value;
      else throw new AppError('bad_option', `--format "${value}" is not known.`, { hint: 'Use `--format text` or `--format json`.' });
    } else if (token === '--redact') {
      redact = true;
    } else {
      rest.push(token);
    }
  }
  const [command, ...commandArgs] = rest;
  return { command, target, format, redact, rest: commandArgs };
}

/** What the command line asks for, checked before any connection is made: every bad argument fails here. */
export type CliPlan =
  | { kind: 'help'; args: CliArgs; command: string | undefined }
  | { kind: 'audit'; args: CliArgs; limit: number }
  | { kind: 'digest'; args: CliArgs }
  | { kind: 'migrate-state'; args: CliArgs }
  | { kind: 'run'; args: CliArgs; command: AnyCommand; options: Record<string, unknown> };

/** `limit` parses `audit`'s own options (kept with the audit command). */
export function planCli(argv: readonly string[], auditLimit: (rest: readonly string[]) => number): CliPlan {
  const args = parseCliArgs(argv);
  if (!args.command || args.command === 'help' || args.command === 'commands' || args.command === '--help') {
    return { kind: 'help', args, command: args.command === 'help' ? args.rest[0] : undefined };
  }
  if (args.command === 'audit') return { kind: 'audit', args, limit: auditLimit(args.rest) };
  if (args.command === 'migrate-state') return { kind: 'migrate-state', args };
  if (args.command === 'digest') {
    if (args.rest.length) throw new AppError('bad_option', '`digest` takes only --target NAME and --format.', { hint: 'For example `pgmedic digest --target prod`.' });
    return { kind: 'digest', args };
  }
  const command = findCommand(args.command);
  return { kind: 'run', args, command, options: parseOptions(command, args.rest) };
}
