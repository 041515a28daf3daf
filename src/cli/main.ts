import { readFileSync } from 'node:fs';
import { wantsColor } from '../config/terminal.js';
import { AppError, describeError } from '../errors.js';
import { parseCliArgs, type CliArgs } from './args.js';
import { EXIT, type ExitCode } from './exit.js';
import { nagiosUnknown } from './nagios.js';
import { printable } from '../report/text.js';

// Only the branch that runs is loaded (dynamic imports below): `--version` loads nothing more, `--help` the
// command definitions but no configuration, one diagnostic never Slack, the scheduler, prom-client or the
// workspace. Start-up time is what a monitoring check pays every minute.

interface Outcome {
  output: string;
  code: ExitCode;
}

async function main(args: CliArgs): Promise<Outcome> {
  if (args.version) return { output: version(), code: EXIT.ok };
  const color = wantsColor(Boolean(process.stdout.isTTY));
  const topic = helpTopic(args);
  if (topic !== undefined) {
    const { renderHelp } = await import('./help.js');
    return { output: await renderHelp(topic ?? undefined, color), code: EXIT.ok };
  }
  if (args.format === 'nagios' && (args.command === 'audit' || args.command === 'digest')) {
    throw new AppError('bad_option', `\`${args.command}\` has no --format nagios.`, {
      hint: 'Use `--format text` or `--format json`; nagios checks are the diagnostics, e.g. `pgmedic locks --format nagios`.',
    });
  }
  if (args.showSql && (args.format !== 'text' || EXTRA.includes(args.command ?? ''))) {
    throw new AppError('bad_option', '`--show-sql` prints the SQL of one diagnostic or action, as text.', {
      hint: 'For example `pgmedic vacuum prod --show-sql`, without --format.',
    });
  }
  const { loadConfig } = await import('../config/load.js');
  const { planCli } = await import('./plan.js');
  // Every argument is checked before anything connects.
  const config = args.command === 'audit' || args.command === 'migrate-state' ? undefined : await loadConfig();
  const plan = planCli(args, config?.targets.map((t) => t.name) ?? []);
  if (plan.kind === 'help') return { output: '', code: EXIT.ok }; // answered above
  if (plan.kind === 'audit')
    return { output: await (await import('./audit.js')).runAudit(plan.args, plan.limit, color), code: EXIT.ok };
  if (plan.kind === 'migrate-state') {
    const { output, tamperProof } = await (await import('./migrate.js')).runMigrateState();
    return { output, code: tamperProof ? EXIT.ok : EXIT.warn };
  }
  if (plan.kind === 'snapshot') {
    const { output, ok } = await (await import('./snapshot.js')).runSnapshotCommand(plan.args);
    return { output, code: ok ? EXIT.ok : EXIT.error };
  }
  if (plan.kind === 'digest') {
    const { output, digest } = await (await import('./digest.js')).runDigest(plan.args, color);
    return { output, code: EXIT[digest.status] };
  }
  if (args.showSql) return { output: await (await import('./show-sql.js')).showSql(config!, plan), code: EXIT.ok };
  const { runDiagnostic } = await import('./diagnostic.js');
  const { output, status } = await runDiagnostic(config!, plan, color);
  return { output, code: EXIT[status] };
}

/** The CLI's own commands: they send no diagnostic SQL to show. */
const EXTRA = ['audit', 'digest', 'migrate-state'];

/** undefined: not a help request; null: the overview; a name: that command's help. */
function helpTopic(args: CliArgs): string | null | undefined {
  if (!args.command) return null;
  if (args.command === 'help' || args.command === 'commands')
    return args.rest.find((word) => !word.startsWith('-')) ?? null;
  return args.help ? args.command : undefined;
}

function version(): string {
  // package.json is two levels above src/cli (tsx) and dist/cli (the build), three above dist/src/cli.
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const { name, version } = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (name === 'pgmedic' && version) return `pgmedic ${version}`;
    } catch {
      // not at this level
    }
  }
  return 'pgmedic (unknown version)';
}

/** Hints name commands as typed anywhere (`help locks`); on the command line they start with `pgmedic`. */
const forCommandLine = (text: string) => text.replace(/`help\b/g, '`pgmedic help');

function fail(args: CliArgs | undefined, error: unknown): Outcome {
  // The message may quote what was typed or what the server said: control characters are shown, not sent.
  const text = printable(forCommandLine(describeError(error).text));
  if (args?.format === 'nagios') return { output: nagiosUnknown(args.command ?? '', text), code: EXIT.error };
  process.stderr.write(`pgmedic: ${text}\n`);
  return { output: '', code: EXIT.error };
}

async function run(argv: string[]): Promise<Outcome> {
  let args: CliArgs | undefined;
  try {
    args = parseCliArgs(argv);
    return await main(args);
  } catch (error) {
    return fail(args, error);
  }
}

const { output, code } = await run(process.argv.slice(2));
if (output) process.stdout.write(`${output}\n`);
process.exitCode = code;
