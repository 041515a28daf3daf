import { defineIndexAction } from './index-action.js';

export default defineIndexAction({
  name: 'reindex',
  summary: 'Rebuild one invalid or bloated index with REINDEX INDEX CONCURRENTLY after approval',
  // CONCURRENTLY builds the new index beside the old one, so writes keep flowing during the rebuild.
  keyword: 'REINDEX INDEX CONCURRENTLY',
  title: 'REINDEX',
  done: (name) => `Index ${name} was rebuilt concurrently.`,
  statementTimeoutMs: 3 * 60 * 60 * 1000,
  failureHint:
    'A failed REINDEX CONCURRENTLY can leave an invalid index whose name ends in _ccnew; drop it with DROP INDEX CONCURRENTLY before trying again.',
});
