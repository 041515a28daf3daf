import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { pidOption, textOption } from '../src/engine/units.js';
import { BACKEND_START_FORMAT, collectSession, pinSession, SESSION_GUARD, SESSION_PREVIEW_SQL, sessionRefusal, sessionReport, verifySession, type SessionFindings, type SessionOptions } from '../src/heal/pinned-session.js';

// query_start is part of the guard too: cancel the query that was approved, never a later one.
const CANCEL_SQL = `SELECT pg_catalog.pg_cancel_backend(a.pid) AS signalled
FROM pg_catalog.pg_stat_activity a
WHERE ${SESSION_GUARD} AND a.query_start = $3::timestamptz AND a.state = 'active'`;

function cancelRefusal(findings: SessionFindings, options: SessionOptions): string | null {
  const refusal = sessionRefusal(findings, options);
  if (refusal || !findings.session) return refusal;
  const { state, pid } = findings.session;
  // Cancelling stops a running query; a session idle (in transaction) runs none, so only terminate helps.
  return state === 'active' ? null : `Session ${pid} is ${state ?? 'not running a query'}: there is no query to cancel. Terminate it instead if it must go.`;
}

export default defineCommand({
  name: 'cancel',
  summary: "Cancel one session's running query (pg_cancel_backend) after approval",
  kind: 'action',
  options: z.object({
    pid: pidOption('pid of the session whose query to cancel'),
    backendStart: textOption(64, 'backend_start the session must still have (report buttons set it)', BACKEND_START_FORMAT),
  }),
  positionals: ['pid'],
  sql: { preview: SESSION_PREVIEW_SQL, cancel: CANCEL_SQL },

  collect: ({ session }, options) => collectSession(session, options),

  report(findings, { options }) {
    const refusal = cancelRefusal(findings, options);
    return sessionReport('Cancel', findings, refusal, refusal ? null : CANCEL_SQL);
  },

  action: {
    pin(findings, options) {
      const refusal = cancelRefusal(findings, options);
      return refusal || !findings.session ? { refusal: refusal ?? 'No session.' } : { params: pinSession(findings.session) };
    },
    statement: (params) => ({ text: CANCEL_SQL, values: [params.pid ?? '', params.backendStart ?? '', params.queryStart ?? ''] }),
    verify: (session, params) => verifySession(session, params, true),
    describeResult(rows, params) {
      if (!rows[0]) return { status: 'target_changed', summary: `Session ${params.pid} had ended or moved on to another query; nothing was cancelled.` };
      return rows[0].signalled === true
        ? { status: 'succeeded', summary: `The running query of session ${params.pid} was sent the cancel signal.` }
        : { status: 'failed', summary: `PostgreSQL could not signal session ${params.pid}.` };
    },
    statementTimeoutMs: 10_000,
    lockTimeoutMs: 2_000,
  },
});
