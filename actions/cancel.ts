import { SESSION_GUARD } from './pinned-session.js';
import { defineSessionAction } from './session-action.js';

// query_start is part of the guard too: cancel the query that was approved, never a later one.
const CANCEL_SQL = `SELECT pg_catalog.pg_cancel_backend(a.pid) AS signalled
FROM pg_catalog.pg_stat_activity a
WHERE ${SESSION_GUARD} AND a.query_start = $3::timestamptz AND a.state = 'active'`;

export default defineSessionAction({
  name: 'cancel',
  summary: "Cancel one session's running query (pg_cancel_backend) after approval",
  verb: 'Cancel',
  pidHelp: 'pid of the session whose query to cancel',
  sql: CANCEL_SQL,
  values: (params) => [params.pid ?? '', params.backendStart ?? '', params.queryStart ?? ''],
  // Cancelling stops a running query; a session idle (in transaction) runs none, so only terminate helps.
  refusal: ({ state, pid }) =>
    state === 'active'
      ? null
      : `Session ${pid} is ${state ?? 'not running a query'}: there is no query to cancel. Terminate it instead if it must go.`,
  sameQuery: true,
  describeResult(rows, params) {
    if (!rows[0])
      return {
        status: 'target_changed',
        summary: `Session ${params.pid} had ended or moved on to another query; nothing was cancelled.`,
      };
    return rows[0].signalled === true
      ? { status: 'succeeded', summary: `The running query of session ${params.pid} was sent the cancel signal.` }
      : { status: 'failed', summary: `PostgreSQL could not signal session ${params.pid}.` };
  },
  statementTimeoutMs: 10_000,
});
