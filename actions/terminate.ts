import { SESSION_GUARD } from './pinned-session.js';
import { defineSessionAction } from './session-action.js';

/** pg_terminate_backend with a timeout (14+) waits for the backend to exit and says whether it did. */
const TERMINATE_WAIT_MS = 5000;

const TERMINATE_SQL = `SELECT pg_catalog.pg_terminate_backend(a.pid, ${TERMINATE_WAIT_MS}) AS exited
FROM pg_catalog.pg_stat_activity a
WHERE ${SESSION_GUARD}`;

export default defineSessionAction({
  name: 'terminate',
  summary: 'End one session (pg_terminate_backend) after approval, and say whether it exited',
  verb: 'Terminate',
  pidHelp: 'pid of the session to end',
  sql: TERMINATE_SQL,
  values: (params) => [params.pid ?? '', params.backendStart ?? ''],
  sameQuery: false,
  describeResult(rows, params) {
    const row = rows[0];
    if (!row)
      return {
        status: 'target_changed',
        summary: `Session ${params.pid} had ended or changed when the signal was due; nothing was signalled.`,
      };
    return row.exited === true
      ? { status: 'succeeded', summary: `Session ${params.pid} was terminated and has exited.` }
      : {
          status: 'failed',
          summary: `Session ${params.pid} was sent the terminate signal but had not exited after ${TERMINATE_WAIT_MS / 1000} s.`,
        };
  },
  statementTimeoutMs: TERMINATE_WAIT_MS + 10_000,
});
