import type { ReportContext } from '../../src/engine/command.js';
import { formatBytes, formatCount, formatPercent, plural } from '../../src/report/format.js';
import type { Report, Section } from '../../src/report/model.js';
import { querySection } from '../../src/report/query-text.js';
import { treeLine } from '../../src/engine/explain/plan-tree.js';
import type { Advice, PlanNode, TableFacts } from './plan.js';

interface Statement {
  /** A queryid typed, a statement typed, or nothing typed (the costliest plannable statement of this database). */
  source: 'queryid' | 'statement' | 'top';
  queryId: string | null;
  /** The statement; under a `query` key so JSON output is redacted like every query text. */
  query: string;
  verb: string;
  parameters: number;
  database: string;
}

export type ExplainFindings =
  | ({
      kind: 'plan';
      generic: boolean;
      nodes: PlanNode[];
      advice: Advice[];
      tables: TableFacts[];
      workMem: string;
      hypopg: boolean;
      /** A SELECT that only reads, with values, planned in the target's database: explain-analyze may run it. */
      analyzable: boolean;
    } & Statement)
  | ({ kind: 'needs-values'; serverVersion: string } & Statement)
  | ({ kind: 'server-error'; message: string; sqlstate: string } & Statement)
  | { kind: 'not-found'; queryId: string; seesAllStatements: boolean }
  | { kind: 'no-pgss'; queryId: string | null }
  | { kind: 'nothing'; statements: number };

const STATEMENT_MAX = 3000;
const USAGE =
  'Give a queryid from `slow-queries` (`explain -6453281719937373214`) or a statement (`explain SELECT * FROM orders WHERE id = 42`); with neither, explain plans the costliest statement of this database.';
const HYPOPG_INSTALL =
  'Index suggestions need the hypopg extension (hypothetical indexes): install the package (Debian/Ubuntu: postgresql-<major>-hypopg; RHEL: hypopg_<major>), then CREATE EXTENSION hypopg; in this database.';

export function explainReport(findings: ExplainFindings, _context: ReportContext<{ statement: string }>): Report {
  switch (findings.kind) {
    case 'plan':
      return planReport(findings);
    case 'needs-values':
      return {
        ...plain(
          `Explain ${label(findings)}`,
          'warn',
          `This statement has ${plural(findings.parameters, 'parameter')} ($1…) and PostgreSQL ${findings.serverVersion} cannot plan it without values: EXPLAIN (GENERIC_PLAN) arrived in PostgreSQL 16.`,
        ),
        reasons: ['parameters without values before PostgreSQL 16'],
        sections: [statementSection(findings)],
        footnotes: [
          'Run explain against a PostgreSQL 16 or newer server with the same schema, or type the statement with values in place of $1, $2, … (`explain SELECT … WHERE id = 42`).',
        ],
      };
    case 'server-error':
      return {
        ...plain(
          `Explain ${label(findings)}`,
          'warn',
          `PostgreSQL would not plan it: ${findings.message} (SQLSTATE ${findings.sqlstate}).`,
        ),
        reasons: ['the server refused to plan the statement'],
        sections: [statementSection(findings)],
        footnotes: [serverErrorAdvice(findings)],
      };
    case 'not-found':
      return {
        ...plain(
          `Explain query ${findings.queryId}`,
          'warn',
          `No pg_stat_statements entry has queryid ${findings.queryId}.`,
        ),
        reasons: ['no such queryid'],
        footnotes: [
          'Copy the queryid from `slow-queries`; entries vanish after pg_stat_statements_reset() or when evicted.',
          ...(findings.seesAllStatements
            ? []
            : [
                "Without pg_read_all_stats this role sees only its own statements (others' have no text or queryid): GRANT pg_read_all_stats (or pg_monitor) TO it.",
              ]),
        ],
      };
    case 'no-pgss':
      return {
        ...plain(
          findings.queryId ? `Explain query ${findings.queryId}` : 'Explain',
          'warn',
          `pg_stat_statements is not installed in this database, so there is no ${findings.queryId ? 'queryid to look up' : 'costliest statement to explain'}.`,
        ),
        reasons: ['pg_stat_statements is not installed in this database'],
        footnotes: [
          'Type the statement instead (`explain SELECT …`), or see `slow-queries` for how to enable pg_stat_statements.',
        ],
      };
    case 'nothing':
      return {
        ...plain('Explain', 'ok', nothingToPlan(findings.statements)),
        footnotes: [USAGE],
      };
  }
}

/** Nothing typed and no plannable statement among the costliest recorded (utility statements are skipped). */
function nothingToPlan(statements: number): string {
  if (statements === 0)
    return 'pg_stat_statements has recorded no statement in this database yet, so there is no costliest one to explain: let the workload run for a while, or give a statement or a queryid.';
  if (statements === 1)
    return 'The only statement pg_stat_statements has recorded in this database is not a query EXPLAIN can plan.';
  return `None of the ${formatCount(statements)} costliest statements recorded in this database is a query EXPLAIN can plan.`;
}

function planReport(findings: Extract<ExplainFindings, { kind: 'plan' }>): Report {
  const warnings = findings.advice.filter(
    (a) => a.advice === 'seq-scan-large' || a.advice === 'spill-risk' || a.advice === 'nested-loop-large',
  );
  const top = findings.nodes[0];
  const how = findings.generic ? 'generic plan (GENERIC_PLAN: parameters unknown)' : 'plan';
  return {
    ...plain(
      `Explain ${label(findings)}`,
      warnings.length ? 'warn' : 'ok',
      `${capital(how)} of a ${findings.verb}: estimated cost ${cost(top?.totalCost)}, ${formatCount(top?.planRows)} rows; ${warnings.length ? `${plural(warnings.length, 'thing')} to look at` : 'nothing stands out'}.`,
    ),
    reasons: warnings.map(adviceText),
    sections: [
      { kind: 'code', title: `Plan (${how}; not run)`, text: findings.nodes.map(treeLine).join('\n') },
      {
        kind: 'text',
        title: 'Advice',
        text: findings.advice.map((a) => `• ${adviceText(a)}`).join('\n') || 'Nothing stands out.',
      },
      statementSection(findings),
    ],
    actions: findings.analyzable
      ? [
          {
            action: 'explain-analyze',
            label: 'Explain ANALYZE',
            params: { statement: findings.queryId ?? findings.query },
          },
        ]
      : [],
    footnotes: [
      `Estimates only: the statement was planned, never run (EXPLAIN without ANALYZE), in database ${findings.database}. work_mem is ${findings.workMem}.`,
      ...(findings.hypopg ? [hypopgNote(findings.advice)] : []),
      ...(findings.source === 'top' ? [USAGE] : []),
      ...(findings.analyzable
        ? [
            'Explain ANALYZE runs the SELECT once, after a second person approves, in a READ ONLY transaction that is rolled back (`explain-analyze`).',
          ]
        : []),
    ],
  };
}

function hypopgNote(advice: Advice[]): string {
  return advice.some((a) => a.advice === 'index-suggestion')
    ? 'Index suggestions come from hypothetical indexes (hypopg): the planner used each and estimated the lower cost; nothing was built.'
    : 'hypopg is installed: candidate indexes on the filtered, joined and sorted columns were tried hypothetically; none that the planner would use lowered the cost.';
}

/** What to do about the server's refusal, by its SQLSTATE. */
function serverErrorAdvice(findings: Extract<ExplainFindings, { kind: 'server-error' }>): string {
  if (findings.sqlstate === '42501') {
    return 'EXPLAIN needs the privileges the statement itself needs: SELECT on what it reads (GRANT pg_read_all_data gives that), and INSERT, UPDATE or DELETE for a write, which a monitoring role should not hold; explain writes as a role that does.';
  }
  if (findings.sqlstate === '57014')
    return "The target's statement_timeout ended the planning; a plan that takes this long to make is itself worth a look.";
  return findings.parameters
    ? 'A parameter whose type PostgreSQL cannot infer needs a cast ($1::int) or a value.'
    : 'Check the names it uses exist in this database and search_path.';
}

function adviceText(a: Advice): string {
  switch (a.advice) {
    case 'costliest-node':
      return `Costliest step: ${a.nodeType}${a.relation ? ` on ${a.relation}` : ''}, an estimated ${cost(a.selfCost)} beyond its inputs (${formatPercent(a.share)} of the total).`;
    case 'seq-scan-large':
      return `Sequential scan of ${a.relation}, a large table (${formatBytes(a.bytes)}, ${a.rows < 0 ? 'never analyzed' : `about ${formatCount(a.rows)} rows`}): an index on the filtered columns may help.`;
    case 'spill-risk':
      return `${a.nodeType}${a.relation ? ` of ${a.relation}` : ''} needs at least ${formatBytes(a.estimatedBytes)}, more than its ${formatBytes(a.memoryBytes)} of memory (work_mem${a.nodeType === 'Hash' ? ' × hash_mem_multiplier' : ''}): it may spill to temporary files.`;
    case 'nested-loop-large':
      return `Nested loop over about ${formatCount(a.outerRows)} outer rows${a.relation ? ` (from ${a.relation})` : ''}: the inner side runs once per row; check the estimate (ANALYZE) or the join's index.`;
    case 'index-suggestion':
      return `Index on ${a.relation} (${a.columns.join(', ')}): estimated cost ${cost(a.costBefore)} → ${cost(a.costAfter)} with it (hypothetical). To build it: ${a.definition};`;
    case 'hypopg-missing':
      return HYPOPG_INSTALL;
  }
}

function statementSection(findings: Statement): Section {
  return querySection(
    `Statement${findings.queryId ? ` (queryid ${findings.queryId})` : ''}, database ${findings.database}`,
    findings.query,
    STATEMENT_MAX,
  );
}

const plain = (title: string, status: Report['status'], summary: string): Report => ({
  title,
  status,
  summary,
  reasons: [],
  sections: [],
  actions: [],
  footnotes: [],
});
const label = (f: Statement) =>
  f.source === 'top'
    ? `the costliest statement (query ${f.queryId})`
    : f.queryId
      ? `query ${f.queryId}`
      : `typed ${f.verb}`;
const cost = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(2));
const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
