import { escapeIdentifier } from '../src/db/driver.js';
import type { Session } from '../src/db/session.js';
import { notExclusivelyLocked } from '../src/db/sql.js';
import type { ActionParams } from '../src/engine/command.js';
import { formatBytes, formatCount, formatDuration, qualifiedName } from '../src/report/format.js';
import type { Report } from '../src/report/model.js';
import { pinnedObject, resolvePinned, unresolvableName } from './oid-guard.js';

/** The index a REINDEX or DROP would touch, as the preview saw it. */
export interface IndexPreview {
  oid: number;
  schema: string;
  index: string;
  /** Schema-qualified. */
  table: string;
  /** pg_get_indexdef: what recreates it. */
  definition: string;
  bytes: number | null;
  scans: number;
  valid: boolean;
  unique: boolean;
  primary: boolean;
  exclusion: boolean;
  replicaIdentity: boolean;
  /** Constraints that use it (its own unique/primary/exclusion, foreign keys elsewhere). */
  constraints: string[];
  beingBuilt: boolean;
  statsResetSeconds: number | null;
  /** Other valid indexes on the same table with exactly the same definition (oids): a drop must leave one. */
  copies: number[];
}

export interface IndexFindings {
  requested: string;
  index: IndexPreview | null;
}

const INDEX_COLUMNS = `
  i.indexrelid::int8 AS oid, n.nspname AS schema, ic.relname AS index,
  format('%I.%I', tn.nspname, t.relname) AS table,
  pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
  coalesce(s.idx_scan, 0) AS scans, i.indisvalid AS valid, i.indisunique AS unique, i.indisprimary AS primary,
  i.indisexclusion AS exclusion, i.indisreplident AS replica_identity,
  ARRAY(SELECT conname::text FROM pg_catalog.pg_constraint WHERE conindid = i.indexrelid ORDER BY 1) AS constraints,
  EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid) AS being_built,
  ARRAY(SELECT o.indexrelid::int8 FROM pg_catalog.pg_index o JOIN pg_catalog.pg_class oc ON oc.oid = o.indexrelid
        WHERE o.indrelid = i.indrelid AND o.indexrelid <> i.indexrelid AND o.indisvalid AND oc.relam = ic.relam
          AND o.indisunique = i.indisunique AND o.indnkeyatts = i.indnkeyatts AND o.indkey::text = i.indkey::text
          AND o.indclass::text = i.indclass::text AND o.indcollation::text = i.indcollation::text AND o.indoption::text = i.indoption::text
          AND pg_catalog.pg_get_expr(o.indexprs, o.indrelid) IS NOT DISTINCT FROM pg_catalog.pg_get_expr(i.indexprs, i.indrelid)
          AND pg_catalog.pg_get_expr(o.indpred, o.indrelid) IS NOT DISTINCT FROM pg_catalog.pg_get_expr(i.indpred, i.indrelid)
        ORDER BY 1) AS copies`;

const INDEX_FROM = `
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_stat_all_indexes s ON s.indexrelid = i.indexrelid`;

export const INDEX_PREVIEW_SQL = `
SELECT ${INDEX_COLUMNS},
  CASE WHEN ${notExclusivelyLocked('i.indexrelid')} THEN pg_catalog.pg_relation_size(i.indexrelid) END AS bytes,
  extract(epoch FROM now() - (SELECT stats_reset FROM pg_catalog.pg_stat_database WHERE datname = current_database()))::float8 AS stats_reset_seconds
${INDEX_FROM}
WHERE i.indexrelid = to_regclass($1) AND ic.relkind = 'i'`;

const VERIFY_SQL = `SELECT ${INDEX_COLUMNS} ${INDEX_FROM} WHERE i.indexrelid = $1::int8::oid`;

interface Row {
  oid: number;
  schema: string;
  index: string;
  table: string;
  definition: string;
  bytes?: number | null;
  scans: number;
  valid: boolean;
  unique: boolean;
  primary: boolean;
  exclusion: boolean;
  replica_identity: boolean;
  constraints: string[];
  being_built: boolean;
  stats_reset_seconds?: number | null;
  copies: string[];
}

const toPreview = (r: Row): IndexPreview => ({
  oid: r.oid,
  schema: r.schema,
  index: r.index,
  table: r.table,
  definition: r.definition,
  bytes: r.bytes ?? null,
  scans: r.scans,
  valid: r.valid,
  unique: r.unique,
  primary: r.primary,
  exclusion: r.exclusion,
  replicaIdentity: r.replica_identity,
  constraints: r.constraints,
  beingBuilt: r.being_built,
  statsResetSeconds: r.stats_reset_seconds ?? null,
  copies: r.copies.map(Number),
});

export async function collectIndex(session: Session, requested: string): Promise<IndexFindings> {
  if (!requested) return { requested, index: null };
  const [row] = await session
    .query<Row>(INDEX_PREVIEW_SQL, [requested])
    .catch((error: unknown) => (unresolvableName(error) ? [] : Promise.reject(error)));
  return { requested, index: row ? toPreview(row) : null };
}

const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

/** Why the index must not be dropped (drop) or rebuilt (reindex), or null. */
export function indexRefusal(findings: IndexFindings, verb: 'drop-index' | 'reindex'): string | null {
  if (!findings.requested) return `Name an index, for example \`${verb} public.orders_customer_idx\`.`;
  const ix = findings.index;
  if (!ix) return `There is no index named "${findings.requested}" in this database.`;
  const name = qualifiedName(ix.schema, ix.index);
  if (SYSTEM_SCHEMAS.has(ix.schema)) return `${name} belongs to the system catalogs; pgmedic leaves it alone.`;
  if (ix.beingBuilt) return `${name} is being built right now; wait for CREATE INDEX to finish.`;
  if (verb === 'reindex')
    return ix.exclusion ? `${name} backs an exclusion constraint, which REINDEX CONCURRENTLY cannot rebuild.` : null;
  if (ix.primary || ix.unique || ix.exclusion)
    return `${name} enforces ${ix.primary ? 'the primary key' : ix.unique ? 'uniqueness' : 'an exclusion constraint'}; dropping it would change what the table accepts.`;
  if (ix.constraints.length) return `${name} backs the constraint(s) ${ix.constraints.join(', ')}.`;
  if (ix.replicaIdentity) return `${name} is the table's replica identity (logical replication uses it).`;
  return null;
}

export function pinIndex(ix: IndexPreview): ActionParams {
  return {
    oid: String(ix.oid),
    schema: ix.schema,
    index: ix.index,
    table: ix.table,
    definition: ix.definition,
    scans: String(ix.scans),
    copies: ix.copies.join(','),
  };
}

export function quotedIndex(params: ActionParams): string {
  return `${escapeIdentifier(params.schema ?? '')}.${escapeIdentifier(params.index ?? '')}`;
}

/** Same oid with the same name, still safe for the verb; for drop, not scanned since the request. */
export async function verifyIndex(
  session: Session,
  params: ActionParams,
  verb: 'drop-index' | 'reindex',
): Promise<string | null> {
  const [row] = await session.query<Row>(VERIFY_SQL, [params.oid]);
  const name = qualifiedName(params.schema ?? '', params.index ?? '');
  if (!row)
    return (
      (await resolvePinned(session, pinnedObject('index', params, quotedIndex(params)))) ??
      `Index ${name} no longer exists. Nothing ran.`
    );
  if (row.schema !== params.schema || row.index !== params.index)
    return `Index ${name} is now called ${qualifiedName(row.schema, row.index)}; the request no longer matches. Nothing ran.`;
  const refusal = indexRefusal({ requested: name, index: toPreview(row) }, verb);
  if (refusal) return `${refusal} Nothing ran.`;
  if (verb === 'drop-index' && row.scans > Number(params.scans)) {
    return `Index ${name} has been used ${formatCount(row.scans - Number(params.scans))} time(s) since the request; it is no longer unused. Nothing ran.`;
  }
  return verb === 'drop-index' ? lastCopyRefusal(name, params.copies ?? '', toPreview(row).copies) : null;
}

/** A drop requested while the index had identical copies must leave one of those copies behind. */
function lastCopyRefusal(name: string, pinned: string, now: number[]): string | null {
  const had = pinned.split(',').filter(Boolean).map(Number);
  if (!had.length || had.some((oid) => now.includes(oid))) return null;
  return `Index ${name} is no longer a duplicate: the identical index(es) it had when requested are gone, so it is now the last copy. Nothing ran.`;
}

export function indexReport(
  title: string,
  findings: IndexFindings,
  refusal: string | null,
  statement: string | null,
): Report {
  const ix = findings.index;
  if (!ix || refusal)
    return { title, status: 'ok', summary: refusal ?? 'Nothing to do.', sections: [], actions: [], footnotes: [] };
  const name = qualifiedName(ix.schema, ix.index);
  return {
    title: `${title} ${name}`,
    status: ix.scans > 0 && title.startsWith('DROP') ? 'warn' : 'ok',
    summary: `${name} on ${ix.table}: ${ix.valid ? 'valid' : 'INVALID'}, ${formatCount(ix.scans)} scans${ix.bytes !== null ? `, ${formatBytes(ix.bytes)}` : ''}.`,
    sections: [
      {
        kind: 'facts',
        facts: [
          { label: 'Index', value: name },
          { label: 'Table', value: ix.table },
          { label: 'Valid', value: ix.valid ? 'yes' : 'no' },
          {
            label: 'Scans',
            value: `${formatCount(ix.scans)}${ix.statsResetSeconds !== null ? ` (statistics reset ${formatDuration(ix.statsResetSeconds)} ago)` : ' (since statistics began)'}`,
          },
          {
            label: 'Size',
            value: ix.bytes === null ? 'skipped (ACCESS EXCLUSIVE held by another session)' : formatBytes(ix.bytes),
          },
        ],
      },
      { kind: 'code', title: 'Definition (recreates it)', text: `${ix.definition};` },
      ...(statement ? [{ kind: 'code' as const, title: 'What will run after approval', text: statement }] : []),
    ],
    actions: [],
    footnotes: ['Scans are counted per server: check the replicas before dropping an index the primary never uses.'],
  };
}
