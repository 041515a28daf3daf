import { z } from 'zod';
import { defineCommand, type ActionParams, type ActionResult } from '../src/engine/command.js';
import { pidOption, textOption } from '../src/engine/units.js';
import type { ActionName } from './names.js';
import {
  BACKEND_START_FORMAT,
  collectSession,
  pinSession,
  SESSION_PREVIEW_SQL,
  sessionRefusal,
  sessionReport,
  verifySession,
  type SessionFindings,
  type SessionOptions,
} from './pinned-session.js';

interface SessionActionSpec {
  name: Extract<ActionName, 'cancel' | 'terminate'>;
  summary: string;
  verb: 'Cancel' | 'Terminate';
  pidHelp: string;
  /** The signal statement: guarded by SESSION_GUARD, so a reused pid or a changed session is never hit. */
  sql: string;
  /** Its bind values from the pinned params. */
  values(params: ActionParams): string[];
  /** Refusals beyond sessionRefusal (cancel: nothing is running). */
  refusal?(session: NonNullable<SessionFindings['session']>): string | null;
  /** Cancel re-checks the query too: it must be the query that was approved, never a later one. */
  sameQuery: boolean;
  describeResult(rows: Record<string, unknown>[], params: ActionParams): ActionResult;
  statementTimeoutMs: number;
}

/**
 * A signal to one session (pg_cancel_backend, pg_terminate_backend): preview the session, pin pid and
 * backend_start, re-verify both right before sending. Both end something someone was running, so both are
 * destructive (Approve asks "are you sure?").
 */
export function defineSessionAction(spec: SessionActionSpec) {
  const refusalOf = (findings: SessionFindings, options: SessionOptions) => {
    const refusal = sessionRefusal(findings, options);
    return refusal || !findings.session || !spec.refusal ? refusal : spec.refusal(findings.session);
  };
  return defineCommand({
    name: spec.name,
    summary: spec.summary,
    kind: 'action',
    options: z.object({
      pid: pidOption(spec.pidHelp),
      backendStart: textOption(
        64,
        'backend_start the session must still have (report buttons set it)',
        BACKEND_START_FORMAT,
      ),
    }),
    positionals: ['pid'],
    sql: { preview: SESSION_PREVIEW_SQL, [spec.name]: spec.sql },

    collect: ({ session }, options) => collectSession(session, options),

    report(findings, { options }) {
      const refusal = refusalOf(findings, options);
      return sessionReport(spec.verb, findings, refusal, refusal ? null : spec.sql);
    },

    action: {
      destructive: true,
      pin(findings, options) {
        const refusal = refusalOf(findings, options);
        return refusal || !findings.session
          ? { refusal: refusal ?? 'No session.' }
          : { params: pinSession(findings.session) };
      },
      statement: (params) => ({ text: spec.sql, values: spec.values(params) }),
      verify: (session, params) => verifySession(session, params, spec.sameQuery),
      describeResult: spec.describeResult,
      statementTimeoutMs: spec.statementTimeoutMs,
      lockTimeoutMs: 2_000,
    },
  });
}
