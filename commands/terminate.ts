import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { pidOption, textOption } from '../src/engine/units.js';
import { BACKEND_START_FORMAT, collectSession, pinSession, SESSION_GUARD, SESSION_PREVIEW_SQL, sessionRefusal, sessionReport, verifySession, type SessionFindings } from '../src/heal/pinned-session.js';

/** pg_terminate_backend with a timeout (14+) waits for the backend to exit and says whether it did. */
const TERMINATE_WAIT_MS = 5000;

const TERMINATE_SQL = `SELECT pg_catalog.pg_terminate_backend(a.pid, ${TERMINATE_WAIT_MS}) AS exited
FROM pg_catalog.pg_stat_activity a
WHERE ${SESSION_GUARD}`;

const statement = (params: Record<string, string>) => ({ text: TERMINATE_SQL, values: [params.pid ?? '', params.backendStart ?? ''] });

export default defineCommand({
  name: 'terminate',
  summary: 'End one session (pg_terminate_backend) after approval, and say whether it exited',
  kind: 'action',
  options: z.object({
    pid: pidOption('pid of the session to end'),
    backendStart: textOption(64, 'backend_start the session must still have (report buttons set it)', BACKEND_START_FORMAT),
  }),
  positionals: ['pid'],
  sql: { preview: SESSION_PREVIEW_SQL, terminate: TERMINATE_SQL },

  collect: ({ session }, options) => collectSession(session, options),

  report(findings: SessionFindings, { options }) {
    const refusal = sessionRefusal(findings, options);
    return sessionReport('Terminate', findings, refusal, refusal ? null : TERMINATE_SQL);
  },

  action: {
    pin(findings, options) {
      const refusal = sessionRefusal(findings, options);
      return refusal || !findings.session ? { refusal: refusal ?? 'No session.' } : { params: pinSession(findings.session) };
    },
    statement,
    verify: (session, params) => verifySession(session, params, false),
    describeResult(rows, params) {
      const row = rows[0];
      if (!row) return { status: 'target_changed', summary: `Session ${params.pid} had ended or changed when the signal was due; nothing was signalled.` };
      return row.exited === true
        ? { status: 'succeeded', summary: `Session ${params.pid} was terminated and has exited.` }
        : { status: 'failed', summary: `Session ${params.pid} was sent the terminate signal but had not exited after ${TERMINATE_WAIT_MS / 1000} s.` };
    },
    statementTimeoutMs: TERMINATE_WAIT_MS + 10_000,
    lockTimeoutMs: 2_000,
  },
});

