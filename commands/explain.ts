import { z } from 'zod';
import type { Session } from '../src/db/session.js';
import { defineCommand, type CollectContext } from '../src/engine/command.js';
import { statementOption } from '../src/engine/units.js';
import { AppError } from '../src/errors.js';
import { asQueryId, entrySql, findEntry, MEMORY_SQL, TABLES_SQL, tableFacts, topSql } from './explain/lookup.js';
import { statementColumns } from './shared/statement-columns.js';
import { indexCandidates } from './explain/candidates.js';
import { HYPOPG_SCHEMA_SQL, hypopgSchema, suggestIndexes } from './explain/hypopg.js';
import { adviseOn, flattenPlan, relationsOf } from './explain/plan.js';
import { explainReport, type ExplainFindings } from './explain/report.js';
import { checkSelectOnly } from '../src/engine/explain/select-only.js';
import { checkStatement, explainSql, type CheckedStatement } from '../src/engine/explain/statement.js';

export type { ExplainFindings } from './explain/report.js';

/** GENERIC_PLAN (plans a statement with $n parameters left unknown) arrived in PostgreSQL 16. */
const GENERIC_PLAN_VERSION = 160000;
export const MAX_STATEMENT_LENGTH = 10_000;

export default defineCommand({
  name: 'explain',
  summary: 'The plan of a statement (by pg_stat_statements queryid, or typed), with advice; never runs it',
  kind: 'diagnostic',
  options: z.object({
    statement: statementOption(
      MAX_STATEMENT_LENGTH,
      'A queryid from slow-queries, or one SELECT/INSERT/UPDATE/DELETE/MERGE/WITH statement; none: the costliest statement',
    ),
  }),
  positionals: ['statement'],
  freeText: 'statement',
  // The plan itself is EXPLAIN (GENERIC_PLAN from 16, VERBOSE, FORMAT JSON) of the statement: it is the user's own.
  sql: ({ extensionSchemas, pgssColumns }) => {
    const schema = extensionSchemas.pg_stat_statements;
    const pgss: Record<string, string> =
      schema && pgssColumns
        ? {
            entry: entrySql(schema, pgssColumns.includes('toplevel')),
            top: topSql(schema, statementColumns(pgssColumns).total),
          }
        : {};
    return { ...pgss, tables: TABLES_SQL, memory: MEMORY_SQL, hypopg: HYPOPG_SCHEMA_SQL };
  },

  // Typed SQL is refused before pgmedic connects at all (an unreachable server must not hide the refusal).
  async precheck(options) {
    const typed = options.statement.trim();
    if (typed && asQueryId(typed) === undefined) await checkStatement(typed);
  },

  async collect(context, options): Promise<ExplainFindings> {
    const typed = options.statement.trim();
    const queryId = typed ? asQueryId(typed) : null;
    if (queryId === undefined) return explainTyped(context, await checkStatement(typed), 'statement', null, null);
    const { caps } = context;
    if (!caps.pgssColumns || !caps.extensionSchemas.pg_stat_statements) return { kind: 'no-pgss', queryId };
    if (queryId === null) return explainTop(context);
    const entry = await findEntry(context.session, caps, queryId);
    if (!entry) return { kind: 'not-found', queryId, seesAllStatements: caps.roles.pgReadAllStats };
    return explainTyped(context, await checkStatement(entry.query), 'queryid', queryId, entry.database);
  },

  report: explainReport,
});

/** Nothing typed: the costliest statement of this database that EXPLAIN can plan (utility statements are skipped). */
async function explainTop(context: CollectContext): Promise<ExplainFindings> {
  const schema = context.caps.extensionSchemas.pg_stat_statements!;
  const rows = await context.session.query<{ query_id: string; query: string }>(
    topSql(schema, statementColumns(context.caps.pgssColumns!).total),
  );
  for (const row of rows) {
    const statement = await checkStatement(row.query).catch((error: unknown) => {
      if (error instanceof AppError) return undefined;
      throw error;
    });
    if (statement) return explainTyped(context, statement, 'top', row.query_id, null);
  }
  return { kind: 'nothing', statements: rows.length };
}

async function explainTyped(
  context: CollectContext,
  statement: CheckedStatement,
  source: 'queryid' | 'statement' | 'top',
  queryId: string | null,
  database: string | null,
): Promise<ExplainFindings> {
  const { caps } = context;
  const base = {
    source,
    queryId,
    query: statement.text,
    verb: statement.verb,
    parameters: statement.parameters,
    database: database ?? caps.database,
  };
  const generic = caps.serverVersionNum >= GENERIC_PLAN_VERSION;
  if (statement.parameters && !generic) return { kind: 'needs-values', ...base, serverVersion: caps.serverVersion };
  const sql = await explainSql(statement, generic);
  // A pg_stat_statements entry is planned in the database it ran in, whatever database the target names.
  const work = (session: Session) => planIn(session, sql);
  const planned =
    database && database !== caps.database ? await context.inDatabase(database, work) : await work(context.session);
  if ('error' in planned) return { kind: 'server-error', ...base, ...planned.error };
  const here = !database || database === caps.database;
  return { kind: 'plan', ...base, generic, ...planned, analyzable: here && (await readsOnly(statement.text)) };
}

/** explain-analyze would accept it (one SELECT that only reads, with values): the report offers the button. */
async function readsOnly(text: string): Promise<boolean> {
  return checkSelectOnly(text).then(
    () => true,
    (error: unknown) => {
      if (error instanceof AppError) return false;
      throw error;
    },
  );
}

interface Planned {
  nodes: ReturnType<typeof flattenPlan>;
  advice: ReturnType<typeof adviseOn>;
  tables: Awaited<ReturnType<typeof tableFacts>>;
  workMem: string;
  hypopg: boolean;
}

async function planIn(
  session: Session,
  sql: string,
): Promise<Planned | { error: { message: string; sqlstate: string } }> {
  let output: unknown;
  try {
    const [row] = await session.query<{ 'QUERY PLAN': unknown }>(sql);
    output = row?.['QUERY PLAN'];
  } catch (error) {
    // The server refused to plan it (unknown table, a parameter whose type it cannot infer, the timeout): say so.
    const sqlstate = (error as { code?: unknown }).code;
    if (typeof sqlstate !== 'string') throw error;
    return { error: { message: (error as Error).message, sqlstate } };
  }
  const nodes = flattenPlan(output);
  const tables = await tableFacts(session, relationsOf(nodes));
  const [memory] = await session.query<{
    work_mem_text: string;
    work_mem_bytes: number;
    hash_mem_multiplier: number | null;
  }>(MEMORY_SQL);
  // hypopg is looked up where the plan is made: a pg_stat_statements entry may be planned in another database.
  const hypopg = await hypopgSchema(session);
  const advice = adviseOn(
    nodes,
    tables,
    { workMemBytes: memory!.work_mem_bytes, hashMemMultiplier: memory!.hash_mem_multiplier ?? 1 },
    hypopg !== null,
  );
  const suggestions =
    hypopg && nodes[0]
      ? await suggestIndexes(session, hypopg, sql, nodes[0].totalCost, await indexCandidates(output))
      : [];
  return {
    nodes,
    advice: [...advice, ...suggestions],
    tables,
    workMem: memory!.work_mem_text,
    hypopg: hypopg !== null,
  };
}
