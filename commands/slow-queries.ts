import { queryColumn, querySection } from '../src/report/query-text.js';
import { escapeIdentifier } from '../src/db/driver.js';
import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { MAX_SECONDS, decimalOption, intOption } from '../src/engine/units.js';
import { formatBytes, formatCount, formatMs, formatPercent, percentOf, plural } from '../src/report/format.js';
import { statusFor, type Report, type Section } from '../src/report/model.js';

/** One pg_stat_statements entry (per statement, user, database and nesting level). */
export interface SlowStatement {
  /** As text: a 64-bit hash does not fit a JS number. Null without pg_read_all_stats for others' statements. */
  queryId: string | null;
  /** Normalized text, cut to 1000 characters. */
  query: string;
  database: string | null;
  user: string | null;
  /** False for statements run inside functions (pg_stat_statements.track = all); null before 1.9. */
  toplevel: boolean | null;
  calls: number;
  meanMs: number;
  totalMs: number;
  /** Share of all top-level execution time recorded. */
  percentOfTotal: number | null;
  rows: number;
  /** Shared buffer hits / (hits + reads), percent; null when the statement touched no shared blocks. */
  sharedHitPercent: number | null;
  tempBlocksRead: number;
  tempBlocksWritten: number;
  ioReadMs: number | null;
}

export type SlowQueriesFindings =
  | {
      available: true;
      extensionVersion: string;
      statements: SlowStatement[];
      /** Entries in the view (pgmedic's own left out). */
      trackedStatements: number;
      totalExecMs: number;
      /** Entries evicted since the last reset (pg_stat_statements_info, 1.9+). */
      deallocations: number | null;
      /** Without pg_read_all_stats, other roles' statements show no text. */
      seesAllStatements: boolean;
    }
  | {
      available: false;
      reason: 'not-installed' | 'not-preloaded';
      extensionVersion: string | null;
      preloaded: boolean | null;
    };

/** Column names follow the installed extension version, not the server (1.8 and 1.11 renamed some). */
export interface StatementColumns {
  total: string;
  mean: string;
  ioRead: string | null;
  toplevel: boolean;
}

export function statementColumns(present: readonly string[]): StatementColumns {
  const has = (name: string) => present.includes(name);
  return {
    total: has('total_exec_time') ? 'total_exec_time' : 'total_time',
    mean: has('mean_exec_time') ? 'mean_exec_time' : 'mean_time',
    ioRead: has('shared_blk_read_time') ? 'shared_blk_read_time' : has('blk_read_time') ? 'blk_read_time' : null,
    toplevel: has('toplevel'),
  };
}

/** The statements query for one extension schema and column set; options arrive as $1 (min mean), $2 (sort), $3 (limit). */
export function statementsSql(schema: string, columns: StatementColumns): string {
  const view = `${escapeIdentifier(schema)}.pg_stat_statements`;
  return `
WITH statements AS (
  SELECT s.queryid::text AS query_id, left(s.query, 1000) AS query, d.datname AS database, r.rolname AS "user",
         ${columns.toplevel ? 's.toplevel' : 'NULL::boolean'} AS toplevel,
         s.calls::float8 AS calls, s.${columns.total}::float8 AS total_ms, s.${columns.mean}::float8 AS mean_ms,
         s.rows::float8 AS rows, s.shared_blks_hit::float8 AS shared_hit, s.shared_blks_read::float8 AS shared_read,
         s.temp_blks_read::float8 AS temp_read, s.temp_blks_written::float8 AS temp_written,
         ${columns.ioRead ? `s.${columns.ioRead}::float8` : 'NULL::float8'} AS io_read_ms
  FROM ${view} s
  LEFT JOIN pg_catalog.pg_database d ON d.oid = s.dbid
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.userid
  -- pgmedic's own statements are tagged (PostgreSQL 18 drops a LEADING comment from the recorded text, so match
  -- anywhere), the state database's bookkeeping included; the bare transaction statements are what versions
  -- before connection-level settings sent, left out only when this role ran them.
  WHERE s.query NOT LIKE '%/* pgmedic:%'
    AND NOT (s.query IN ('BEGIN READ ONLY', 'COMMIT', 'ROLLBACK') AND s.userid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user))
), totals AS (
  -- nested statements (toplevel = false) are already inside their caller's time
  SELECT coalesce(sum(total_ms) FILTER (WHERE toplevel IS NOT FALSE), 0)::float8 AS all_ms, count(*)::float8 AS tracked
  FROM statements
)
SELECT st.*, 100 * st.total_ms / nullif(t.all_ms, 0) AS percent_of_total, t.all_ms, t.tracked
FROM statements st CROSS JOIN totals t
WHERE st.mean_ms >= $1
ORDER BY CASE $2::text WHEN 'mean' THEN st.mean_ms WHEN 'calls' THEN st.calls ELSE st.total_ms END DESC, st.query_id
LIMIT $3`;
}

export function deallocSql(schema: string): string {
  return `SELECT dealloc::float8 AS dealloc FROM ${escapeIdentifier(schema)}.pg_stat_statements_info`;
}

interface Row {
  query_id: string | null;
  query: string | null;
  database: string | null;
  user: string | null;
  toplevel: boolean | null;
  calls: number;
  total_ms: number;
  mean_ms: number;
  rows: number;
  shared_hit: number;
  shared_read: number;
  temp_read: number;
  temp_written: number;
  io_read_ms: number | null;
  percent_of_total: number | null;
  all_ms: number;
  tracked: number;
}

const BLOCK_SIZE_BYTES = 8192;

export default defineCommand({
  name: 'slow-queries',
  summary: 'The statements that cost the most time, from pg_stat_statements',
  kind: 'diagnostic',
  options: z.object({
    sort: z
      .enum(['total', 'mean', 'calls'])
      .default('total')
      .describe('Order by total time, mean time per call, or number of calls'),
    minMeanMs: decimalOption(
      0,
      MAX_SECONDS * 1000,
      0,
      'Leave out statements whose mean time is below this many milliseconds',
    ),
    limit: intOption(1, 100, 10, 'Statements to show'),
  }),
  // Built at run time for the extension's schema and version; this is the newest form in the public schema.
  sql: ({ extensionSchemas, extensions, pgssColumns }): Record<string, string> => {
    const schema = extensionSchemas.pg_stat_statements;
    if (!schema || !pgssColumns) return {};
    const statements = statementsSql(schema, statementColumns(pgssColumns));
    return hasInfoView(extensions.pg_stat_statements ?? '')
      ? { statements, dealloc: deallocSql(schema) }
      : { statements };
  },

  async collect({ session, caps }, options): Promise<SlowQueriesFindings> {
    const extensionVersion = caps.extensions.pg_stat_statements ?? null;
    const schema = caps.extensionSchemas.pg_stat_statements;
    if (!caps.pgssColumns || !schema || extensionVersion === null)
      return { available: false, reason: 'not-installed', extensionVersion, preloaded: caps.pgssPreloaded };
    if (caps.pgssPreloaded === false)
      return { available: false, reason: 'not-preloaded', extensionVersion, preloaded: false };
    const rows = await session.query<Row>(statementsSql(schema, statementColumns(caps.pgssColumns)), [
      options.minMeanMs,
      options.sort,
      options.limit,
    ]);
    const [info] = hasInfoView(extensionVersion) ? await session.query<{ dealloc: number }>(deallocSql(schema)) : [];
    const [totals] = rows.length
      ? rows
      : await session.query<Row>(statementsSql(schema, statementColumns(caps.pgssColumns)), [0, 'total', 1]);
    return {
      available: true,
      extensionVersion,
      statements: rows.map(toStatement),
      trackedStatements: totals?.tracked ?? 0,
      totalExecMs: totals?.all_ms ?? 0,
      deallocations: info?.dealloc ?? null,
      seesAllStatements: caps.roles.pgReadAllStats,
    };
  },

  report(findings, { options, thresholds }): Report {
    if (!findings.available) return unavailableReport(findings);
    const slowestMeanSeconds = Math.max(0, ...findings.statements.map((s) => s.meanMs / 1000));
    const top = findings.statements[0];
    const summary = top
      ? `${plural(findings.trackedStatements, 'statement')} tracked; by ${options.sort} the top one averages ${formatMs(top.meanMs)} over ${plural(top.calls, 'call')} (${formatPercent(top.percentOfTotal)} of all time).`
      : `No statement matches (${plural(findings.trackedStatements, 'statement')} tracked${options.minMeanMs ? `, none with a mean of ${formatMs(options.minMeanMs)} or more` : ''}).`;
    const status = statusFor(slowestMeanSeconds, thresholds.longQuerySeconds);
    return {
      title: `Slow queries (by ${options.sort})`,
      status,
      summary,
      reasons:
        status === 'ok'
          ? []
          : [
              `a statement averaging ${formatMs(slowestMeanSeconds * 1000)} per call (${status} from ${formatMs(thresholds.longQuerySeconds[status] * 1000)})`,
            ],
      sections: statementSections(findings.statements),
      actions: [],
      // One per row that has a queryid, numbered like the table's # column.
      followUps: findings.statements.flatMap((s, i) =>
        s.queryId ? [{ command: 'explain' as const, args: [s.queryId], label: `Explain #${i + 1}`, row: i }] : [],
      ),
      footnotes: footnotes(findings),
    };
  },
});

function toStatement(row: Row): SlowStatement {
  const touched = row.shared_hit + row.shared_read;
  return {
    queryId: row.query_id,
    query: row.query ?? '',
    database: row.database,
    user: row.user,
    toplevel: row.toplevel,
    calls: row.calls,
    meanMs: row.mean_ms,
    totalMs: row.total_ms,
    percentOfTotal: row.percent_of_total,
    rows: row.rows,
    sharedHitPercent: percentOf(row.shared_hit, touched),
    tempBlocksRead: row.temp_read,
    tempBlocksWritten: row.temp_written,
    ioReadMs: row.io_read_ms,
  };
}

/** pg_stat_statements_info arrived with 1.9. */
function hasInfoView(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 9);
}

function statementSections(statements: SlowStatement[]): Section[] {
  if (!statements.length) return [];
  const right = 'right' as const;
  return [
    {
      kind: 'table',
      columns: [
        { header: '#', align: right },
        { header: 'queryid', align: right },
        { header: 'mean', align: right },
        { header: 'total', align: right },
        { header: '% time', align: right },
        { header: 'calls', align: right },
        { header: 'rows/call', align: right },
        { header: 'hit %', align: right },
        { header: 'temp', align: right },
        queryColumn('query', 70),
      ],
      rows: statements.map((s, i) => [
        String(i + 1),
        s.queryId ?? '–',
        formatMs(s.meanMs),
        formatMs(s.totalMs),
        formatPercent(s.percentOfTotal),
        formatCount(s.calls),
        s.calls ? formatCount(s.rows / s.calls) : '–',
        formatPercent(s.sharedHitPercent),
        s.tempBlocksWritten ? formatBytes(s.tempBlocksWritten * BLOCK_SIZE_BYTES) : '',
        s.query,
      ]),
    },
    querySection(
      `#1 in full${statements[0]!.database ? ` (database ${statements[0]!.database})` : ''}`,
      statements[0]!.query,
      600,
    ),
  ];
}

function footnotes(findings: Extract<SlowQueriesFindings, { available: true }>): string[] {
  return [
    'Times are execution times accumulated since pg_stat_statements was last reset; % time is the share of all top-level execution time.',
    ...(findings.statements.some((s) => s.queryId)
      ? [
          `To see a statement's plan: explain <queryid>, for example \`explain ${findings.statements.find((s) => s.queryId)!.queryId}\`.`,
        ]
      : []),
    ...(findings.statements.some((s) => s.toplevel === false)
      ? [
          'Statements run inside functions are listed too (toplevel = false); their time is also part of the calling statement.',
        ]
      : []),
    ...(findings.seesAllStatements
      ? []
      : [
          "This role lacks pg_read_all_stats, so other roles' statements show as <insufficient privilege>: GRANT pg_monitor TO it.",
        ]),
    ...(findings.deallocations
      ? [
          `${formatCount(findings.deallocations)} entries were evicted for lack of room; raise pg_stat_statements.max (needs a restart) to keep rare statements.`,
        ]
      : []),
  ];
}

function unavailableReport(findings: Extract<SlowQueriesFindings, { available: false }>): Report {
  const preload =
    "shared_preload_libraries = 'pg_stat_statements'   # postgresql.conf; keep libraries already listed, comma-separated";
  const create = 'CREATE EXTENSION pg_stat_statements;   -- in this database';
  const steps = findings.preloaded
    ? [create]
    : [
        preload,
        '-- then restart PostgreSQL: the library loads only at server start',
        ...(findings.reason === 'not-installed' ? [create] : []),
      ];
  return {
    title: 'Slow queries',
    status: 'warn',
    summary:
      findings.reason === 'not-preloaded'
        ? 'pg_stat_statements is installed but not loaded, so it records nothing: add it to shared_preload_libraries and restart PostgreSQL.'
        : findings.preloaded
          ? 'pg_stat_statements is loaded but not installed in this database: run CREATE EXTENSION pg_stat_statements here.'
          : 'pg_stat_statements is not set up: add it to shared_preload_libraries, restart PostgreSQL, then CREATE EXTENSION pg_stat_statements.',
    reasons: [
      findings.reason === 'not-preloaded'
        ? 'pg_stat_statements is not loaded (shared_preload_libraries)'
        : 'pg_stat_statements is not installed in this database',
    ],
    sections: [{ kind: 'code', title: 'To enable it', text: steps.join('\n') }],
    actions: [],
    footnotes: [
      'Creating the extension needs a role with CREATE on the database; reading every statement needs pg_read_all_stats (or pg_monitor).',
    ],
  };
}
