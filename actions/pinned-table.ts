import { escapeIdentifier } from '../src/db/driver.js';
import type { Session } from '../src/db/session.js';
import { notExclusivelyLocked } from '../src/db/sql.js';
import type { ActionParams } from '../src/engine/command.js';
import { formatBytes, formatCount, formatDuration, qualifiedName } from '../src/report/format.js';
import type { Report } from '../src/report/model.js';
import { pinnedObject, resolvePinned, unresolvableName } from './oid-guard.js';

/** The table a VACUUM or ANALYZE would touch, as the preview saw it. */
export interface TablePreview {
  oid: number;
  schema: string;
  table: string;
  liveTuples: number | null;
  deadTuples: number | null;
  /** null when someone holds ACCESS EXCLUSIVE on it (sizes are skipped then). */
  totalBytes: number | null;
  lastVacuumSeconds: number | null;
  lastAutovacuumSeconds: number | null;
  lastAnalyzeSeconds: number | null;
  lastAutoanalyzeSeconds: number | null;
  reloptions: string[];
}

export interface TableFindings {
  requested: string;
  table: TablePreview | null;
}

// to_regclass takes the typed name as a bound value and resolves it like SQL would (search_path, quoting).
export const TABLE_PREVIEW_SQL = `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS table, s.n_live_tup, s.n_dead_tup,
       CASE WHEN ${notExclusivelyLocked('c.oid')} THEN pg_catalog.pg_total_relation_size(c.oid) END AS total_bytes,
       extract(epoch FROM now() - s.last_vacuum)::float8 AS last_vacuum_seconds,
       extract(epoch FROM now() - s.last_autovacuum)::float8 AS last_autovacuum_seconds,
       extract(epoch FROM now() - s.last_analyze)::float8 AS last_analyze_seconds,
       extract(epoch FROM now() - s.last_autoanalyze)::float8 AS last_autoanalyze_seconds,
       coalesce(c.reloptions, '{}') AS reloptions
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stat_all_tables s ON s.relid = c.oid
WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'm')`;

interface PreviewRow {
  oid: number;
  schema: string;
  table: string;
  n_live_tup: number | null;
  n_dead_tup: number | null;
  total_bytes: number | null;
  last_vacuum_seconds: number | null;
  last_autovacuum_seconds: number | null;
  last_analyze_seconds: number | null;
  last_autoanalyze_seconds: number | null;
  reloptions: string[];
}

export async function collectTable(session: Session, requested: string): Promise<TableFindings> {
  if (!requested) return { requested, table: null };
  const [row] = await session
    .query<PreviewRow>(TABLE_PREVIEW_SQL, [requested])
    .catch((error: unknown) => (unresolvableName(error) ? [] : Promise.reject(error)));
  if (!row) return { requested, table: null };
  return {
    requested,
    table: {
      oid: row.oid,
      schema: row.schema,
      table: row.table,
      liveTuples: row.n_live_tup,
      deadTuples: row.n_dead_tup,
      totalBytes: row.total_bytes,
      lastVacuumSeconds: row.last_vacuum_seconds,
      lastAutovacuumSeconds: row.last_autovacuum_seconds,
      lastAnalyzeSeconds: row.last_analyze_seconds,
      lastAutoanalyzeSeconds: row.last_autoanalyze_seconds,
      reloptions: row.reloptions,
    },
  };
}

export function tableRefusal(findings: TableFindings, verb: string): string | null {
  if (!findings.requested) return `Name a table, for example \`${verb} public.orders\`.`;
  if (!findings.table) return `There is no table or materialized view named "${findings.requested}" in this database.`;
  return null;
}

export function pinTable(t: TablePreview): ActionParams {
  return { oid: String(t.oid), schema: t.schema, table: t.table };
}

/** Identifiers come from the catalog (pinned at preview) and are quoted; the statement takes no bind values. */
export function quotedTable(params: ActionParams): string {
  return `${escapeIdentifier(params.schema ?? '')}.${escapeIdentifier(params.table ?? '')}`;
}

const VERIFY_SQL = `
SELECT n.nspname AS schema, c.relname AS table
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = $1::int8::oid`;

/** The same table (same oid, same schema and name) is still there. */
export async function verifyTable(session: Session, params: ActionParams): Promise<string | null> {
  const [row] = await session.query<{ schema: string; table: string }>(VERIFY_SQL, [params.oid]);
  const name = qualifiedName(params.schema ?? '', params.table ?? '');
  if (!row)
    return (
      (await resolvePinned(session, pinnedObject('table', params, quotedTable(params)))) ??
      `Table ${name} has been dropped since the request. Nothing ran.`
    );
  if (row.schema !== params.schema || row.table !== params.table)
    return `Table ${name} is now called ${qualifiedName(row.schema, row.table)}; the request no longer matches. Nothing ran.`;
  return null;
}

const ago = (seconds: number | null) => (seconds === null ? 'never' : `${formatDuration(seconds)} ago`);

export function tableReport(
  title: string,
  findings: TableFindings,
  refusal: string | null,
  statement: string | null,
): Report {
  const t = findings.table;
  if (!t || refusal)
    return { title, status: 'ok', summary: refusal ?? 'Nothing to do.', sections: [], actions: [], footnotes: [] };
  const name = qualifiedName(t.schema, t.table);
  return {
    title: `${title} ${name}`,
    status: 'ok',
    summary: `${name}: ${formatCount(t.deadTuples ?? 0)} dead and ${formatCount(t.liveTuples ?? 0)} live rows${t.totalBytes !== null ? `, ${formatBytes(t.totalBytes)}` : ''}.`,
    sections: [
      {
        kind: 'facts',
        facts: [
          { label: 'Table', value: name },
          { label: 'Dead rows', value: formatCount(t.deadTuples ?? 0) },
          { label: 'Live rows', value: formatCount(t.liveTuples ?? 0) },
          {
            label: 'Total size',
            value:
              t.totalBytes === null ? 'skipped (ACCESS EXCLUSIVE held by another session)' : formatBytes(t.totalBytes),
          },
          { label: 'Last vacuum / autovacuum', value: `${ago(t.lastVacuumSeconds)} / ${ago(t.lastAutovacuumSeconds)}` },
          {
            label: 'Last analyze / autoanalyze',
            value: `${ago(t.lastAnalyzeSeconds)} / ${ago(t.lastAutoanalyzeSeconds)}`,
          },
          ...(t.reloptions.length ? [{ label: 'Storage options', value: t.reloptions.join(', ') }] : []),
        ],
      },
      ...(statement ? [{ kind: 'code' as const, title: 'What will run after approval', text: statement }] : []),
    ],
    actions: [],
    footnotes: [],
  };
}
