import type { ApprovalRequest } from '../state/requests.js';

/** A value inside a SQL string literal, for the queries a person copies from the card. */
const literal = (value: string | undefined) => `'${(value ?? '').replace(/'/g, "''")}'`;
const qualified = (schema: string | undefined, name: string | undefined) =>
  literal(`${quoteIdent(schema)}.${quoteIdent(name)}`);
const quoteIdent = (name: string | undefined) => `"${(name ?? '').replace(/"/g, '""')}"`;

/**
 * What a person should look at on the target when pgmedic cannot say how an approved action ended (its
 * executor stopped, or it was interrupted): one question each, with the query that answers it.
 */
export function whatToCheck(request: Pick<ApprovalRequest, 'action' | 'params'>): string[] {
  const p = request.params;
  const stillRunning =
    "Is it still running? `SELECT pid, state, query FROM pg_stat_activity WHERE application_name LIKE 'pgmedic-%-action'`.";
  switch (request.action) {
    case 'terminate':
    case 'cancel':
      return [
        `Is pid ${p.pid} still there? \`SELECT pid, state, backend_start, query FROM pg_stat_activity WHERE pid = ${Number(p.pid) || 0}\` (the approved session started ${p.backendStart ?? '?'}).`,
      ];
    case 'reindex':
      return [
        `Does index ${p.index} exist, is it valid, and is there a leftover ${p.index}_ccnew? \`SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indexrelid IN (to_regclass(${qualified(p.schema, p.index)}), to_regclass(${qualified(p.schema, `${p.index}_ccnew`)}))\`.`,
        'Is the rebuild still running? `SELECT pid, phase FROM pg_stat_progress_create_index`.',
      ];
    case 'drop-index':
      return [
        `Does index ${p.index} still exist? \`SELECT to_regclass(${qualified(p.schema, p.index)})\` (a half-done DROP INDEX CONCURRENTLY leaves it invalid).`,
        stillRunning,
      ];
    case 'vacuum-table':
      return [
        `Did VACUUM of ${p.table} finish? check last_vacuum: \`SELECT last_vacuum FROM pg_stat_all_tables WHERE relid = to_regclass(${qualified(p.schema, p.table)})\`.`,
        'Is it still running? `SELECT pid, phase FROM pg_stat_progress_vacuum`.',
      ];
    case 'analyze':
      return [
        `Did ANALYZE of ${p.table} finish? check last_analyze: \`SELECT last_analyze FROM pg_stat_all_tables WHERE relid = to_regclass(${qualified(p.schema, p.table)})\`.`,
        stillRunning,
      ];
    case 'explain-analyze':
      return [
        'Nothing can have been committed: the SELECT ran in a READ ONLY transaction, rolled back or aborted with its connection. Only its plan is lost; ask again to see it.',
        stillRunning,
      ];
    default:
      return ['Look at the target for the effect of the SQL above before asking again.', stillRunning];
  }
}
