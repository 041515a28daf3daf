import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { oidOption, textOption } from '../src/engine/units.js';
import { qualifiedName } from '../src/report/format.js';
import type { ActionName } from './names.js';
import { offeredOidRefusal, pinnedObject } from './oid-guard.js';
import {
  collectTable,
  pinTable,
  quotedTable,
  TABLE_PREVIEW_SQL,
  tableRefusal,
  tableReport,
  verifyTable,
} from './pinned-table.js';

interface TableActionSpec {
  name: Extract<ActionName, 'vacuum-table' | 'analyze'>;
  summary: string;
  /** The statement before the table name: `ANALYZE`, `VACUUM (ANALYZE)`. */
  keyword: string;
  statementTimeoutMs: number;
}

/**
 * A maintenance action on one table (VACUUM, ANALYZE): preview the table, pin its identity, re-verify it
 * right before running. The lock wait stays short so it never queues behind a migration. Not destructive: the
 * table keeps its rows and indexes, so Approve needs no "are you sure?".
 */
export function defineTableAction(spec: TableActionSpec) {
  const statement = (params: Record<string, string>) => ({
    text: `${spec.keyword} ${quotedTable(params)}`,
    values: [],
  });
  const refusalOf = (findings: Parameters<typeof tableRefusal>[0], options: { oid?: number | undefined }) =>
    (findings.table
      ? offeredOidRefusal(
          'table',
          qualifiedName(findings.table.schema, findings.table.table),
          options.oid,
          findings.table.oid,
        )
      : null) ?? tableRefusal(findings, spec.name);
  return defineCommand({
    name: spec.name,
    summary: spec.summary,
    kind: 'action',
    options: z.object({
      table: textOption(300, 'The table, schema-qualified if needed (public.orders)'),
      oid: oidOption('The oid the table had in the report (report buttons set it)'),
    }),
    positionals: ['table'],
    sql: { preview: TABLE_PREVIEW_SQL },

    collect: ({ session }, options) => collectTable(session, options.table),

    report(findings, { options }) {
      const refusal = refusalOf(findings, options);
      return tableReport(
        spec.keyword,
        findings,
        refusal,
        findings.table && !refusal ? statement(pinTable(findings.table)).text : null,
      );
    },

    action: {
      destructive: false,
      pin(findings, options) {
        const refusal = refusalOf(findings, options);
        return refusal || !findings.table ? { refusal: refusal ?? 'No table.' } : { params: pinTable(findings.table) };
      },
      statement,
      verify: verifyTable,
      pinnedObject: (params) => pinnedObject('table', params, quotedTable(params)),
      describeResult: (_rows, params) => ({
        status: 'succeeded',
        summary: `${spec.keyword} of ${qualifiedName(params.schema ?? '', params.table ?? '')} finished.`,
      }),
      statementTimeoutMs: spec.statementTimeoutMs,
      lockTimeoutMs: 2_000,
    },
  });
}
