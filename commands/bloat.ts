import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { intOption, sizeOption } from '../src/engine/units.js';
import { confirmExactly, EXACT_TOP, type ExactStatus, type Measured } from './bloat/exact.js';
import { indexBloat, tableBloat, type IndexRow, type RelationBloat, type TableRow } from './bloat/relations.js';
import { bloatReport } from './bloat/report.js';
import { INDEXES_SQL, TABLES_SQL } from './bloat/sql.js';

export type { RelationBloat } from './bloat/relations.js';
export type { ExactStatus } from './bloat/exact.js';

export interface BloatFindings {
  /** The most bloated tables, then the most bloated btree indexes (up to --limit each), by estimated bytes. */
  relations: RelationBloat[];
  /** Relations at or above the size floor that were estimated. */
  candidates: { tables: number; indexes: number };
  minSizeBytes: number;
  blockSize: number;
  /** Estimated reclaimable bytes over every reliable candidate, shown or not. */
  totalBloatBytes: number;
  /** Relations whose pg_stats columns this role cannot see (estimates for them are unreliable). */
  hiddenStatsRelations: string[];
  /** Relations someone holds ACCESS EXCLUSIVE on: not measured, sizes from pg_class. */
  lockedRelations: string[];
  exact: ExactStatus;
}

const BLOCK_SIZE_SQL = `SELECT current_setting('block_size')::int AS block_size`;

const options = z.object({
  minSize: sizeOption('100MB', 'Leave out relations smaller than this (e.g. 1GB, 500MB, 0 for all)'),
  limit: intOption(1, 100, 20, 'Tables and indexes to show (each)'),
  exact: z.boolean().default(false).describe(`Confirm the top ${EXACT_TOP} tables and indexes with pgstattuple (reads them; slower)`),
});

export type BloatOptions = z.infer<typeof options>;

export default defineCommand({
  name: 'bloat',
  summary: 'Table and btree index bloat estimated from catalog statistics; --exact confirms with pgstattuple',
  kind: 'diagnostic',
  options,
  sql: { blockSize: BLOCK_SIZE_SQL, tables: TABLES_SQL, indexes: INDEXES_SQL },

  async collect({ session, caps, thresholds }, opts): Promise<BloatFindings> {
    const [settings] = await session.query<{ block_size: number }>(BLOCK_SIZE_SQL);
    const blockSize = settings?.block_size ?? 8192;
    const tableRows = await session.query<TableRow>(TABLES_SQL, [opts.minSize]);
    const indexRows = await session.query<IndexRow>(INDEXES_SQL, [opts.minSize]);
    const rule = { triggerRatio: thresholds.vacuumTriggerRatio.warn };
    const tables = tableRows.map((row) => ({ oid: row.oid, relation: tableBloat(row, blockSize, rule) }));
    const indexes = indexRows.map((row) => ({ oid: row.oid, relation: indexBloat(row, blockSize) }));
    const shownTables = mostBloated(tables, opts.limit);
    const shownIndexes = mostBloated(indexes, opts.limit);
    const exact = opts.exact
      ? await confirmExactly(session, caps, [...shownTables.slice(0, EXACT_TOP), ...shownIndexes.slice(0, EXACT_TOP)], blockSize)
      : { requested: false, unavailable: null, confirmed: 0, indexesSkippedOnStandby: false };
    const all = [...tables, ...indexes].map((m) => m.relation);
    const hidden = [...tableRows, ...indexRows].filter((row) => row.hidden_count > 0 || row.row_security_hides_stats);
    return {
      relations: [...shownTables, ...shownIndexes].map((m) => m.relation),
      candidates: { tables: tables.length, indexes: indexes.length },
      minSizeBytes: opts.minSize,
      blockSize,
      totalBloatBytes: all.filter((r) => r.reliable).reduce((sum, r) => sum + r.bloatBytes, 0),
      hiddenStatsRelations: hidden.map((row) => `${row.schema}.${'index' in row ? row.index : row.table}`),
      lockedRelations: all.filter((r) => r.locked).map((r) => `${r.schema}.${r.index ?? r.table}`),
      exact,
    };
  },

  report: bloatReport,
});

function mostBloated(measured: Measured[], limit: number): Measured[] {
  return [...measured]
    .sort((a, b) => b.relation.bloatBytes - a.relation.bloatBytes || b.relation.bloatPercent - a.relation.bloatPercent)
    .slice(0, limit);
}
