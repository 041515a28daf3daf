import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { qualifiedName } from '../src/report/format.js';
import { collectTable, pinTable, quotedTable, TABLE_PREVIEW_SQL, tableRefusal, tableReport, verifyTable } from '../src/heal/pinned-table.js';

// Never FULL: VACUUM FULL rewrites the table under ACCESS EXCLUSIVE for its whole run.
const vacuumStatement = (params: Record<string, string>) => ({ text: `VACUUM (ANALYZE) ${quotedTable(params)}`, values: [] });

/** Named vacuum-table because `vacuum` is the autovacuum-health diagnostic. */
export default defineCommand({
  name: 'vacuum-table',
  summary: 'VACUUM (ANALYZE) one table after approval (never FULL)',
  kind: 'action',
  options: z.object({
    table: z.string().default('').describe('The table, schema-qualified if needed (public.orders)'),
  }),
  positionals: ['table'],
  sql: { preview: TABLE_PREVIEW_SQL },

  collect: ({ session }, options) => collectTable(session, options.table),

  report(findings) {
    const refusal = tableRefusal(findings, 'vacuum-table');
    return tableReport('VACUUM (ANALYZE)', findings, refusal, findings.table && !refusal ? vacuumStatement(pinTable(findings.table)).text : null);
  },

  action: {
    pin(findings) {
      const refusal = tableRefusal(findings, 'vacuum-table');
      return refusal || !findings.table ? { refusal: refusal ?? 'No table.' } : { params: pinTable(findings.table) };
    },
    statement: vacuumStatement,
    verify: verifyTable,
    describeResult: (_rows, params) => ({ status: 'succeeded', summary: `VACUUM (ANALYZE) of ${qualifiedName(params.schema ?? '', params.table ?? '')} finished.` }),
    // A big table can take a long time; the lock wait stays short so it never queues behind a migration.
    statementTimeoutMs: 3 * 60 * 60 * 1000,
    lockTimeoutMs: 2_000,
  },
});
