import { type BloatFindings, decidingPercent } from '../../commands/bloat.js';
import type { ConnectionsFindings } from '../../commands/connections.js';
import type { LocksFindings } from '../../commands/locks.js';
import type { SequencesFindings } from '../../commands/sequences.js';
import type { VacuumFindings } from '../../commands/vacuum.js';
import type { WraparoundFindings } from '../../commands/wraparound.js';
import type { ThresholdName } from '../config/thresholds.js';

/** Units as monitoring systems write them in performance data (Nagios plugin guidelines): seconds, percent, plain. */
export type FigureUnit = 's' | '%' | '';

/**
 * The figure a command's status is judged on, for monitoring checks: `--warning` / `--critical` replace its
 * threshold for one run and `--format nagios` reports it as performance data. One table, so every command's
 * choice is seen side by side. Commands left out (health, sizes, …) have no single figure.
 */
export interface PrimaryFigure<Findings = unknown> {
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

const max = (values: number[]) => Math.max(0, ...values);
const figure = <F>(definition: PrimaryFigure<F>) => definition as PrimaryFigure;

export const PRIMARY_FIGURES: Readonly<Record<string, PrimaryFigure>> = {
  locks: figure<LocksFindings>({
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
  connections: figure<ConnectionsFindings>({
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
  vacuum: figure<VacuumFindings>({
    threshold: 'vacuumTriggerRatio',
    label: 'trigger_ratio',
    unit: '',
    meaning: 'dead (or inserted) tuples as a multiple of the table’s autovacuum trigger',
    value: (f) => max(f.tables.map((t) => Math.max(t.ratio ?? 0, t.insertRatio ?? 0))),
    more: (f) => ({ over_trigger: f.overTriggerCount }),
  }),
  bloat: figure<BloatFindings>({
    threshold: 'bloatPct',
    label: 'bloat',
    unit: '%',
    meaning: 'the largest estimated bloat of a relation above the size floor, in percent',
    value: (f) => max(f.relations.map(decidingPercent)),
  }),
  wraparound: figure<WraparoundFindings>({
    threshold: 'xidAge',
    label: 'age',
    unit: '',
    meaning: 'the oldest XID or multixact age of a database, in transactions',
    value: (f) => max(f.databases.map((d) => Math.max(d.xidAge, d.multixactAge))),
  }),
  sequences: figure<SequencesFindings>({
    threshold: 'sequenceUsedPct',
    label: 'used',
    unit: '%',
    meaning: 'the share of its range the fullest sequence has used, in percent',
    value: (f) => max(f.sequences.map((s) => s.percentUsed ?? 0)),
  }),
};

export const primaryFigure = (command: string): PrimaryFigure | undefined => PRIMARY_FIGURES[command];
