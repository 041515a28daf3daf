import { z } from 'zod';
import { hasInfoView } from '../src/db/statement-counters.js';
import { defineCommand } from '../src/engine/command.js';
import { MAX_SECONDS, decimalOption, intOption } from '../src/engine/units.js';
import { percentOf } from '../src/report/format.js';
import { statementColumns } from './shared/statement-columns.js';
import { slowQueriesReport } from './slow-queries/report.js';
import { deallocSql, statementsSql, type StatementRow } from './slow-queries/sql.js';

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
    const rows = await session.query<StatementRow>(statementsSql(schema, statementColumns(caps.pgssColumns)), [
      options.minMeanMs,
      options.sort,
      options.limit,
    ]);
    const [info] = hasInfoView(extensionVersion) ? await session.query<{ dealloc: number }>(deallocSql(schema)) : [];
    const [totals] = rows.length
      ? rows
      : await session.query<StatementRow>(statementsSql(schema, statementColumns(caps.pgssColumns)), [0, 'total', 1]);
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

  report: slowQueriesReport,
});

function toStatement(row: StatementRow): SlowStatement {
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
