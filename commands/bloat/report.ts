import type { ReportContext } from '../../src/engine/command.js';
import { formatBytes, formatCount, formatPercent, plural, qualifiedName, truncate } from '../../src/report/format.js';
import {
  statusFor,
  worstStatus,
  type Report,
  type Section,
  type Status,
  type SuggestedAction,
} from '../../src/report/model.js';
import type { BloatFindings, BloatOptions } from '../bloat.js';
import { vacuumTableAction } from '../shared/table-actions.js';
import { HIDDEN_STATS_BUDGET_MS } from './hidden.js';
import { isTiny, type RelationBloat } from './relations.js';

/** Manual VACUUM buttons offered at most (the rest are listed). */
const MAX_VACUUM_ACTIONS = 3;

const FIX_NOTE =
  'VACUUM makes free space reusable inside the file but does not shrink it. To give space back: pg_repack (online), ' +
  'or VACUUM FULL / CLUSTER (ACCESS EXCLUSIVE for the whole rewrite: plan a maintenance window; pgmedic never offers it from chat); ' +
  'for indexes REINDEX INDEX CONCURRENTLY.';

export const INSTALL_PGSTATTUPLE = 'CREATE EXTENSION pgstattuple;';

/** The percent that decides: pgstattuple's when measured, the estimate's otherwise. */
export function decidingPercent(relation: RelationBloat): number {
  return relation.exactBloatPercent ?? relation.bloatPercent;
}

/**
 * Only figures set the status: pgstattuple's, or an estimate resting on complete statistics. A flagged
 * estimate is a reason to look (the table marks it), and a tiny relation cannot give space back.
 */
export function relationStatus(
  relation: RelationBloat,
  thresholds: { warn: number; crit: number },
  blockSize: number,
): Status {
  if (isTiny(relation, blockSize) || relation.notEstimated) return 'ok';
  const measured = relation.exactBloatPercent !== undefined && relation.exactBloatPercent !== null;
  if (!measured && !relation.reliable) return 'ok';
  return statusFor(decidingPercent(relation), thresholds);
}

function estimateCell(relation: RelationBloat): string {
  if (relation.notEstimated) return 'not estimated';
  const text = `${formatBytes(relation.bloatBytes)} (${formatPercent(relation.bloatPercent, 0)})`;
  return relation.reliable ? text : `${text} ?`;
}

function exactCell(relation: RelationBloat, tiny: boolean): string {
  if (relation.exactBloatPercent === undefined) return '';
  if (relation.exactBloatPercent === null) return 'skipped';
  const density =
    relation.exactLeafDensity != null
      ? `, leaf density ${formatPercent(relation.exactLeafDensity, 0)} of ${relation.fillfactor}%`
      : '';
  return `${formatBytes(relation.exactBloatBytes)} (${formatPercent(relation.exactBloatPercent, 0)}${density})${tiny ? ', too small to matter' : ''}`;
}

function tableSection(
  relations: RelationBloat[],
  exact: boolean,
  blockSize: number,
  statusOf: (r: RelationBloat) => Status,
): Section {
  const rows = relations.map((r) => [
    qualifiedName(r.schema, r.table),
    formatBytes(r.totalBytes),
    estimateCell(r),
    ...(exact ? [exactCell(r, isTiny(r, blockSize))] : []),
    r.deadTuples === null ? '' : `${formatCount(r.deadTuples)}${r.autovacuumBehind ? ' (autovacuum behind)' : ''}`,
    truncate(r.unreliableReasons.join('; '), 120),
  ]);
  return {
    kind: 'table',
    title: 'Tables (heap only; ? = unreliable estimate)',
    columns: [
      { header: 'table' },
      { header: 'size', align: 'right' },
      { header: 'est. bloat', align: 'right' },
      ...(exact ? [{ header: 'pgstattuple' }] : []),
      { header: 'dead tuples', align: 'right' },
      { header: 'why unsure' },
    ],
    rows,
    rowStatus: relations.map(statusOf),
    empty: 'No table at or above the size floor.',
  };
}

function indexSection(
  relations: RelationBloat[],
  exact: boolean,
  blockSize: number,
  statusOf: (r: RelationBloat) => Status,
): Section {
  const rows = relations.map((r) => [
    qualifiedName(r.schema, r.index ?? ''),
    qualifiedName(r.schema, r.table),
    formatBytes(r.totalBytes),
    estimateCell(r),
    ...(exact ? [exactCell(r, isTiny(r, blockSize))] : []),
    truncate(r.unreliableReasons.join('; '), 120),
  ]);
  return {
    kind: 'table',
    title: 'Btree indexes (? = unreliable estimate)',
    columns: [
      { header: 'index' },
      { header: 'table' },
      { header: 'size', align: 'right' },
      { header: 'est. bloat', align: 'right' },
      ...(exact ? [{ header: 'pgstatindex' }] : []),
      { header: 'why unsure' },
    ],
    rows,
    rowStatus: relations.map(statusOf),
    empty: 'No btree index at or above the size floor.',
  };
}

function vacuumActions(tables: RelationBloat[]): SuggestedAction[] {
  return tables
    .filter((t) => t.autovacuumBehind)
    .sort((a, b) => (b.deadTuples ?? 0) - (a.deadTuples ?? 0))
    .slice(0, MAX_VACUUM_ACTIONS)
    .map((t) => vacuumTableAction(t.oid, t.schema, t.table));
}

function exactNotes(findings: BloatFindings): string[] {
  const { exact } = findings;
  if (exact.unavailable === 'not-installed') {
    return [
      `--exact needs the pgstattuple extension, which is not installed in this database. Install it with \`${INSTALL_PGSTATTUPLE}\` (a contrib module shipped with PostgreSQL), then grant pg_stat_scan_tables to the monitoring role.`,
    ];
  }
  if (exact.unavailable === 'no-privilege')
    return ['--exact: this role may not call the pgstattuple functions; run `GRANT pg_stat_scan_tables TO <role>;`.'];
  if (!exact.requested)
    return findings.relations.length ? ['Run with --exact to confirm the top rows with pgstattuple.'] : [];
  return [
    `pgstattuple measured ${plural(exact.confirmed, 'relation')} (tables with pgstattuple_approx; indexes with pgstatindex, leaf density compared with the index fillfactor).`,
    ...(exact.indexesSkippedOnStandby
      ? ['pgstatindex cannot run during recovery: confirm index bloat on the primary.']
      : []),
  ];
}

export function bloatReport(findings: BloatFindings, { thresholds }: ReportContext<BloatOptions>): Report {
  const tables = findings.relations.filter((r) => r.kind === 'table');
  const indexes = findings.relations.filter((r) => r.kind === 'index');
  const statusOf = (r: RelationBloat) => relationStatus(r, thresholds.bloatPct, findings.blockSize);
  const flagged = findings.relations.filter((r) => statusOf(r) !== 'ok');
  // Relations with no figure at all could hide real bloat: not checked is never ok.
  const notEstimated = findings.relations.filter((r) => r.notEstimated && !isTiny(r, findings.blockSize));
  const status = worstStatus(...flagged.map(statusOf), notEstimated.length ? 'warn' : 'ok');
  const floor = findings.minSizeBytes > 0 ? ` of at least ${formatBytes(findings.minSizeBytes)}` : '';
  const counted = `${plural(findings.candidates.tables, 'table')} and ${plural(findings.candidates.indexes, 'btree index', 'btree indexes')}${floor}`;
  const worst = flagged[0] && [...flagged].sort((a, b) => decidingPercent(b) - decidingPercent(a))[0]!;
  const total = `about ${formatBytes(findings.totalBloatBytes)} reclaimable in all${findings.totalMeasured ? ` (${plural(findings.totalMeasured, 'relation')} measured by pgstattuple)` : ''}`;
  const unknown = notEstimated.length
    ? ` ${plural(notEstimated.length, 'relation')} not estimated: this role may not read their statistics (see the notes).`
    : '';
  const summary = flagged.length
    ? `${plural(flagged.length, 'relation')} past ${thresholds.bloatPct.warn}% bloat among ${counted}; ${total}. Worst: ${qualifiedName(worst!.schema, worst!.index ?? worst!.table)} (${formatPercent(decidingPercent(worst!), 0)}${worst!.exactBloatPercent != null ? ', measured' : ''}).${unknown}`
    : `No bloat past ${thresholds.bloatPct.warn}% among ${counted}.${unknown}`;
  const exact = (findings.exact.requested && findings.exact.unavailable === null) || findings.hiddenStats.measured > 0;
  return {
    title: 'Bloat',
    status,
    summary,
    reasons: [
      ...flagged.map(
        (r) =>
          `${qualifiedName(r.schema, r.index ?? r.table)} ${formatPercent(decidingPercent(r), 0)} bloated${r.exactBloatPercent != null ? ' (measured)' : ''}`,
      ),
      ...(notEstimated.length
        ? [`${plural(notEstimated.length, 'relation')} not estimated (statistics hidden from this role)`]
        : []),
    ],
    sections: [
      tableSection(tables, exact, findings.blockSize, statusOf),
      indexSection(indexes, exact, findings.blockSize, statusOf),
    ],
    actions: vacuumActions(tables),
    footnotes: [
      'Estimated from catalog statistics (reltuples, relpages, pg_stats widths and null shares, tuple and page layout, fillfactor). Dead tuples are shown apart: they are not bloat.',
      ...(findings.relations.some((r) => r.bloatBytes > 0 || (r.exactBloatBytes ?? 0) > 0) ? [FIX_NOTE] : []),
      ...(tables.some((t) => t.autovacuumBehind)
        ? [
            'VACUUM is offered only where autovacuum is behind: it clears dead tuples so their space is reused, which stops further growth.',
          ]
        : []),
      'Estimates marked ? rest on missing or misleading statistics: they never set the status and count nothing in the total; relations under 16 pages are never flagged.',
      ...hiddenNotes(findings),
      ...(findings.lockedRelations.length
        ? [
            `Skipped (held in ACCESS EXCLUSIVE by another session; size from the catalog, not measured): ${truncate(findings.lockedRelations.join(', '), 300)}.`,
          ]
        : []),
      ...exactNotes(findings),
    ],
  };
}

/**
 * pg_stats hides the columns a role may not SELECT. The fix is pgstattuple (pg_monitor includes
 * pg_stat_scan_tables, which may call it), not read access to the data; never a grant on a system catalog.
 */
function hiddenNotes(findings: BloatFindings): string[] {
  const h = findings.hiddenStats;
  if (!h.relations) return [];
  const measured = h.measured
    ? [
        `pg_stats hides columns of ${plural(h.relations, 'relation')} from this role; pgstattuple measured ${plural(h.measured, 'of them', 'of them')} instead of estimating.`,
      ]
    : [];
  if (!h.notEstimated.length) return measured;
  const why =
    h.unavailable === 'not-installed'
      ? `install pgstattuple (\`${INSTALL_PGSTATTUPLE}\`): pg_monitor's pg_stat_scan_tables may call it, and pgmedic then measures these relations without reading their rows`
      : h.unavailable === 'no-privilege'
        ? 'grant pg_stat_scan_tables (part of pg_monitor) to the monitoring role so it may call pgstattuple'
        : `pgstattuple ran out of its ${HIDDEN_STATS_BUDGET_MS / 1000} s budget (or the statement timeout): run \`bloat --exact\` with a narrower --min-size`;
  const userRelations = findings.hiddenStatsRelations.filter((name) => h.notEstimated.includes(name));
  const grant = userRelations.length
    ? ` Granting SELECT on ${truncate(userRelations.join(', '), 200)} would also do, but it exposes their rows; pg_read_all_data likewise, for every table: choose either knowingly.`
    : '';
  return [
    ...measured,
    `Not estimated (pg_stats hides their columns from this role): ${truncate(h.notEstimated.join(', '), 300)}. To measure them, ${why}.${grant}`,
  ];
}
