import { z } from 'zod';
import type { Session } from '../src/db/session.js';
import { defineCommand } from '../src/engine/command.js';
import { intOption } from '../src/engine/units.js';
import type {
  AutovacuumSettings,
  HorizonHolder,
  RunningVacuum,
  VacuumFindings,
  VacuumTable,
  WraparoundCandidate,
} from './vacuum/findings.js';
import { vacuumReport } from './vacuum/report.js';
import {
  DISABLED_SQL,
  HORIZON_SQL,
  PROGRESS_SQL,
  SETTINGS_NAMES,
  SETTINGS_SQL,
  TABLES_SQL,
  WRAPAROUND_SQL,
} from './vacuum/sql.js';

export type * from './vacuum/findings.js';
/** For digests (offenders): how a table and a horizon holder are judged and named. */
export { describeHolder, holderStatus, tableStatus, worstRatio } from './vacuum/report.js';

/** Horizon holders and anti-wraparound candidates listed. */
const SHORT_LIST = 5;

/** A row of TABLES_SQL: the table before `behind` is judged, with the window counts. */
type TableRow = Omit<VacuumTable, 'behind'> & { tableCount: number; overTriggerCount: number };

const options = z.object({
  limit: intOption(1, 100, 10, 'Tables to show, furthest past their autovacuum trigger first'),
});

export type VacuumOptions = z.infer<typeof options>;

export default defineCommand({
  name: 'vacuum',
  summary:
    'Is autovacuum keeping up: dead tuples vs each table’s trigger, running vacuums, what holds the xmin horizon, wraparound',
  kind: 'diagnostic',
  options,
  sql: {
    settings: SETTINGS_SQL,
    tables: TABLES_SQL,
    disabled: DISABLED_SQL,
    progress: PROGRESS_SQL,
    horizon: HORIZON_SQL,
    wraparound: WRAPAROUND_SQL,
  },

  async collect({ session, caps, thresholds, alongside }, opts): Promise<VacuumFindings> {
    // The two passes over every table run side by side, on two connections (one statement at a time on each).
    const [[settings, rows], [disabled, running, horizon, wraparound]] = await Promise.all([
      (async () => [await readSettings(session), await session.query<TableRow>(TABLES_SQL, [opts.limit])] as const)(),
      alongside(
        async (other) =>
          [
            await other.query<{ schema: string; table: string; deadTuples: number; total: number }>(DISABLED_SQL),
            await other.query<RunningVacuum>(PROGRESS_SQL),
            await other.query<HorizonHolder>(HORIZON_SQL, [SHORT_LIST]),
            await other.query<WraparoundCandidate>(WRAPAROUND_SQL, [SHORT_LIST]),
          ] as const,
      ),
    ]);
    return {
      settings,
      tables: rows.map((row) => judgeTable(row, thresholds.vacuumTriggerRatio.warn)),
      tableCount: rows[0]?.tableCount ?? 0,
      overTriggerCount: rows[0]?.overTriggerCount ?? 0,
      autovacuumDisabled: disabled.map(({ schema, table, deadTuples }) => ({ schema, table, deadTuples })),
      autovacuumDisabledCount: disabled[0]?.total ?? 0,
      running,
      horizon,
      wraparound,
      inRecovery: caps.inRecovery,
    };
  },

  report: vacuumReport,
});

/** Autovacuum is behind when a trigger is passed by the warn multiple, or passed at all with autovacuum off for the table. */
function judgeTable(row: TableRow, triggerRatio: number): VacuumTable {
  const { tableCount: _count, overTriggerCount: _over, ...table } = row;
  const behind = table.autovacuumEnabled
    ? (table.ratio ?? 0) >= triggerRatio || (table.insertRatio ?? 0) >= triggerRatio
    : (table.ratio ?? 0) > 1 || (table.insertRatio ?? 0) > 1;
  return {
    ...table,
    autovacuumThreshold: Math.round(table.autovacuumThreshold),
    insertThreshold: table.insertThreshold === null ? null : Math.round(table.insertThreshold),
    behind,
  };
}

async function readSettings(session: Session): Promise<AutovacuumSettings> {
  const rows = await session.query<{ name: string; setting: string }>(SETTINGS_SQL, [SETTINGS_NAMES]);
  const raw = new Map(rows.map((r) => [r.name, r.setting]));
  const number = (name: (typeof SETTINGS_NAMES)[number]) => Number(raw.get(name));
  return {
    autovacuum: raw.get('autovacuum') === 'on',
    trackCounts: raw.get('track_counts') === 'on',
    maxWorkers: number('autovacuum_max_workers'),
    naptimeSeconds: number('autovacuum_naptime'),
    vacuumThreshold: number('autovacuum_vacuum_threshold'),
    vacuumScaleFactor: number('autovacuum_vacuum_scale_factor'),
    vacuumMaxThreshold: raw.has('autovacuum_vacuum_max_threshold') ? number('autovacuum_vacuum_max_threshold') : null,
    insertThreshold: number('autovacuum_vacuum_insert_threshold'),
    insertScaleFactor: number('autovacuum_vacuum_insert_scale_factor'),
    freezeMaxAge: number('autovacuum_freeze_max_age'),
    multixactFreezeMaxAge: number('autovacuum_multixact_freeze_max_age'),
  };
}
