import { z } from 'zod';
import type { Session } from '../src/db/session.js';
import { entrySql, findEntry } from '../src/db/statement-entry.js';
import { defineCommand, type CollectContext } from '../src/engine/command.js';
import { flattenPlan, type PlanNode, treeLine } from '../src/engine/explain/plan-tree.js';
import { analyzeText, checkSelectOnly, explainAnalyzeSql } from '../src/engine/explain/select-only.js';
import { explainSql } from '../src/engine/explain/statement.js';
import { asQueryId, statementOption } from '../src/engine/units.js';
import { AppError } from '../src/errors.js';
import { plural } from '../src/report/format.js';
import type { Report } from '../src/report/model.js';
import { querySection } from '../src/report/query-text.js';

export type ExplainAnalyzeFindings =
  | {
      kind: 'ready';
      queryId: string | null;
      /** The SELECT that runs; under `query` so stored previews are redacted like any query text. */
      query: string;
      database: string;
      /** The estimated plan (EXPLAIN without ANALYZE), made read-only for the preview. */
      nodes: PlanNode[];
    }
  | { kind: 'refused'; queryId: string | null; reason: string };

const NAME_ONE =
  'Name a statement: a queryid from `slow-queries` or one SELECT, for example `explain-analyze SELECT count(*) FROM orders`.';
const USAGE = 'Give a queryid from `slow-queries` (a statement without $1 parameters) or one SELECT with its values.';

export default defineCommand({
  name: 'explain-analyze',
  summary:
    'EXPLAIN ANALYZE one SELECT after approval: run once in a READ ONLY transaction, rolled back; the plan with actual rows and timing goes to the thread',
  kind: 'action',
  options: z.object({
    statement: statementOption(10_000, 'A queryid from slow-queries (a statement without parameters) or one SELECT'),
  }),
  positionals: ['statement'],
  freeText: 'statement',
  // The preview's EXPLAIN (without ANALYZE) is of the user's own statement; only the queryid lookup is pgmedic's.
  sql: ({ extensionSchemas, pgssColumns }): Record<string, string> => {
    const schema = extensionSchemas.pg_stat_statements;
    return schema && pgssColumns ? { entry: entrySql(schema, pgssColumns.includes('toplevel')) } : {};
  },

  // Typed SQL that is not a plain SELECT is refused before pgmedic connects, so before any request exists.
  async precheck(options) {
    const typed = options.statement.trim();
    if (typed && asQueryId(typed) === undefined) await checkSelectOnly(typed);
  },

  async collect(context, options): Promise<ExplainAnalyzeFindings> {
    const typed = options.statement.trim();
    const queryId = asQueryId(typed) ?? null;
    if (!typed) return { kind: 'refused', queryId, reason: NAME_ONE };
    const found = queryId ? await lookUp(context, queryId) : { query: typed };
    if ('reason' in found) return { kind: 'refused', queryId, reason: found.reason };
    const checked = await checkSelectOnly(found.query).catch((error: unknown) => {
      if (error instanceof AppError) return `${error.message} ${error.hint ?? ''}`.trim();
      throw error;
    });
    if (typeof checked === 'string') return { kind: 'refused', queryId, reason: checked };
    await explainAnalyzeSql(checked);
    const planned = await estimate(context.session, await explainSql(checked, false));
    if (typeof planned === 'string') return { kind: 'refused', queryId, reason: planned };
    return { kind: 'ready', queryId, query: checked.text, database: context.caps.database, nodes: planned };
  },

  report: previewReport,

  action: {
    destructive: false,
    transaction: 'read-only-rollback',
    // A READ ONLY transaction does not stop a function of the user's that signals sessions, and the parser cannot see
    // inside one: the SELECT runs as the read-only monitoring role that plans it for `/pg explain`, never the action role.
    role: 'monitoring',
    targetTimeouts: true,
    statementShowsQueryText: true,
    pin: (findings) =>
      findings.kind === 'ready'
        ? { params: { query: findings.query, ...(findings.queryId ? { queryId: findings.queryId } : {}) } }
        : { refusal: findings.reason },
    statement: (params) => ({ text: analyzeText(params.query ?? ''), values: [] }),
    // The stored statement is checked again with the parser right before it runs.
    async verify(_session, params) {
      try {
        await explainAnalyzeSql(await checkSelectOnly(params.query ?? ''));
        return null;
      } catch (error) {
        if (error instanceof AppError) return `${error.message} Nothing ran.`;
        throw error;
      }
    },
    describeResult,
    // Replaced by the target's statement_timeout and lock_timeout (targetTimeouts).
    statementTimeoutMs: 5_000,
    lockTimeoutMs: 500,
  },
});

async function lookUp(context: CollectContext, queryId: string): Promise<{ query: string } | { reason: string }> {
  const { caps, session } = context;
  if (!caps.pgssColumns || !caps.extensionSchemas.pg_stat_statements)
    return { reason: `pg_stat_statements is not installed in this database, so queryid ${queryId} cannot be found.` };
  const entry = await findEntry(session, caps, queryId);
  if (!entry) return { reason: `No pg_stat_statements entry has queryid ${queryId}. ${USAGE}` };
  if (entry.database !== caps.database)
    return {
      reason: `Query ${queryId} ran in database ${entry.database}, and explain-analyze runs in this target's database (${caps.database}): point a target at ${entry.database}.`,
    };
  return { query: entry.query };
}

/** The plan without running anything: what approvers see, and proof the statement plans here at all. */
async function estimate(session: Session, sql: string): Promise<PlanNode[] | string> {
  try {
    const [row] = await session.query<{ 'QUERY PLAN': unknown }>(sql);
    return flattenPlan(row?.['QUERY PLAN']);
  } catch (error) {
    const sqlstate = (error as { code?: unknown }).code;
    if (typeof sqlstate !== 'string') throw error;
    return `PostgreSQL would not plan it: ${(error as Error).message} (SQLSTATE ${sqlstate}).`;
  }
}

function previewReport(findings: ExplainAnalyzeFindings): Report {
  const title = `EXPLAIN ANALYZE ${findings.queryId ? `query ${findings.queryId}` : 'a typed SELECT'}`;
  if (findings.kind === 'refused')
    return { title, status: 'ok', summary: findings.reason, sections: [], actions: [], footnotes: [USAGE] };
  const top = findings.nodes[0];
  return {
    title,
    status: 'ok',
    summary: `Runs this SELECT once (estimated cost ${top?.totalCost.toFixed(2) ?? '–'}, ${top ? plural(top.planRows, 'row') : '– rows'}) as the target's monitoring role, inside a READ ONLY transaction with the target's statement_timeout, then rolls back.`,
    sections: [
      { kind: 'code', title: 'Estimated plan (not run yet)', text: findings.nodes.map(treeLine).join('\n') },
      querySection(`Statement, database ${findings.database}`, findings.query, 3_000),
      { kind: 'code', title: 'What will run after approval', text: analyzeText(findings.query) },
    ],
    actions: [],
    footnotes: [
      "The statement really runs (that is what ANALYZE measures): its reads, locks and time are real; any write is refused by the READ ONLY transaction, a function's signal to another session by the monitoring role's lack of privilege, and everything is rolled back.",
    ],
  };
}

interface AnalyzedPlan {
  Plan?: unknown;
  'Planning Time'?: number;
  'Execution Time'?: number;
}

function describeResult(rows: Record<string, unknown>[]) {
  const output = rows[0]?.['QUERY PLAN'] as AnalyzedPlan[] | undefined;
  const nodes = flattenPlan(output);
  const top = nodes[0];
  if (!top) return { status: 'failed' as const, summary: 'EXPLAIN ANALYZE returned no plan.' };
  const execution = output?.[0]?.['Execution Time'];
  const planning = output?.[0]?.['Planning Time'];
  const times = `${ms(execution)} (planning ${ms(planning)})`;
  return {
    status: 'succeeded' as const,
    summary: `Ran in ${times}, ${plural(top.actual?.rows ?? 0, 'row')}, then rolled back; the plan with actual rows and timing is in the thread.`,
    detail: {
      title: 'EXPLAIN ANALYZE: actual rows and timing (READ ONLY transaction, rolled back)',
      text: [...nodes.map(treeLine), `Planning Time: ${ms(planning)}`, `Execution Time: ${ms(execution)}`].join('\n'),
    },
  };
}

const ms = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(3)} ms`);
