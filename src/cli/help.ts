import { DEFAULT_THRESHOLDS } from '../config/thresholds.js';
import { helpReport } from '../engine/help.js';
import { PRIMARY_FIGURES, primaryFigure, type PrimaryFigure } from '../engine/primary.js';
import { findCommand } from '../engine/registry.js';
import type { Report, Section } from '../report/model.js';
import { renderText } from '../report/text.js';
import { prepareDisplayWidth } from '../report/width.js';
import { isExtraCommand } from '../engine/extra-commands.js';

const OUTPUT: Section = {
  kind: 'table',
  title: 'Output (--format)',
  columns: [{ header: 'format' }, { header: 'what it prints' }],
  rows: [
    ['text', 'The report for people (default): colour on a terminal; NO_COLOR turns it off, FORCE_COLOR on'],
    [
      'json',
      'One JSON object: command, target, status (ok|warn|crit), summary, findings (the figures), meta (server version, elapsed ms)',
    ],
    [
      'nagios',
      'One status line with performance data for Nagios, Icinga, Zabbix: PGMEDIC LOCKS WARNING - … | longest_wait=42s;10;60;0',
    ],
    [
      '--show-sql',
      'Instead of a report: the statements the command sends to this server’s version, as SQL to paste into psql; nothing else runs',
    ],
  ],
};

const EXIT_CODES: Section = {
  kind: 'table',
  title: 'Exit codes',
  columns: [{ header: 'code' }, { header: 'meaning' }],
  rows: [
    ['0', 'OK: nothing past a warning threshold'],
    ['1', 'WARNING: something past a warning threshold'],
    ['2', 'CRITICAL: something past a critical threshold'],
    [
      '3',
      'UNKNOWN: it could not run (bad option, unknown command or target, unreachable, timeout, permission); the message says what to do',
    ],
  ],
};

const thresholdText = (figure: PrimaryFigure) => {
  const { warn, crit } = DEFAULT_THRESHOLDS[figure.threshold];
  return `${warn}${figure.unit} / ${crit}${figure.unit}`;
};

const MONITORING: Section = {
  kind: 'table',
  title: 'Monitoring checks (--warning, --critical)',
  columns: [{ header: 'command' }, { header: 'figure --warning and --critical set' }, { header: 'defaults' }],
  rows: Object.entries(PRIMARY_FIGURES).map(([name, figure]) => [name, figure.meaning, thresholdText(figure)]),
};

const HOW: Section = {
  kind: 'text',
  title: 'Targets',
  text: 'Name the target after the command (`pgmedic locks prod`) or with --target; without one, the default target (DATABASE_URL, or defaultTarget in PGMEDIC_CONFIG).',
};

/** The command line's help: the shared help report, plus what only a terminal has (formats, exit codes, thresholds). */
export async function renderHelp(topic: string | undefined, color: boolean): Promise<string> {
  const shared = helpReport('pgmedic', topic);
  const report = topic
    ? commandHelp(shared, topic)
    : { ...shared, sections: [...shared.sections, HOW, OUTPUT, EXIT_CODES, MONITORING] };
  await prepareDisplayWidth(JSON.stringify(report));
  return renderText(report, undefined, { color });
}

function commandHelp(report: Report, topic: string): Report {
  if (isExtraCommand(topic)) return { ...report, sections: [...report.sections, EXIT_CODES] };
  const figure = primaryFigure(findCommand(topic).name);
  const monitoring: Section[] = figure
    ? [
        {
          kind: 'text',
          title: 'Monitoring (--warning, --critical)',
          text: `--warning and --critical replace the thresholds of ${figure.meaning} for this run (defaults ${thresholdText(figure)}, or the target's own). With --format nagios it is the performance figure ${figure.label}.`,
        },
      ]
    : [
        {
          kind: 'text',
          title: 'Monitoring',
          text: 'This command has no single figure for --warning and --critical; its status is the worst of its checks. --format nagios prints it as one status line.',
        },
      ];
  return { ...report, sections: [...report.sections, OUTPUT, EXIT_CODES, ...monitoring] };
}
