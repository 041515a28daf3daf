import { escapeIdentifier } from '../../src/db/driver.js';
import type { ReportContext } from '../../src/engine/command.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLargeCount,
  plural,
  qualifiedName,
  truncate,
} from '../../src/report/format.js';
import type { Report, Section, SuggestedAction } from '../../src/report/model.js';
import { MISSING_MIN_ROWS, MISSING_MIN_ROWS_READ, MISSING_MIN_SEQ_SCANS } from './sql.js';
import type { IndexesFindings, IndexFinding, IndexProblem } from '../indexes.js';

export function indexesReport(
  findings: IndexesFindings,
  { inRecovery }: Pick<ReportContext<unknown>, 'inRecovery'>,
): Report {
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
      : uniqueActions([...of('invalid').map(reindexAction), ...[...of('duplicate'), ...of('unused')].map(dropAction)]),
    footnotes: footnotes(findings, inRecovery),
  };
}
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
