import { z } from 'zod';
import { defineCommand } from '../engine/command.js';
import { textOption } from '../engine/units.js';
import { qualifiedName } from '../report/format.js';
import { pinnedObject } from './oid-guard.js';
import { collectTable, pinTable, quotedTable, TABLE_PREVIEW_SQL, tableRefusal, tableReport, verifyTable } from './pinned-table.js';

interface TableActionSpec {
  name: string;
  summary: string;
  /** The statement before the table name: `ANALYZE`, `VACUUM (ANALYZE)`. */
  keyword: string;
  statementTimeoutMs: number;
}

/**
 * A maintenance action on one table (VACUUM, ANALYZE): preview the table, pin its identity, re-verify it
 * right before running. The lock wait stays short so it never queues behind a migration.
 */
export function defineTableAction(spec: TableActionSpec) {
  const statement = (params: Record<string, string>) => ({ text: `${spec.keyword} ${quotedTable(params)}`, values: [] });
  return defineCommand({
    name: spec.name,
    summary: spec.summary,
    kind: 'action',
    options: z.object({
      table: textOption(300, 'The table, schema-qualified if needed (public.orders)'),
    }),
    positionals: ['table'],
    sql: { preview: TABLE_PREVIEW_SQL },

    collect: ({ session }, options) => collectTable(session, options.table),

    report(findings) {
      const refusal = tableRefusal(findings, spec.name);
      return tableReport(spec.keyword, findings, refusal, findings.table && !refusal ? statement(pinTable(findings.table)).text : null);
    },

    action: {
      pin(findings) {
        const refusal = tableRefusal(findings, spec.name);
        return refusal || !findings.table ? { refusal: refusal ?? 'No table.' } : { params: pinTable(findings.table) };
      },
      statement,
      verify: verifyTable,
      pinnedObject: (params) => pinnedObject('table', params, quotedTable(params)),
      describeResult: (_rows, params) => ({ status: 'succeeded', summary: `${spec.keyword} of ${qualifiedName(params.schema ?? '', params.table ?? '')} finished.` }),
      statementTimeoutMs: spec.statementTimeoutMs,
      lockTimeoutMs: 2_000,
    },
  });
}
