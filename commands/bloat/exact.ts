import type { Capabilities } from '../../src/db/capabilities.js';
import type { Session } from '../../src/db/session.js';
import type { RelationBloat } from './relations.js';
import { EXACT_ACCESS_SQL, exactIndexesSql, exactTablesSql, pgstattupleSignatures } from './sql.js';

/** How many of the top tables and of the top indexes --exact measures (pgstatindex reads a whole index). */
export const EXACT_TOP = 5;

export type ExactUnavailable = 'not-installed' | 'no-privilege';

export interface ExactStatus {
  requested: boolean;
  /** Why nothing was measured, when nothing could be. */
  unavailable: ExactUnavailable | null;
  /** Relations measured with pgstattuple. */
  confirmed: number;
  /** pgstatindex refuses to run during recovery. */
  indexesSkippedOnStandby: boolean;
}

interface ExactTableRow {
  oid: number;
  table_len: number;
  free_percent: number;
  dead_percent: number;
}

interface ExactIndexRow {
  oid: number;
  index_size: number;
  internal_pages: number;
  leaf_pages: number;
  leaf_density: number;
}

export interface Measured {
  oid: number;
  relation: RelationBloat;
}

/**
 * Measures the top relations with pgstattuple and writes the exact… fields onto them. Relations someone holds
 * ACCESS EXCLUSIVE on are left out by the SQL and keep exact… = null.
 */
export async function confirmExactly(
  session: Session,
  caps: Capabilities,
  top: Measured[],
  blockSize: number,
): Promise<ExactStatus> {
  const schema = caps.extensionSchemas.pgstattuple;
  const status: ExactStatus = { requested: true, unavailable: null, confirmed: 0, indexesSkippedOnStandby: false };
  const unavailable = await pgstattupleAccess(session, caps);
  if (unavailable || !schema) return { ...status, unavailable: unavailable ?? 'not-installed' };
  const tables = top.filter((m) => m.relation.kind === 'table');
  const indexes = caps.inRecovery ? [] : top.filter((m) => m.relation.kind === 'index');
  for (const m of top) Object.assign(m.relation, emptyExact(m.relation));
  if (tables.length) {
    const rows = await session.query<ExactTableRow>(exactTablesSql(schema), [tables.map((m) => m.oid)]);
    for (const row of rows) applyTable(tables.find((m) => m.oid === row.oid)!.relation, row);
    status.confirmed += rows.length;
  }
  if (indexes.length) {
    const rows = await session.query<ExactIndexRow>(exactIndexesSql(schema), [indexes.map((m) => m.oid)]);
    for (const row of rows) applyIndex(indexes.find((m) => m.oid === row.oid)!.relation, row, blockSize);
    status.confirmed += rows.length;
  }
  return { ...status, indexesSkippedOnStandby: caps.inRecovery && top.some((m) => m.relation.kind === 'index') };
}

/** Whether pgstattuple is installed here and this role may call it (pg_stat_scan_tables); null when it can. */
export async function pgstattupleAccess(session: Session, caps: Capabilities): Promise<ExactUnavailable | null> {
  const schema = caps.extensionSchemas.pgstattuple;
  if (!schema) return 'not-installed';
  const [access] = await session.query<{ tables: boolean; indexes: boolean }>(
    EXACT_ACCESS_SQL,
    pgstattupleSignatures(schema),
  );
  return access?.tables && access.indexes ? null : 'no-privilege';
}

/** Measures one relation with pgstattuple; false when it was skipped (someone holds ACCESS EXCLUSIVE on it). */
export async function measureOne(
  session: Session,
  caps: Capabilities,
  m: Measured,
  blockSize: number,
): Promise<boolean> {
  const schema = caps.extensionSchemas.pgstattuple!;
  if (m.relation.kind === 'table') {
    const [row] = await session.query<ExactTableRow>(exactTablesSql(schema), [[m.oid]]);
    if (row) applyTable(m.relation, row);
    return row !== undefined;
  }
  const [row] = await session.query<ExactIndexRow>(exactIndexesSql(schema), [[m.oid]]);
  if (row) applyIndex(m.relation, row, blockSize);
  return row !== undefined;
}

function emptyExact(relation: RelationBloat): Partial<RelationBloat> {
  return relation.kind === 'table'
    ? { exactBloatBytes: null, exactBloatPercent: null, exactFreePercent: null, exactDeadTuplePercent: null }
    : { exactBloatBytes: null, exactBloatPercent: null, exactLeafDensity: null };
}

/** Free space and dead tuples beyond what the fillfactor keeps free on purpose. */
function applyTable(relation: RelationBloat, row: ExactTableRow): void {
  const percent = Math.max(0, row.free_percent + row.dead_percent - (100 - relation.fillfactor));
  relation.exactFreePercent = row.free_percent;
  relation.exactDeadTuplePercent = row.dead_percent;
  relation.exactBloatPercent = percent;
  relation.exactBloatBytes = Math.round((row.table_len * percent) / 100);
}

/** Leaves filled to `density` instead of the fillfactor, plus empty and deleted pages, are the excess. */
function applyIndex(relation: RelationBloat, row: ExactIndexRow, blockSize: number): void {
  const density = Number.isFinite(row.leaf_density) ? row.leaf_density : 0; // NaN when there are no leaves
  const neededLeaves = (row.leaf_pages * density) / relation.fillfactor;
  const neededBytes = (1 + row.internal_pages + neededLeaves) * blockSize;
  const bytes = Math.max(0, row.index_size - neededBytes);
  relation.exactLeafDensity = density;
  relation.exactBloatBytes = Math.round(bytes);
  relation.exactBloatPercent = row.index_size > 0 ? (bytes / row.index_size) * 100 : 0;
}
