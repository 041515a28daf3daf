import type { z } from 'zod';
import bloat, { decidingPercent } from '../../commands/bloat.js';
import connections from '../../commands/connections.js';
import locks from '../../commands/locks.js';
import sequences from '../../commands/sequences.js';
import vacuum from '../../commands/vacuum.js';
import wraparound from '../../commands/wraparound.js';
import type { ThresholdName } from '../config/thresholds.js';
import type { CommandDefinition } from './command.js';
import { findingsOf } from './run.js';

/** Units as monitoring systems write them in performance data (Nagios plugin guidelines): seconds, percent, plain. */
export type FigureUnit = 's' | '%' | '';

/**
 * The figure a command's status is judged on, for monitoring checks: `--warning` / `--critical` replace its
 * threshold for one run and `--format nagios` reports it as performance data. One table, so every command's
 * choice is seen side by side. Commands left out (health, sizes, …) have no single figure.
 */
interface FigureOf<Findings> {
  threshold: ThresholdName;
  /** Performance-data label. */
  label: string;
  unit: FigureUnit;
  /** What the number is, for help and error messages. */
  meaning: string;
  value(findings: Findings): number;
  /** More figures for the performance data (no thresholds of their own here). */
  more?(findings: Findings): Record<string, number>;
}

/** One run of a command, as the figure reads it. */
type Run = { command: string; findings: unknown };

/** A figure as the CLI uses it: read from a run of its command (the findings typed through findingsOf). */
export interface PrimaryFigure extends Omit<FigureOf<unknown>, 'value' | 'more'> {
  command: string;
  value(run: Run): number;
  more?(run: Run): Record<string, number>;
}

const max = (values: number[]) => Math.max(0, ...values);

function figure<Findings>(command: CommandDefinition<z.ZodObject, Findings>, of: FigureOf<Findings>): PrimaryFigure {
  const findings = (run: Run): Findings => {
    const typed = findingsOf(run, command);
    if (!typed) throw new Error(`${of.label} is a figure of ${command.name}, not of ${run.command}`);
    return typed;
  };
  const { value, more, ...described } = of;
  return {
    ...described,
    command: command.name,
    value: (run) => value(findings(run)),
    ...(more ? { more: (run: Run) => more(findings(run)) } : {}),
  };
}

const FIGURES: readonly PrimaryFigure[] = [
  figure(locks, {
    threshold: 'lockWaitSeconds',
    label: 'longest_wait',
    unit: 's',
    meaning: 'the longest lock wait, in seconds (30s, 2min)',
    value: (f) => max(f.sessions.map((s) => s.waitSeconds ?? 0)),
    more: (f) => ({
      blocked: f.sessions.filter((s) => s.waitSeconds !== null).length,
      root_blockers: f.rootPids.length,
    }),
  }),
  figure(connections, {
    threshold: 'connectionsUsedPct',
    label: 'used',
    unit: '%',
    meaning: 'the share of usable connections in use, in percent',
    value: (f) => f.usedPct,
    more: (f) => ({
      connections: f.clientConnections,
      idle_in_transaction: f.idleInTransactionCount,
      waiting: f.waitingCount,
    }),
  }),
  figure(vacuum, {
    threshold: 'vacuumTriggerRatio',
    label: 'trigger_ratio',
    unit: '',
    meaning: 'dead (or inserted) tuples as a multiple of the table’s autovacuum trigger',
    value: (f) => max(f.tables.map((t) => Math.max(t.ratio ?? 0, t.insertRatio ?? 0))),
    more: (f) => ({ over_trigger: f.overTriggerCount }),
  }),
  figure(bloat, {
    threshold: 'bloatPct',
    label: 'bloat',
    unit: '%',
    meaning: 'the largest estimated bloat of a relation above the size floor, in percent',
    value: (f) => max(f.relations.map(decidingPercent)),
  }),
  figure(wraparound, {
    threshold: 'xidAge',
    label: 'age',
    unit: '',
    meaning: 'the oldest XID or multixact age of a database, in transactions',
    value: (f) => max(f.databases.map((d) => Math.max(d.xidAge, d.multixactAge))),
  }),
  figure(sequences, {
    threshold: 'sequenceUsedPct',
    label: 'used',
    unit: '%',
    meaning: 'the share of its range the fullest sequence has used, in percent',
    value: (f) => max(f.sequences.map((s) => s.percentUsed ?? 0)),
  }),
];

export const PRIMARY_FIGURES: Readonly<Record<string, PrimaryFigure>> = Object.fromEntries(
  FIGURES.map((f) => [f.command, f]),
);

export const primaryFigure = (command: string): PrimaryFigure | undefined => PRIMARY_FIGURES[command];
