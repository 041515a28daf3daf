import bloatCommand, { type BloatFindings } from '../../../commands/bloat.js';
import vacuumCommand, { type VacuumFindings } from '../../../commands/vacuum.js';
import type { SnapshotRow } from '../../state/relation-snapshots.js';
import { type DigestPiece, sectionFindings } from '../digest-model.js';

/** Stored by src/state/relation-snapshots.ts; this file turns digest findings into them. */
export type { SnapshotRow };

export const TOTAL_RELATION = '*';

const keyOf = (row: Pick<SnapshotRow, 'kind' | 'schema' | 'relation'>) =>
  `${row.kind}\u0000${row.schema}\u0000${row.relation}`;

/** The relations the digest shows, from its bloat and vacuum sections, merged by relation. */
export function snapshotRows(pieces: readonly DigestPiece[]): SnapshotRow[] {
  const rows = new Map<string, SnapshotRow>();
  const merge = (row: SnapshotRow) => {
    const known = rows.get(keyOf(row));
    rows.set(keyOf(row), known ? mergeRows(known, row) : row);
  };
  const bloat = sectionFindings(pieces, bloatCommand);
  const vacuum = sectionFindings(pieces, vacuumCommand);
  if (bloat) bloatRows(bloat).forEach(merge);
  if (vacuum) vacuumRows(vacuum).forEach(merge);
  return [...rows.values()];
}

function bloatRows(findings: BloatFindings): SnapshotRow[] {
  const relations = findings.relations
    .filter((r) => !r.locked)
    .map(
      (r): SnapshotRow => ({
        kind: r.kind,
        schema: r.schema,
        relation: r.index ?? r.table,
        totalBytes: r.totalBytes,
        bloatBytes: r.exactBloatBytes ?? r.bloatBytes,
        bloatPercent: r.exactBloatPercent ?? r.bloatPercent,
        deadTuples: r.deadTuples,
      }),
    );
  const total: SnapshotRow = {
    kind: 'total',
    schema: '',
    relation: TOTAL_RELATION,
    totalBytes: null,
    bloatBytes: findings.totalBloatBytes,
    bloatPercent: null,
    deadTuples: null,
  };
  return [...relations, total];
}

function vacuumRows(findings: VacuumFindings): SnapshotRow[] {
  return findings.tables.map((t) => ({
    kind: 'table',
    schema: t.schema,
    relation: t.table,
    totalBytes: null,
    bloatBytes: null,
    bloatPercent: null,
    deadTuples: t.deadTuples,
  }));
}

function mergeRows(a: SnapshotRow, b: SnapshotRow): SnapshotRow {
  return {
    ...a,
    totalBytes: a.totalBytes ?? b.totalBytes,
    bloatBytes: a.bloatBytes ?? b.bloatBytes,
    bloatPercent: a.bloatPercent ?? b.bloatPercent,
    deadTuples: b.deadTuples ?? a.deadTuples,
  };
}

export { keyOf as snapshotKey };
