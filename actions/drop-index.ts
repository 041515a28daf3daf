import { defineIndexAction } from './index-action.js';

export default defineIndexAction({
  name: 'drop-index',
  summary: 'Drop one unused or duplicate index with DROP INDEX CONCURRENTLY after approval (its definition is kept)',
  // CONCURRENTLY waits for queries using the index instead of blocking the table's readers and writers.
  keyword: 'DROP INDEX CONCURRENTLY',
  title: 'DROP INDEX',
  done: (name, params) => `Index ${name} was dropped. To recreate it: ${params.definition};`,
  statementTimeoutMs: 60 * 60 * 1000,
  failureHint:
    'A failed DROP INDEX CONCURRENTLY can leave the index marked invalid; it still costs writes, so run the drop again.',
});
