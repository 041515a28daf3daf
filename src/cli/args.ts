import { AppError } from '../errors.js';

export type OutputFormat = 'text' | 'json' | 'nagios';
const FORMATS: readonly OutputFormat[] = ['text', 'json', 'nagios'];

export interface CliArgs {
  command: string | undefined;
  target: string | undefined;
  format: OutputFormat;
  /** --warning / --critical: thresholds of the command's primary figure, as typed (parsed against its unit later). */
  warning: string | undefined;
  critical: string | undefined;
  /** -h / --help anywhere: help instead of running. */
  help: boolean;
  version: boolean;
  /** --redact: query text redacted as in Slack (by default the CLI, whose user holds the credentials, shows it in full). */
  redact: boolean;
  /** --show-sql: print the statements the command would send to this server, without running them. */
  showSql: boolean;
  /** Everything else, passed to the command's option parser (positional target included). */
  rest: string[];
}

const VALUE_FLAGS = ['--target', '--format', '--warning', '--critical'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
const isValueFlag = (flag: string): flag is ValueFlag => (VALUE_FLAGS as readonly string[]).includes(flag);

const EXAMPLES: Record<ValueFlag, string> = {
  '--target': 'For example `--target prod`, or name it after the command: `pgmedic locks prod`.',
  '--format': 'Use `--format text`, `--format json` or `--format nagios`.',
  '--warning': 'For example `pgmedic locks --warning 30s --critical 2min`.',
  '--critical': 'For example `pgmedic locks --warning 30s --critical 2min`.',
};

/** Pulls the CLI's own flags out (--target, --format, --warning, --critical, --redact, --show-sql, --help, --version); the rest belongs to the command. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = {
    command: undefined,
    target: undefined,
    format: 'text',
    warning: undefined,
    critical: undefined,
    help: false,
    version: false,
    redact: false,
    showSql: false,
    rest: [],
  };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [token.slice(0, eq), token.slice(eq + 1)] : [token, undefined];
    if (flag === '-h' || flag === '--help') args.help = true;
    else if (flag === '--version' || flag === '-V') args.version = true;
    else if (token === '--redact') args.redact = true;
    else if (token === '--show-sql') args.showSql = true;
    else if (isValueFlag(flag)) {
      const value = inline ?? argv[++i];
      if (!value || (inline === undefined && value.startsWith('--')))
        throw new AppError('bad_option', `${flag} needs a value.`, { hint: EXAMPLES[flag] });
      setValue(args, flag, value);
    } else rest.push(token);
  }
  const [command, ...commandArgs] = rest;
  return { ...args, command, rest: commandArgs };
}

function setValue(args: CliArgs, flag: ValueFlag, value: string): void {
  if (flag === '--target') args.target = value;
  else if (flag === '--warning') args.warning = value;
  else if (flag === '--critical') args.critical = value;
  else if ((FORMATS as readonly string[]).includes(value)) args.format = value as OutputFormat;
  else throw new AppError('bad_option', `--format "${value}" is not known.`, { hint: EXAMPLES['--format'] });
}

/**
 * `pgmedic digest prod`, `pgmedic audit prod --limit 5`: a first bare word is the target, as in `/pg digest prod`.
 * (The diagnostics use engine/target-arg.ts, which also knows their positionals.)
 */
export function withPositionalTarget(args: CliArgs): CliArgs {
  const [first, ...rest] = args.rest;
  if (args.target !== undefined || first === undefined || first.startsWith('-')) return args;
  return { ...args, target: first, rest };
}
