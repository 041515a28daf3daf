import { escapeIdentifier } from '../src/db/driver.js';
import { z } from 'zod';
import { EXCLUSIVELY_LOCKED_RELATIONS_SQL } from '../src/db/sql.js';
import { defineCommand } from '../src/engine/command.js';
import { intOption, sizeOption } from '../src/engine/units.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLargeCount,
  plural,
  qualifiedName,
  truncate,
} from '../src/report/format.js';
import type { Report, Section, SuggestedAction } from '../src/report/model.js';
import {
  DUPLICATES_SQL,
  INVALID_SQL,
  MISSING_MIN_ROWS,
  MISSING_MIN_ROWS_READ,
  MISSING_MIN_SEQ_SCANS,
  MISSING_SQL,
  STATS_RESET_SQL,
  UNUSED_SQL,
} from './indexes/sql.js';

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

interface UnusedRow {
  oid: string;
  schema: string;
  table: string;
  index: string;
  size_bytes: number;
  definition: string | null;
  total_count: number;
  total_bytes: number;
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

  async collect({ session }, options): Promise<IndexesFindings> {
    const unused = await session.query<UnusedRow>(UNUSED_SQL, [options.minSize, options.limit]);
    const duplicates = await session.query<DuplicateRow>(DUPLICATES_SQL);
    const invalid = await session.query<InvalidRow>(INVALID_SQL);
    const missing = await session.query<MissingRow>(MISSING_SQL, [options.limit]);
    const [stats] = await session.query<{ stats_reset: string | null; stats_reset_seconds: number | null }>(
      STATS_RESET_SQL,
    );
    const locked = await session.query<{ schema: string; name: string }>(EXCLUSIVELY_LOCKED_RELATIONS_SQL);
    const invalidNow = invalid.filter((row) => !row.being_built);
    const duplicatesBySize = duplicates.sort((a, b) => b.size_bytes - a.size_bytes || a.index.localeCompare(b.index));
    return {
      indexes: [
        ...unused.map(unusedFinding),
        ...duplicatesBySize.slice(0, options.limit).map(duplicateFinding),
        ...invalidNow.slice(0, options.limit).map(invalidFinding),
        ...missing.map(missingFinding),
      ],
      totals: {
        unused: unused[0]?.total_count ?? 0,
        duplicate: duplicates.length,
        invalid: invalidNow.length,
        missing: missing[0]?.total_count ?? 0,
      },
      totalBytes: {
        unused: unused[0]?.total_bytes ?? 0,
        duplicate: sumBytes(duplicates),
        invalid: sumBytes(invalidNow),
      },
      statsReset: stats?.stats_reset ?? null,
      statsResetSeconds: stats?.stats_reset_seconds ?? null,
      invalidBeingBuilt: invalid.length - invalidNow.length,
      lockedRelations: locked.map((r) => qualifiedName(r.schema, r.name)),
    };
  },

  report(findings, { inRecovery }): Report {
    const of = (problem: IndexProblem) => findings.indexes.filter((f) => f.problem === problem);
    const { totals, totalBytes } = findings;
    const bad = totals.unused + totals.duplicate + totals.invalid;
    const parts = [
      totals.invalid ? plural(totals.invalid, 'invalid index', 'invalid indexes') : '',
      totals.duplicate
        ? `${plural(totals.duplicate, 'duplicate or redundant index', 'duplicate or redundant indexes')} (${formatBytes(totalBytes.duplicate)})`
        : '',
      totals.unused
        ? `${plural(totals.unused, 'unused index', 'unused indexes')} (${formatBytes(totalBytes.unused)})`
        : '',
      totals.missing ? `${plural(totals.missing, 'table')} that may lack an index` : '',
    ].filter(Boolean);
    return {
      title: 'Indexes',
      status: bad ? 'warn' : 'ok',
      reasons: bad ? parts.filter((p) => !p.includes('may lack an index')) : [],
      summary: parts.length
        ? `${parts.join(', ')}.`
        : 'No unused, duplicate or invalid index found, and no table that seems to lack one.',
      sections: [statsFacts(findings), ...problemSections(of)],
      actions: inRecovery
        ? []
        : uniqueActions([
            ...of('invalid').map(reindexAction),
            ...[...of('duplicate'), ...of('unused')].map(dropAction),
          ]),
      footnotes: footnotes(findings, inRecovery),
    };
  },
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
const name = (f: IndexFinding) => qualifiedName(f.schema, f.index ?? f.table);

function statsFacts(findings: IndexesFindings): Section {
  const since =
    findings.statsReset === null
      ? 'never reset'
      : `${findings.statsReset} (${formatDuration(findings.statsResetSeconds)} ago)`;
  return { kind: 'facts', facts: [{ label: 'Scan statistics reset', value: since }] };
}

function problemSections(of: (problem: IndexProblem) => IndexFinding[]): Section[] {
  const right = 'right' as const;
  const table = (title: string, headers: string[], rows: string[][]): Section[] =>
    rows.length
      ? [
          {
            kind: 'table',
            title,
            columns: headers.map((header, i) => ({ header, ...(header === 'size' || i > 2 ? { align: right } : {}) })),
            rows,
          },
        ]
      : [];
  return [
    ...table(
      'Invalid',
      ['index', 'table', 'size'],
      of('invalid').map((f) => [name(f), f.table, formatBytes(f.sizeBytes)]),
    ),
    ...table(
      'Duplicate or redundant',
      ['index', 'covered by', 'size'],
      of('duplicate').map((f) => [name(f), f.coveredBy ?? '', formatBytes(f.sizeBytes)]),
    ),
    ...of('duplicate')
      .slice(0, 5)
      .map<Section>((f) => ({ kind: 'text', title: `Why ${name(f)}`, text: f.reason })),
    ...table(
      'Unused (never scanned)',
      ['index', 'table', 'size'],
      of('unused').map((f) => [name(f), f.table, formatBytes(f.sizeBytes)]),
    ),
    ...table(
      'Tables that may lack an index (suspects: check their queries first)',
      ['table', 'rows', 'size', 'seq scans', 'rows/seq scan', 'index scans'],
      of('missing').map(missingRow),
    ),
  ];
}

function missingRow(f: IndexFinding): string[] {
  const perScan = f.seqScans ? (f.seqRowsRead ?? 0) / f.seqScans : 0;
  return [
    name(f),
    formatCount(f.liveRows),
    formatBytes(f.sizeBytes),
    formatCount(f.seqScans),
    formatCount(perScan),
    formatCount(f.indexScans),
  ];
}

// The actions resolve `index` with to_regclass: the name goes quoted as the catalog spells it, with the oid the
// report saw, so an index dropped and recreated before the click is refused rather than acted on.
const indexParam = (f: IndexFinding) => ({
  index: `${escapeIdentifier(f.schema)}.${escapeIdentifier(f.index ?? '')}`,
  oid: f.oid ?? '',
});

function dropAction(f: IndexFinding): SuggestedAction {
  return { action: 'drop-index', label: `Drop ${truncate(name(f), 60)}`, params: indexParam(f), style: 'danger' };
}

function reindexAction(f: IndexFinding): SuggestedAction {
  return { action: 'reindex', label: `Rebuild ${truncate(name(f), 60)}`, params: indexParam(f) };
}

/** An index can be both unused and a duplicate: offer each action once. */
function uniqueActions(actions: SuggestedAction[]): SuggestedAction[] {
  const seen = new Set<string>();
  return actions.filter((a) => {
    const key = `${a.action}:${a.params.index}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function footnotes(findings: IndexesFindings, inRecovery: boolean): string[] {
  const { totals } = findings;
  const more = (Object.keys(totals) as IndexProblem[]).filter(
    (p) => totals[p] > findings.indexes.filter((f) => f.problem === p).length,
  );
  return [
    ...(totals.unused
      ? [
          'Scans are counted per server: an index unused here may serve queries on a standby. Check every replica before dropping.',
        ]
      : []),
    ...(totals.unused || totals.duplicate
      ? ['Dropping uses DROP INDEX CONCURRENTLY; keep the definition (in the JSON findings) to recreate it.']
      : []),
    ...(totals.invalid
      ? [
          'Rebuilding uses REINDEX INDEX CONCURRENTLY. If a unique build failed on duplicate values, fix the data first or drop the index.',
        ]
      : []),
    ...(totals.missing
      ? [
          `Missing-index suspects: tables of ${formatCount(MISSING_MIN_ROWS)}+ rows with ${MISSING_MIN_SEQ_SCANS}+ sequential scans since the statistics reset, outnumbering index scans and reading ${formatLargeCount(MISSING_MIN_ROWS_READ)}+ rows. Confirm with slow-queries and EXPLAIN before creating an index.`,
        ]
      : []),
    ...(findings.invalidBeingBuilt
      ? [
          `${plural(findings.invalidBeingBuilt, 'invalid index', 'invalid indexes')} left out: they are being built right now.`,
        ]
      : []),
    ...(findings.lockedRelations.length
      ? [
          `Another session holds ACCESS EXCLUSIVE on ${findings.lockedRelations.slice(0, 5).join(', ')}${findings.lockedRelations.length > 5 ? ' and more' : ''}: their indexes were sized from the catalog, shown without definitions and not checked for duplicates.`,
        ]
      : []),
    ...(more.length ? [`More ${more.join(', ')} rows than shown; raise --limit.`] : []),
    ...(inRecovery
      ? ['This is a standby: the suggested actions must run on the primary, so none are offered here.']
      : []),
  ];
}
