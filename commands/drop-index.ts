import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { qualifiedName } from '../src/report/format.js';
import { collectIndex, INDEX_PREVIEW_SQL, indexRefusal, indexReport, pinIndex, quotedIndex, verifyIndex } from '../src/heal/pinned-index.js';

// CONCURRENTLY waits for queries using the index instead of blocking the table's readers and writers.
const dropStatement = (params: Record<string, string>) => ({ text: `DROP INDEX CONCURRENTLY ${quotedIndex(params)}`, values: [] });

export default defineCommand({
  name: 'drop-index',
  summary: 'Drop one unused or duplicate index with DROP INDEX CONCURRENTLY after approval (its definition is kept)',
  kind: 'action',
  options: z.object({
    index: z.string().default('').describe('The index, schema-qualified if needed (public.orders_customer_idx)'),
  }),
  positionals: ['index'],
  sql: { preview: INDEX_PREVIEW_SQL },

  collect: ({ session }, options) => collectIndex(session, options.index),

  report(findings) {
    const refusal = indexRefusal(findings, 'drop-index');
    return indexReport('DROP INDEX', findings, refusal, findings.index && !refusal ? dropStatement(pinIndex(findings.index)).text : null);
  },

  action: {
    pin(findings) {
      const refusal = indexRefusal(findings, 'drop-index');
      return refusal || !findings.index ? { refusal: refusal ?? 'No index.' } : { params: pinIndex(findings.index) };
    },
    statement: dropStatement,
    verify: (session, params) => verifyIndex(session, params, 'drop-index'),
    describeResult: (_rows, params) => ({ status: 'succeeded', summary: `Index ${qualifiedName(params.schema ?? '', params.index ?? '')} was dropped. To recreate it: ${params.definition};` }),
    statementTimeoutMs: 60 * 60 * 1000,
    lockTimeoutMs: 2_000,
    failureHint: 'A failed DROP INDEX CONCURRENTLY can leave the index marked invalid; it still costs writes, so run the drop again.',
  },
});
