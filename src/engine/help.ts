import { TREND_METRICS } from '../charts/metrics.js';
import type { Report } from '../report/model.js';
import type { AnyCommand } from './command.js';
import { describeOptions, type OptionInfo } from './options.js';
import { EXTRA_COMMANDS, TARGET_SYNTAX } from './extra-commands.js';
import { findCommand, listCommands } from './registry.js';

export { EXTRA_COMMANDS, isExtraCommand } from './extra-commands.js';

const extrasFor = (invocation: string) =>
  EXTRA_COMMANDS.filter((c) => (invocation.startsWith('/') ? !c.cliOnly : !c.slackOnly));

export function helpReport(invocation: string, commandName?: string): Report {
  const extra = commandName ? EXTRA_COMMANDS.find((c) => c.name === commandName.toLowerCase()) : undefined;
  if (extra) {
    // A Slack-only command named on the command line: its Slack usage, said to be Slack's.
    const surface = extrasFor(invocation).includes(extra) ? invocation : extra.cliOnly ? 'pgmedic' : '/pg';
    const footnotes =
      surface === invocation
        ? []
        : [`\`${extra.name}\` works ${extra.cliOnly ? 'on the command line' : 'in Slack'} only.`];
    return {
      title: `${surface} ${extra.name}`,
      status: 'ok',
      summary: extra.summary,
      sections: [{ kind: 'code', title: 'Usage', text: extra.usage(surface) }, ...extraDetails(extra.name)],
      actions: [],
      footnotes,
    };
  }
  return commandName ? commandHelp(invocation, findCommand(commandName)) : overview(invocation);
}

function overview(invocation: string): Report {
  const row = (c: AnyCommand) => [c.name, c.summary];
  return {
    title: 'pgmedic commands',
    status: 'ok',
    summary: `Usage: \`${invocation} <command> ${TARGET_SYNTAX} [options]\`. \`${invocation} help <command>\` explains one.`,
    sections: [
      {
        kind: 'table',
        title: 'Diagnostics',
        columns: [{ header: 'command' }, { header: 'what it answers' }],
        rows: listCommands('diagnostic').map(row),
      },
      ...(listCommands('action').length
        ? [
            {
              kind: 'table' as const,
              title: 'Actions (need approval)',
              columns: [{ header: 'command' }, { header: 'what it does' }],
              rows: listCommands('action').map(row),
            },
          ]
        : []),
      {
        kind: 'table',
        title: 'More',
        columns: [{ header: 'command' }, { header: 'what it does' }],
        rows: extrasFor(invocation).map((c) => [c.name, c.summary]),
      },
    ],
    actions: [],
    footnotes: [],
  };
}

/** The bounds declared with the option, in words: "(1–100)", "(up to 1PB)". */
function accepts(o: OptionInfo): string {
  const b = o.bounds;
  if (!b) return o.type === 'boolean' ? ` (or ${o.flag}=yes/no)` : '';
  if (b.kind === 'text') return '';
  if (b.kind === 'size' || b.kind === 'duration') return ` (up to ${b.display})`;
  return ` (${b.min}–${b.max})`;
}

function commandHelp(invocation: string, command: AnyCommand): Report {
  const options = describeOptions(command.options);
  const positionals = (command.positionals ?? []).map((p) => ` [${p}]`).join('');
  return {
    title: `${invocation} ${command.name}`,
    status: 'ok',
    summary: command.summary,
    sections: [
      {
        kind: 'code',
        title: 'Usage',
        text: `${invocation} ${command.name} ${TARGET_SYNTAX}${positionals}${options.length ? ' [options]' : ''}`,
      },
      {
        kind: 'table',
        title: 'Options',
        columns: [{ header: 'option' }, { header: 'default' }, { header: 'meaning' }],
        rows: options.map((o) => [
          o.type === 'boolean'
            ? o.flag
            : `${o.flag} <${o.choices ? o.choices.join('|') : o.type === 'number' ? 'n' : 'value'}>`,
          o.defaultValue === undefined ? '' : String(o.defaultValue),
          `${o.description}${accepts(o)}`,
        ]),
        empty: 'This command has no options.',
      },
    ],
    actions: [],
    footnotes: [],
  };
}

/** `/pg help trend` lists what each metric charts. */
function extraDetails(name: string): Report['sections'] {
  if (name !== 'trend') return [];
  return [
    {
      kind: 'table',
      title: 'Metrics',
      columns: [{ header: 'metric' }, { header: 'what it charts' }],
      rows: TREND_METRICS.map((m) => [m.name, m.summary]),
    },
  ];
}
