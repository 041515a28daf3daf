import { defineTableAction } from './table-action.js';

export default defineTableAction({
  name: 'analyze',
  summary: "ANALYZE one table after approval (refreshes the planner's statistics)",
  keyword: 'ANALYZE',
  statementTimeoutMs: 60 * 60 * 1000,
});
