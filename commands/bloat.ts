import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { intOption, sizeOption } from '../src/engine/units.js';
import { confirmExactly, EXACT_TOP, type ExactStatus, type Measured } from './bloat/exact.js';
import { measureHidden, type HiddenStatsCheck } from './bloat/hidden.js';
import { indexBloat, isTiny, tableBloat, type IndexRow, type RelationBloat, type TableRow } from './bloat/relations.js';
import { bloatReport } from './bloat/report.js';
import { EXACT_ACCESS_SQL, exactIndexesSql, exactTablesSql, INDEXES_SQL, TABLES_SQL } from './bloat/sql.js';

export type { RelationBloat } from './bloat/relations.js';
export type { ExactStatus } from './bloat/exact.js';
export type { HiddenStatsCheck } from './bloat/hidden.js';
/** For digests (offenders) and monitoring (the primary figure): how a relation is judged. */
export { decidingPercent, relationStatus } from './bloat/report.js';

export interface BloatFindings {
  /** The most bloated tables, then the most bloated btree indexes (up to --limit each), by estimated bytes. */
  relations: RelationBloat[];
  /** Relations at or above the size floor that were estimated. */
  candidates: { tables: number; indexes: number };
  minSizeBytes: number;
  blockSize: number;
  /**
   * Reclaimable bytes over every candidate, shown or not: pgstattuple's figure where measured, the estimate
   * where it is reliable; unreliable estimates, relations not estimated and tiny ones count nothing.
   */
  totalBloatBytes: number;
  /** Candidates measured by pgstattuple (for the hidden statistics or --exact) that count in the total. */
  totalMeasured: number;
  /** Relations whose pg_stats columns this role cannot see, in user schemas (system catalogs left out of advice). */
  hiddenStatsRelations: string[];
  /** What was done about hidden statistics: pgstattuple within a time budget, or not estimated. */
  hiddenStats: HiddenStatsCheck;
  /** Relations someone holds ACCESS EXCLUSIVE on: not measured, sizes from pg_class. */
  lockedRelations: string[];
  exact: ExactStatus;
}

const BLOCK_SIZE_SQL = `SELECT current_setting('block_size')::int AS block_size`;

const options = z.object({
  minSize: sizeOption('100MB', 'Leave out relations smaller than this (e.g. 1GB, 500MB, 0 for all)'),
  limit: intOption(1, 100, 20, 'Tables and indexes to show (each)'),
  exact: z
    .boolean()
    .default(false)
    .describe(`Confirm the top ${EXACT_TOP} tables and indexes with pgstattuple (reads them; slower)`),
});

export type BloatOptions = z.infer<typeof options>;

export default defineCommand({
  name: 'bloat',
  summary: 'Table and btree index bloat estimated from catalog statistics; --exact confirms with pgstattuple',
  kind: 'diagnostic',
  options,
  sql: (caps) => {
    const pgstattuple = caps.extensionSchemas.pgstattuple;
    const exact: Record<string, string> = pgstattuple
      ? {
          exactAccess: EXACT_ACCESS_SQL,
          exactTables: exactTablesSql(pgstattuple),
          exactIndexes: exactIndexesSql(pgstattuple),
        }
      : {};
    return { blockSize: BLOCK_SIZE_SQL, tables: TABLES_SQL, indexes: INDEXES_SQL, ...exact };
  },

  async collect({ session, caps, thresholds }, opts): Promise<BloatFindings> {
    const [settings] = await session.query<{ block_size: number }>(BLOCK_SIZE_SQL);
    const blockSize = settings?.block_size ?? 8192;
    const tableRows = await session.query<TableRow>(TABLES_SQL, [opts.minSize]);
    const indexRows = await session.query<IndexRow>(INDEXES_SQL, [opts.minSize]);
    const rule = { triggerRatio: thresholds.vacuumTriggerRatio.warn };
    const tables = tableRows.map((row) => ({ oid: row.oid, relation: tableBloat(row, blockSize, rule) }));
    const indexes = indexRows.map((row) => ({ oid: row.oid, relation: indexBloat(row, blockSize) }));
    const hiddenStats = await measureHidden(session, caps, [...tables, ...indexes], blockSize);
    const shownTables = mostBloated(tables, opts.limit);
    const shownIndexes = mostBloated(indexes, opts.limit);
    const unmeasuredTop = [...shownTables.slice(0, EXACT_TOP), ...shownIndexes.slice(0, EXACT_TOP)].filter(
      (m) => m.relation.exactBloatPercent == null && !m.relation.notEstimated,
    );
    const exact = opts.exact
      ? await confirmExactly(session, caps, unmeasuredTop, blockSize)
      : { requested: false, unavailable: null, confirmed: 0, indexesSkippedOnStandby: false };
    const all = [...tables, ...indexes].map((m) => m.relation);
    const counted = all.filter((r) => !isTiny(r, blockSize));
    return {
      relations: [...shownTables, ...shownIndexes].map((m) => m.relation),
      candidates: { tables: tables.length, indexes: indexes.length },
      minSizeBytes: opts.minSize,
      blockSize,
      totalBloatBytes: counted.reduce((sum, r) => sum + countedBytes(r), 0),
      totalMeasured: counted.filter((r) => r.exactBloatBytes != null).length,
      hiddenStatsRelations: all
        .filter((r) => r.statsHidden && !SYSTEM_SCHEMAS.includes(r.schema))
        .map((r) => `${r.schema}.${r.index ?? r.table}`),
      hiddenStats,
      lockedRelations: all.filter((r) => r.locked).map((r) => `${r.schema}.${r.index ?? r.table}`),
      exact,
    };
  },

  report: bloatReport,
});

/** System catalogs: their statistics stay hidden from a monitoring role, and no DBA should grant SELECT on them. */
const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema'];

/** pgstattuple's bytes when measured, the estimate when it is reliable, else nothing (a guess is not a figure). */
function countedBytes(r: RelationBloat): number {
  if (r.exactBloatBytes != null) return r.exactBloatBytes;
  return r.reliable && !r.notEstimated ? r.bloatBytes : 0;
}

/** Biggest reclaimable space first, by the figure the report goes by. */
function mostBloated(measured: Measured[], limit: number): Measured[] {
  const bytes = (r: RelationBloat) => r.exactBloatBytes ?? (r.notEstimated ? 0 : r.bloatBytes);
  return [...measured]
    .sort((a, b) => bytes(b.relation) - bytes(a.relation) || b.relation.bloatPercent - a.relation.bloatPercent)
    .slice(0, limit);
}
