import { defineTableAction } from './table-action.js';

/** Named vacuum-table because `vacuum` is the autovacuum-health diagnostic. */
export default defineTableAction({
  name: 'vacuum-table',
  summary: 'VACUUM (ANALYZE) one table after approval (never FULL)',
  // Never FULL: VACUUM FULL rewrites the table under ACCESS EXCLUSIVE for its whole run.
  keyword: 'VACUUM (ANALYZE)',
  // A big table can take a long time.
  statementTimeoutMs: 3 * 60 * 60 * 1000,
});
