import { z } from 'zod';
import { EXCLUSIVELY_LOCKED_RELATIONS_SQL } from '../src/db/sql.js';
import { defineCommand } from '../src/engine/command.js';
import { indexesReport } from './indexes/report.js';
import { intOption, sizeOption } from '../src/engine/units.js';
import { formatCount, qualifiedName } from '../src/report/format.js';
import { DUPLICATES_SQL, INVALID_SQL, MISSING_SQL, STATS_RESET_SQL, UNUSED_SQL } from './indexes/sql.js';
import { mergeUnused, readUnusedPart, type UnusedRow } from './indexes/unused.js';

export type IndexProblem = 'unused' | 'duplicate' | 'invalid' | 'missing';

/** One index problem, or (problem `missing`) one table that may lack an index. */
export interface IndexFinding {
  problem: IndexProblem;
  /** The index's oid as text (null for `missing`): report buttons pin it. */
  oid: string | null;
  schema: string;
  table: string;
  /** Null for `missing`: the suspect is the table. */
  index: string | null;
  /** The index's size; for `missing`, the table's. */
  sizeBytes: number;
  /** pg_get_indexdef: what to run to recreate it after a drop. */
  definition: string | null;
  /** For `duplicate`: the index that makes this one unnecessary. */
  coveredBy: string | null;
  coveredByDefinition: string | null;
  /** For `duplicate`: the same index twice, or its columns a leading part of the other's. */
  redundancy: 'exact' | 'prefix' | null;
  /** Why it is listed, in words. */
  reason: string;
  /** For `missing`: the counters that make it a suspect. */
  seqScans: number | null;
  seqRowsRead: number | null;
  indexScans: number | null;
  liveRows: number | null;
}

export interface IndexesFindings {
  indexes: IndexFinding[];
  /** Per problem, how many were found before --limit. */
  totals: Record<IndexProblem, number>;
  /** Per index problem, their combined size (all of them, not only those shown). */
  totalBytes: Record<Exclude<IndexProblem, 'missing'>, number>;
  /** pg_stat_database.stats_reset of this database (text), null if never reset. */
  statsReset: string | null;
  statsResetSeconds: number | null;
  /** Invalid indexes left out because they are being built right now. */
  invalidBeingBuilt: number;
  /** Relations someone holds ACCESS EXCLUSIVE on: sizes from the catalog, no definitions, no duplicate check. */
  lockedRelations: string[];
}

interface DuplicateRow {
  oid: string;
  schema: string;
  table: string;
  index: string;
  covered_by: string;
  exact: boolean;
  cover_unique: boolean;
  cover_includes: boolean;
  keys: number;
  cover_keys: number;
  size_bytes: number;
  definition: string;
  covered_by_definition: string;
}
interface InvalidRow {
  oid: string;
  schema: string;
  table: string;
  index: string;
  size_bytes: number;
  definition: string | null;
  being_built: boolean;
}
interface MissingRow {
  schema: string;
  table: string;
  seq_scan: number;
  seq_tup_read: number;
  idx_scan: number;
  live_rows: number;
  size_bytes: number;
  total_count: number;
}

const NONE = {
  coveredBy: null,
  coveredByDefinition: null,
  redundancy: null,
  seqScans: null,
  seqRowsRead: null,
  indexScans: null,
  liveRows: null,
} as const;

export default defineCommand({
  name: 'indexes',
  summary: 'Unused, duplicate, redundant and invalid indexes, and tables that may lack one',
  kind: 'diagnostic',
  options: z.object({
    minSize: sizeOption('1MB', 'Leave out unused indexes smaller than this (units accepted: 500kB, 1MB, 1GB)'),
    limit: intOption(1, 200, 20, 'Rows to show per problem'),
  }),
  sql: {
    unused: UNUSED_SQL,
    duplicates: DUPLICATES_SQL,
    invalid: INVALID_SQL,
    missing: MISSING_SQL,
    statsReset: STATS_RESET_SQL,
    locked: EXCLUSIVELY_LOCKED_RELATIONS_SQL,
  },

  async collect({ session, alongside }, options): Promise<IndexesFindings> {
    // Measuring the unused indexes (a pg_relation_size each) is most of the work on a large catalog: half of them
    // on each of two connections where there is a second one, each half followed by some of the other checks.
    const [[first, duplicates], [second, invalid, missing, [stats], locked]] = await Promise.all([
      (async () =>
        [await readUnusedPart(session, options, 0, 2), await session.query<DuplicateRow>(DUPLICATES_SQL)] as const)(),
      alongside(
        async (other) =>
          [
            await readUnusedPart(other, options, 1, 2),
            await other.query<InvalidRow>(INVALID_SQL),
            await other.query<MissingRow>(MISSING_SQL, [options.limit]),
            await other.query<{ stats_reset: string | null; stats_reset_seconds: number | null }>(STATS_RESET_SQL),
            await other.query<{ schema: string; name: string }>(EXCLUSIVELY_LOCKED_RELATIONS_SQL),
          ] as const,
      ),
    ]);
    const unused = mergeUnused([first, second], options.limit);
    const invalidNow = invalid.filter((row) => !row.being_built);
    const duplicatesBySize = duplicates.sort((a, b) => b.size_bytes - a.size_bytes || a.index.localeCompare(b.index));
    return {
      indexes: [
        ...unused.rows.map(unusedFinding),
        ...duplicatesBySize.slice(0, options.limit).map(duplicateFinding),
        ...invalidNow.slice(0, options.limit).map(invalidFinding),
        ...missing.map(missingFinding),
      ],
      totals: {
        unused: unused.totalCount,
        duplicate: duplicates.length,
        invalid: invalidNow.length,
        missing: missing[0]?.total_count ?? 0,
      },
      totalBytes: {
        unused: unused.totalBytes,
        duplicate: sumBytes(duplicates),
        invalid: sumBytes(invalidNow),
      },
      statsReset: stats?.stats_reset ?? null,
      statsResetSeconds: stats?.stats_reset_seconds ?? null,
      invalidBeingBuilt: invalid.length - invalidNow.length,
      lockedRelations: locked.map((r) => qualifiedName(r.schema, r.name)),
    };
  },

  report: indexesReport,
});

/** What every existing index's finding shares: the row's identity, size and definition, and why it is listed. */
type IndexRow = Pick<UnusedRow, 'oid' | 'schema' | 'table' | 'index' | 'size_bytes' | 'definition'>;
const indexFinding = (problem: IndexProblem, row: IndexRow, reason: string): IndexFinding => ({
  ...NONE,
  problem,
  oid: row.oid,
  schema: row.schema,
  table: row.table,
  index: row.index,
  sizeBytes: row.size_bytes,
  definition: row.definition,
  reason,
});

function unusedFinding(row: UnusedRow): IndexFinding {
  return indexFinding('unused', row, 'never scanned since statistics were reset, and enforces no constraint');
}

function duplicateFinding(row: DuplicateRow): IndexFinding {
  const cover = row.covered_by;
  const reason = row.exact
    ? `exact duplicate of ${cover}: same columns, method, operator classes and predicate`
    : row.keys === row.cover_keys
      ? `same key columns as ${cover}, which ${row.cover_unique ? 'is unique as well' : 'also carries INCLUDE columns'} and serves the same lookups`
      : `${row.keys === 1 ? 'its column is the leading column' : `its ${row.keys} columns are the leading columns`} of ${cover} (${row.cover_keys} columns), which serves the same lookups`;
  return {
    ...indexFinding('duplicate', row, reason),
    coveredBy: cover,
    coveredByDefinition: row.covered_by_definition,
    redundancy: row.exact ? 'exact' : 'prefix',
  };
}

function invalidFinding(row: InvalidRow): IndexFinding {
  return indexFinding(
    'invalid',
    row,
    'not valid (a CREATE INDEX CONCURRENTLY or REINDEX failed): queries ignore it, but every write still maintains it',
  );
}

function missingFinding(row: MissingRow): IndexFinding {
  const reason = `${formatCount(row.seq_scan)} sequential scans reading ${formatCount(row.seq_tup_read / row.seq_scan)} rows each on average, against ${formatCount(row.idx_scan)} index scans`;
  return {
    ...NONE,
    problem: 'missing',
    oid: null,
    schema: row.schema,
    table: row.table,
    index: null,
    sizeBytes: row.size_bytes,
    definition: null,
    reason,
    seqScans: row.seq_scan,
    seqRowsRead: row.seq_tup_read,
    indexScans: row.idx_scan,
    liveRows: row.live_rows,
  };
}

const sumBytes = (rows: { size_bytes: number }[]) => rows.reduce((total, row) => total + row.size_bytes, 0);
