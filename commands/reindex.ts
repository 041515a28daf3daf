import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { qualifiedName } from '../src/report/format.js';
import { collectIndex, INDEX_PREVIEW_SQL, indexRefusal, indexReport, pinIndex, quotedIndex, verifyIndex } from '../src/heal/pinned-index.js';

// CONCURRENTLY builds the new index beside the old one, so writes keep flowing during the rebuild.
const reindexStatement = (params: Record<string, string>) => ({ text: `REINDEX INDEX CONCURRENTLY ${quotedIndex(params)}`, values: [] });

export default defineCommand({
  name: 'reindex',
  summary: 'Rebuild one invalid or bloated index with REINDEX INDEX CONCURRENTLY after approval',
  kind: 'action',
  options: z.object({
    index: z.string().default('').describe('The index, schema-qualified if needed (public.orders_customer_idx)'),
  }),
  positionals: ['index'],
  sql: { preview: INDEX_PREVIEW_SQL },

  collect: ({ session }, options) => collectIndex(session, options.index),

  report(findings) {
    const refusal = indexRefusal(findings, 'reindex');
    return indexReport('REINDEX', findings, refusal, findings.index && !refusal ? reindexStatement(pinIndex(findings.index)).text : null);
  },

  action: {
    pin(findings) {
      const refusal = indexRefusal(findings, 'reindex');
      return refusal || !findings.index ? { refusal: refusal ?? 'No index.' } : { params: pinIndex(findings.index) };
    },
    statement: reindexStatement,
    verify: (session, params) => verifyIndex(session, params, 'reindex'),
    describeResult: (_rows, params) => ({ status: 'succeeded', summary: `Index ${qualifiedName(params.schema ?? '', params.index ?? '')} was rebuilt concurrently.` }),
    statementTimeoutMs: 3 * 60 * 60 * 1000,
    lockTimeoutMs: 2_000,
    failureHint: 'A failed REINDEX CONCURRENTLY can leave an invalid index whose name ends in _ccnew; drop it with DROP INDEX CONCURRENTLY before trying again.',
  },
});
