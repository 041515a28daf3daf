import type { Thresholds } from '../config/thresholds.js';
import type { PrimaryFigure } from '../engine/primary.js';
import type { RunResult } from '../engine/run.js';
import { printable } from '../report/text.js';

const STATE = { ok: 'OK', warn: 'WARNING', crit: 'CRITICAL' } as const;

/**
 * One line in the Nagios plugin format (also read by Icinga, Zabbix, Sensu):
 * `PGMEDIC LOCKS WARNING - <summary> | longest_wait=42s;10;60;0 blocked=3 time=0.042s`.
 */
export function renderNagios(result: RunResult, figure: PrimaryFigure | undefined, thresholds: Thresholds): string {
  const perf: string[] = [];
  if (figure) {
    const { warn, crit } = thresholds[figure.threshold];
    perf.push(
      `${figure.label}=${num(figure.value(result))}${figure.unit};${num(warn)};${num(crit)};0${figure.unit === '%' ? ';100' : ''}`,
    );
    for (const [label, value] of Object.entries(figure.more?.(result) ?? {})) perf.push(`${label}=${num(value)}`);
  }
  perf.push(`time=${num(result.meta.elapsedMs / 1000)}s`);
  return `PGMEDIC ${result.command.toUpperCase()} ${STATE[result.status]} - ${oneLine(result.summary)} | ${perf.join(' ')}`;
}

/** When pgmedic could not judge (bad option, unreachable target): UNKNOWN, exit code 3. */
export function nagiosUnknown(command: string, message: string): string {
  return `PGMEDIC ${command.toUpperCase()} UNKNOWN - ${oneLine(message)}`;
}

/** The text part may not contain the perfdata separator, a newline or any other control character. */
const oneLine = (text: string) => printable(text.replace(/\|/g, '/').replace(/\s+/g, ' ').trim());

const num = (value: number) => String(Math.round(value * 1000) / 1000);
