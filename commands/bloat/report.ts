import type { ReportContext } from '../../src/engine/command.js';
import { formatBytes, formatCount, formatPercent, plural, qualifiedName, truncate } from '../../src/report/format.js';
import { statusFor, worstStatus, type Report, type Section, type Status, type SuggestedAction } from '../../src/report/model.js';
import type { BloatFindings, BloatOptions } from '../bloat.js';
import { vacuumTableAction } from '../vacuum/action.js';
import type { RelationBloat } from './relations.js';

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

function relationStatus(relation: RelationBloat, thresholds: { warn: number; crit: number }): Status {
  const status = statusFor(decidingPercent(relation), thresholds);
  const measured = relation.exactBloatPercent !== undefined && relation.exactBloatPercent !== null;
  // An estimate built on missing or hidden statistics is a reason to look, not an emergency.
  return !relation.reliable && !measured && status === 'crit' ? 'warn' : status;
}

function estimateCell(relation: RelationBloat): string {
  const text = `${formatBytes(relation.bloatBytes)} (${formatPercent(relation.bloatPercent, 0)})`;
  return relation.reliable ? text : `${text} ?`;
}

function exactCell(relation: RelationBloat): string {
  if (relation.exactBloatPercent === undefined) return '';
  if (relation.exactBloatPercent === null) return 'skipped';
  const density = relation.exactLeafDensity != null ? `, leaf density ${formatPercent(relation.exactLeafDensity, 0)} of ${relation.fillfactor}%` : '';
  return `${formatBytes(relation.exactBloatBytes)} (${formatPercent(relation.exactBloatPercent, 0)}${density})`;
}

function tableSection(relations: RelationBloat[], exact: boolean): Section {
  const rows = relations.map((r) => [
    qualifiedName(r.schema, r.table),
    formatBytes(r.totalBytes),
    estimateCell(r),
    ...(exact ? [exactCell(r)] : []),
    r.deadTuples === null ? '' : `${formatCount(r.deadTuples)}${r.autovacuumBehind ? ' (autovacuum behind)' : ''}`,
    truncate(r.unreliableReasons.join('; '), 120),
  ]);
  return {
    kind: 'table',
    title: 'Tables (heap only; ? = unreliable estimate)',
    columns: [{ header: 'table' }, { header: 'size', align: 'right' }, { header: 'est. bloat', align: 'right' }, ...(exact ? [{ header: 'pgstattuple' }] : []), { header: 'dead tuples', align: 'right' }, { header: 'why unsure' }],
    rows,
    empty: 'No table at or above the size floor.',
  };
}

function indexSection(relations: RelationBloat[], exact: boolean): Section {
  const rows = relations.map((r) => [
    qualifiedName(r.schema, r.index ?? ''),
    qualifiedName(r.schema, r.table),
    formatBytes(r.totalBytes),
    estimateCell(r),
    ...(exact ? [exactCell(r)] : []),
    truncate(r.unreliableReasons.join('; '), 120),
  ]);
  return {
    kind: 'table',
    title: 'Btree indexes (? = unreliable estimate)',
    columns: [{ header: 'index' }, { header: 'table' }, { header: 'size', align: 'right' }, { header: 'est. bloat', align: 'right' }, ...(exact ? [{ header: 'pgstatindex' }] : []), { header: 'why unsure' }],
    rows,
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
    return [`--exact needs the pgstattuple extension, which is not installed in this database. Install it with \`${INSTALL_PGSTATTUPLE}\` (a contrib module shipped with PostgreSQL), then grant pg_stat_scan_tables to the monitoring role.`];
  }
  if (exact.unavailable === 'no-privilege') return ['--exact: this role may not call the pgstattuple functions; run `GRANT pg_stat_scan_tables TO <role>;`.'];
  if (!exact.requested) return findings.relations.length ? ['Run with --exact to confirm the top rows with pgstattuple.'] : [];
  return [
    `pgstattuple measured ${plural(exact.confirmed, 'relation')} (tables with pgstattuple_approx; indexes with pgstatindex, leaf density compared with the index fillfactor).`,
    ...(exact.indexesSkippedOnStandby ? ['pgstatindex cannot run during recovery: confirm index bloat on the primary.'] : []),
  ];
}

export function bloatReport(findings: BloatFindings, { thresholds }: ReportContext<BloatOptions>): Report {
  const tables = findings.relations.filter((r) => r.kind === 'table');
  const indexes = findings.relations.filter((r) => r.kind === 'index');
  const status = worstStatus(...findings.relations.map((r) => relationStatus(r, thresholds.bloatPct)));
  const flagged = findings.relations.filter((r) => relationStatus(r, thresholds.bloatPct) !== 'ok');
  const floor = findings.minSizeBytes > 0 ? ` of at least ${formatBytes(findings.minSizeBytes)}` : '';
  const counted = `${plural(findings.candidates.tables, 'table')} and ${plural(findings.candidates.indexes, 'btree index', 'btree indexes')}${floor}`;
  const worst = flagged[0] && [...flagged].sort((a, b) => decidingPercent(b) - decidingPercent(a))[0]!;
  const summary = flagged.length
    ? `${plural(flagged.length, 'relation')} past ${thresholds.bloatPct.warn}% bloat among ${counted}; about ${formatBytes(findings.totalBloatBytes)} reclaimable in all. Worst: ${qualifiedName(worst!.schema, worst!.index ?? worst!.table)} (${formatPercent(decidingPercent(worst!), 0)}).`
    : `No bloat past ${thresholds.bloatPct.warn}% among ${counted}.`;
  const exact = findings.exact.requested && findings.exact.unavailable === null;
  return {
    title: 'Bloat',
    status,
    summary,
    sections: [tableSection(tables, exact), indexSection(indexes, exact)],
    actions: vacuumActions(tables),
    footnotes: [
      'Estimated from catalog statistics (reltuples, relpages, pg_stats widths and null shares, tuple and page layout, fillfactor). Dead tuples are shown apart: they are not bloat.',
      ...(findings.relations.some((r) => r.bloatBytes > 0 || (r.exactBloatBytes ?? 0) > 0) ? [FIX_NOTE] : []),
      ...(tables.some((t) => t.autovacuumBehind) ? ['VACUUM is offered only where autovacuum is behind: it clears dead tuples so their space is reused, which stops further growth.'] : []),
      ...(findings.hiddenStatsRelations.length
        ? [`pg_stats hides columns of ${plural(findings.hiddenStatsRelations.length, 'relation')} from this role (${truncate(findings.hiddenStatsRelations.join(', '), 200)}), so their estimates are unreliable: grant SELECT on them to the monitoring role, or use --exact.`]
        : []),
      ...(findings.lockedRelations.length ? [`Skipped (held in ACCESS EXCLUSIVE by another session; size from the catalog, not measured): ${truncate(findings.lockedRelations.join(', '), 300)}.`] : []),
      ...exactNotes(findings),
    ],
  };
}
