import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { qualifiedName } from '../src/report/format.js';
import { collectTable, pinTable, quotedTable, TABLE_PREVIEW_SQL, tableRefusal, tableReport, verifyTable } from '../src/heal/pinned-table.js';

const analyzeStatement = (params: Record<string, string>) => ({ text: `ANALYZE ${quotedTable(params)}`, values: [] });

export default defineCommand({
  name: 'analyze',
  summary: "ANALYZE one table after approval (refreshes the planner's statistics)",
  kind: 'action',
  options: z.object({
    table: z.string().default('').describe('The table, schema-qualified if needed (public.orders)'),
  }),
  positionals: ['table'],
  sql: { preview: TABLE_PREVIEW_SQL },

  collect: ({ session }, options) => collectTable(session, options.table),

  report(findings) {
    const refusal = tableRefusal(findings, 'analyze');
    return tableReport('ANALYZE', findings, refusal, findings.table && !refusal ? analyzeStatement(pinTable(findings.table)).text : null);
  },

  action: {
    pin(findings) {
      const refusal = tableRefusal(findings, 'analyze');
      return refusal || !findings.table ? { refusal: refusal ?? 'No table.' } : { params: pinTable(findings.table) };
    },
    statement: analyzeStatement,
    verify: verifyTable,
    describeResult: (_rows, params) => ({ status: 'succeeded', summary: `ANALYZE of ${qualifiedName(params.schema ?? '', params.table ?? '')} finished.` }),
    statementTimeoutMs: 60 * 60 * 1000,
    lockTimeoutMs: 2_000,
  },
});
