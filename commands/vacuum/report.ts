import type { ReportContext } from '../../src/engine/command.js';
import type { Thresholds } from '../../src/config/thresholds.js';
import {
  formatCount,
  formatDuration,
  formatLargeCount,
  formatPercent,
  plural,
  qualifiedName,
  truncate,
} from '../../src/report/format.js';
import { statusFor, worstStatus, type Fact, type Report, type Section, type Status } from '../../src/report/model.js';
import type { VacuumOptions } from '../vacuum.js';
import { analyzeTableAction, vacuumTableAction } from '../shared/table-actions.js';
import type { HorizonHolder, VacuumFindings, VacuumTable } from './findings.js';
import { horizonSection, runningSection, wraparoundSection } from './sections.js';

/** Manual VACUUM buttons offered at most: the tables furthest behind. */
const MAX_VACUUM_ACTIONS = 3;

export const worstRatio = (t: VacuumTable) => Math.max(t.ratio ?? 0, t.insertRatio ?? 0);

/** A table's status by autovacuum's trigger arithmetic: the digest names the same tables the report flags. */
export function tableStatus(table: VacuumTable, thresholds: Thresholds): Status {
  if (table.autovacuumEnabled) return statusFor(worstRatio(table), thresholds.vacuumTriggerRatio);
  // Autovacuum off for the table: anything past the trigger will never be cleaned by autovacuum.
  return table.behind ? worstStatus('warn', statusFor(worstRatio(table), thresholds.vacuumTriggerRatio)) : 'ok';
}

export function holderStatus(holder: HorizonHolder, thresholds: Thresholds): Status {
  if (holder.kind === 'replication slot') return holder.state === 'inactive' ? 'warn' : 'ok';
  return holder.ageSeconds === null ? 'ok' : statusFor(holder.ageSeconds, thresholds.oldestTransactionSeconds);
}

function overallStatus(findings: VacuumFindings, thresholds: Thresholds): Status {
  const settingsStatus: Status =
    !findings.inRecovery && (!findings.settings.autovacuum || !findings.settings.trackCounts) ? 'crit' : 'ok';
  return worstStatus(
    settingsStatus,
    ...(findings.inRecovery ? [] : findings.tables.map((t) => tableStatus(t, thresholds))),
    ...findings.horizon.map((h) => holderStatus(h, thresholds)),
    ...findings.wraparound.map((w) => statusFor(w.xidAge, thresholds.xidAge)),
  );
}

export function describeHolder(holder: HorizonHolder): string {
  const who =
    holder.pid !== null ? `pid ${holder.pid}${holder.name ? ` (${holder.name})` : ''}` : `"${holder.name ?? '?'}"`;
  const age = holder.ageSeconds !== null ? ` for ${formatDuration(holder.ageSeconds)}` : '';
  return `${holder.kind} ${who}${age}, ${formatLargeCount(holder.xminAge)} XIDs behind`;
}

function summarize(findings: VacuumFindings, thresholds: Thresholds): string {
  if (!findings.inRecovery && !findings.settings.autovacuum)
    return 'autovacuum is OFF server-wide: dead tuples pile up everywhere until only anti-wraparound vacuums run. Set autovacuum = on.';
  if (!findings.inRecovery && !findings.settings.trackCounts)
    return 'track_counts is off: autovacuum cannot see dead tuples and never triggers. Set track_counts = on.';
  const behind = findings.tables.filter((t) => t.behind).length;
  const oldest = findings.horizon.find((h) => holderStatus(h, thresholds) !== 'ok');
  const tables = findings.inRecovery
    ? 'Standby: autovacuum runs on the primary.'
    : findings.overTriggerCount
      ? `${plural(findings.overTriggerCount, 'table')} of ${formatCount(findings.tableCount)} past the autovacuum trigger${behind ? `, ${formatCount(behind)} far behind (≥ ${thresholds.vacuumTriggerRatio.warn}×)` : ''}.`
      : findings.tableCount
        ? `Autovacuum is keeping up: no table of ${formatCount(findings.tableCount)} is past its trigger.`
        : 'Autovacuum is keeping up: this database has no tables of its own yet, and no catalog is past its trigger.';
  return oldest ? `${tables} The xmin horizon is held by a ${describeHolder(oldest)}.` : tables;
}

function settingsFacts(findings: VacuumFindings): Fact[] {
  const s = findings.settings;
  const busy = findings.running.filter((r) => r.autovacuum).length;
  const cap =
    s.vacuumMaxThreshold !== null && s.vacuumMaxThreshold >= 0
      ? `, at most ${formatLargeCount(s.vacuumMaxThreshold)}`
      : '';
  return [
    { label: 'autovacuum', value: s.autovacuum ? 'on' : 'OFF', status: s.autovacuum ? 'ok' : 'crit' },
    { label: 'Workers busy', value: `${busy} of ${s.maxWorkers} (naptime ${formatDuration(s.naptimeSeconds)})` },
    {
      label: 'Dead-tuple trigger',
      value: `${formatCount(s.vacuumThreshold)} + ${formatPercent(s.vacuumScaleFactor * 100, 0)} of rows${cap}`,
    },
    {
      label: 'Insert trigger',
      value:
        s.insertThreshold < 0
          ? 'off'
          : `${formatCount(s.insertThreshold)} + ${formatPercent(s.insertScaleFactor * 100, 0)} of rows`,
    },
    {
      label: 'Tables past their trigger',
      value: findings.tableCount
        ? `${formatCount(findings.overTriggerCount)} of ${formatCount(findings.tableCount)}`
        : 'none',
    },
  ];
}

const ago = (seconds: number | null) => (seconds === null ? 'never' : `${formatDuration(seconds)} ago`);
const newest = (...seconds: (number | null)[]) => {
  const known = seconds.filter((s): s is number => s !== null);
  return known.length ? Math.min(...known) : null;
};

function tablesSection(tables: VacuumTable[], thresholds: Thresholds, inRecovery: boolean): Section {
  return {
    kind: 'table',
    title: 'Tables furthest past their autovacuum trigger (dead tuples vs threshold + scale factor × rows)',
    columns: [
      { header: 'table' },
      { header: 'dead', align: 'right' },
      { header: 'trigger', align: 'right' },
      { header: '×', align: 'right' },
      { header: 'inserts ×', align: 'right' },
      { header: 'autovacuum' },
      { header: 'last vacuum' },
      { header: 'last analyze' },
    ],
    rows: tables.map((t) => [
      qualifiedName(t.schema, t.table),
      formatCount(t.deadTuples),
      formatCount(t.autovacuumThreshold),
      t.ratio === null ? '–' : t.ratio.toFixed(1),
      t.insertRatio === null ? 'off' : t.insertRatio.toFixed(1),
      t.autovacuumEnabled ? (t.tableSettings ? 'on (table settings)' : 'on') : 'OFF for this table',
      ago(newest(t.lastVacuumSeconds, t.lastAutovacuumSeconds)),
      ago(newest(t.lastAnalyzeSeconds, t.lastAutoanalyzeSeconds)),
    ]),
    // On a standby the counters are not kept: no row is judged.
    rowStatus: tables.map((t) => (inRecovery ? 'ok' : tableStatus(t, thresholds))),
    // Every table of its own is listed up to --limit (catalogs only when past a trigger): empty means none.
    empty: 'No tables of its own yet, and no catalog past its trigger.',
  };
}

function footnotes(findings: VacuumFindings, thresholds: Thresholds): string[] {
  const holding = findings.horizon.filter((h) => holderStatus(h, thresholds) !== 'ok');
  const disabled = findings.autovacuumDisabled.map(
    (d) => `${qualifiedName(d.schema, d.table)} (${formatCount(d.deadTuples)} dead)`,
  );
  return [
    ...(neverAnalyzed(findings).length
      ? [
          `Never analyzed (the planner has no statistics and guesses): ${truncate(
            neverAnalyzed(findings)
              .map((t) => qualifiedName(t.schema, t.table))
              .join(', '),
            300,
          )}; ANALYZE is offered.`,
        ]
      : []),
    ...(findings.inRecovery
      ? [
          'This is a standby: vacuum runs on the primary and these table counters are not kept here. Its sessions hold the primary’s horizon only with hot_standby_feedback = on.',
        ]
      : []),
    ...(holding.length
      ? [
          'VACUUM cannot remove rows deleted after the oldest snapshot began: until the holders above end, neither autovacuum nor a manual VACUUM can clean them.',
        ]
      : []),
    ...(findings.horizon.some((h) => h.kind === 'prepared transaction')
      ? ['A prepared transaction survives restarts; end it with COMMIT PREPARED or ROLLBACK PREPARED and its gid.']
      : []),
    ...(findings.horizon.some((h) => h.kind === 'replication slot' && h.state === 'inactive')
      ? [
          'An inactive slot keeps its xmin forever; drop it with pg_drop_replication_slot(name) if its consumer is gone.',
        ]
      : []),
    ...(disabled.length
      ? [
          `autovacuum_enabled = false on ${plural(findings.autovacuumDisabledCount, 'table')}: ${truncate(disabled.join(', '), 400)}. Only anti-wraparound vacuums run there; re-enable with ALTER TABLE … RESET (autovacuum_enabled).`,
        ]
      : []),
  ];
}

/** User tables with rows and no statistics at all (VACUUM (ANALYZE) covers those already offered a VACUUM; the catalogs are autovacuum's). */
function neverAnalyzed(findings: VacuumFindings): VacuumTable[] {
  if (findings.inRecovery) return [];
  return findings.tables
    .filter(
      (t) =>
        t.schema !== 'pg_catalog' &&
        !t.behind &&
        t.liveTuples > 0 &&
        t.lastAnalyzeSeconds === null &&
        t.lastAutoanalyzeSeconds === null,
    )
    .slice(0, MAX_VACUUM_ACTIONS);
}

export function vacuumReport(findings: VacuumFindings, { thresholds }: ReportContext<VacuumOptions>): Report {
  const candidates = findings.inRecovery ? [] : findings.tables.filter((t) => t.behind);
  return {
    title: 'Vacuum',
    status: overallStatus(findings, thresholds),
    summary: summarize(findings, thresholds),
    // the summary names the tables autovacuum is behind on and what holds the horizon: the cause in one line
    reasons: overallStatus(findings, thresholds) === 'ok' ? [] : [summarize(findings, thresholds)],
    sections: [
      { kind: 'facts', facts: settingsFacts(findings) },
      tablesSection(findings.tables, thresholds, findings.inRecovery),
      runningSection(findings.running),
      horizonSection(findings.horizon),
      wraparoundSection(findings.wraparound),
    ],
    actions: [
      ...candidates
        .sort((a, b) => worstRatio(b) - worstRatio(a))
        .slice(0, MAX_VACUUM_ACTIONS)
        .map((t) => vacuumTableAction(t.oid, t.schema, t.table)),
      ...neverAnalyzed(findings).map((t) => analyzeTableAction(t.oid, t.schema, t.table)),
    ],
    footnotes: footnotes(findings, thresholds),
  };
}
