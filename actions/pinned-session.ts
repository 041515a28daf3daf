import { querySection } from '../src/report/query-text.js';
import { excludeOwnBackends } from '../src/db/sql.js';
import type { Session } from '../src/db/session.js';
import type { ActionParams } from '../src/engine/command.js';
import { formatDuration, plural } from '../src/report/format.js';
import type { Report } from '../src/report/model.js';
import { noSignalReasonSql, noSignalText } from '../src/db/signal-rule.js';

/** The session an action would signal, exactly as the preview saw it. */
export interface SessionPreview {
  pid: number;
  user: string | null;
  application: string | null;
  client: string | null;
  database: string | null;
  state: string | null;
  /** Text with microseconds: the identity guard (a JS Date would drop them). */
  backendStart: string;
  queryStart: string | null;
  sessionSeconds: number | null;
  transactionSeconds: number | null;
  querySeconds: number | null;
  query: string;
  /** Why pgmedic will not signal it (noSignalReasonSql), or null. */
  noSignal: string | null;
  /** Sessions waiting on it, directly or through others (pg_blocking_pids). */
  blocks: number[];
}

export interface SessionFindings {
  requestedPid: number;
  session: SessionPreview | null;
}

/** backend_start as PostgreSQL prints timestamptz (ISO DateStyle), the only form report buttons carry. */
export const BACKEND_START_FORMAT = {
  pattern: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/,
  example: '2026-01-31 12:00:00.123456+00',
};

export interface SessionOptions {
  /** Undefined when none was given. */
  pid?: number | undefined;
  backendStart: string;
}

// pgmedic's own backends are left out, so "not found" also covers "that is pgmedic itself".
export const SESSION_PREVIEW_SQL = `
WITH RECURSIVE waits AS (
  SELECT w.pid, pg_blocking_pids(w.pid) AS blockers
  FROM pg_catalog.pg_stat_activity w
  WHERE w.wait_event_type = 'Lock' AND ${excludeOwnBackends('w')}
), victims(pid) AS (
  SELECT pid FROM waits WHERE $1 = ANY (blockers)
  UNION
  SELECT w.pid FROM waits w JOIN victims v ON v.pid = ANY (w.blockers)
)
SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr, a.datname, a.state, a.backend_type,
       a.backend_start::text AS backend_start, a.query_start::text AS query_start,
       extract(epoch FROM now() - a.backend_start)::float8 AS session_seconds,
       extract(epoch FROM now() - a.xact_start)::float8 AS xact_seconds,
       extract(epoch FROM now() - a.query_start)::float8 AS query_seconds,
       left(a.query, 4000) AS query, ${noSignalReasonSql('a')} AS no_signal,
       ARRAY(SELECT pid FROM victims WHERE pid <> $1 ORDER BY pid) AS blocks
FROM pg_catalog.pg_stat_activity a
WHERE a.pid = $1 AND ${excludeOwnBackends('a')}`;

interface PreviewRow {
  pid: number;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  datname: string | null;
  state: string | null;
  backend_start: string;
  query_start: string | null;
  session_seconds: number | null;
  xact_seconds: number | null;
  query_seconds: number | null;
  query: string | null;
  no_signal: string | null;
  blocks: number[];
}

export async function collectSession(session: Session, options: SessionOptions): Promise<SessionFindings> {
  if (options.pid === undefined) return { requestedPid: 0, session: null };
  const [row] = await session.query<PreviewRow>(SESSION_PREVIEW_SQL, [options.pid]);
  if (!row) return { requestedPid: options.pid, session: null };
  return {
    requestedPid: options.pid,
    session: {
      pid: row.pid,
      user: row.usename,
      application: row.application_name,
      client: row.client_addr,
      database: row.datname,
      state: row.state,
      backendStart: row.backend_start,
      queryStart: row.query_start,
      sessionSeconds: row.session_seconds,
      transactionSeconds: row.xact_seconds,
      querySeconds: row.query_seconds,
      query: row.query ?? '',
      noSignal: row.no_signal,
      blocks: row.blocks,
    },
  };
}

/** Why this session must not be signalled, or null. */
export function sessionRefusal(findings: SessionFindings, options: SessionOptions): string | null {
  const s = findings.session;
  if (!findings.requestedPid) return 'Name a session by its pid, for example `terminate 4242`.';
  if (!s) return `There is no client session with pid ${findings.requestedPid} (it ended, or it is pgmedic's own).`;
  if (s.noSignal) return `Session ${s.pid} (${s.user ?? '?'}) is a ${noSignalText(s.noSignal)}.`;
  if (options.backendStart && options.backendStart !== s.backendStart) {
    return `pid ${s.pid} is now a different session (started ${s.backendStart}); the one in the report (started ${options.backendStart}) has ended.`;
  }
  return null;
}

export function pinSession(s: SessionPreview): ActionParams {
  return {
    pid: String(s.pid),
    backendStart: s.backendStart,
    queryStart: s.queryStart ?? '',
    user: s.user ?? '',
    application: s.application ?? '',
    client: s.client ?? '',
    database: s.database ?? '',
  };
}

/** The identity guard shared by the signal statements and the verification. */
export const SESSION_GUARD = `a.pid = $1 AND a.backend_start = $2::timestamptz AND ${noSignalReasonSql('a')} IS NULL`;

const VERIFY_SQL = `
SELECT a.backend_start::text AS backend_start, (a.backend_start = $2::timestamptz) AS same, a.query_start::text AS query_start,
       ${noSignalReasonSql('a')} AS no_signal
FROM pg_catalog.pg_stat_activity a
WHERE a.pid = $1 AND ${excludeOwnBackends('a')}`;

/** Same pid AND same backend_start (and for cancel the same query_start), still a signallable client session. */
export async function verifySession(
  session: Session,
  params: ActionParams,
  sameQuery: boolean,
): Promise<string | null> {
  const [row] = await session.query<{
    backend_start: string;
    same: boolean;
    query_start: string | null;
    no_signal: string | null;
  }>(VERIFY_SQL, [Number(params.pid), params.backendStart]);
  const nothing = 'Nothing was signalled.';
  if (!row) return `Session ${params.pid} has ended since the request. ${nothing}`;
  if (!row.same)
    return `pid ${params.pid} now belongs to a different session (started ${row.backend_start}); the approved one (started ${params.backendStart}) has ended. ${nothing}`;
  if (row.no_signal) return `Session ${params.pid} is a ${noSignalText(row.no_signal)}. ${nothing}`;
  if (sameQuery && (row.query_start ?? '') !== params.queryStart)
    return `Session ${params.pid} has moved on to another query since the request. ${nothing}`;
  return null;
}

/** The read-only preview as a Report: what exactly will happen to which session. */
export function sessionReport(
  verb: 'Terminate' | 'Cancel',
  findings: SessionFindings,
  refusal: string | null,
  statement: string | null,
): Report {
  const s = findings.session;
  if (!s || refusal) {
    return {
      title: `${verb} session`,
      status: 'ok',
      summary: refusal ?? 'Nothing to do.',
      sections: [],
      actions: [],
      footnotes: [],
    };
  }
  const age = s.state === 'active' ? s.querySeconds : s.transactionSeconds;
  const blocking = s.blocks.length ? `, blocking ${plural(s.blocks.length, 'session')} (${s.blocks.join(', ')})` : '';
  return {
    title: `${verb} session ${s.pid}`,
    status: s.blocks.length ? 'warn' : 'ok',
    summary: `${verb} session ${s.pid} (${s.user ?? '?'}, ${s.application || 'no application'}${s.client ? `, ${s.client}` : ''}), ${s.state ?? 'unknown state'}${age !== null ? ` for ${formatDuration(age)}` : ''}${blocking}.`,
    sections: [
      {
        kind: 'facts',
        facts: [
          { label: 'pid', value: String(s.pid) },
          { label: 'User', value: s.user ?? '?' },
          { label: 'Application', value: s.application || '(none)' },
          { label: 'Client', value: s.client ?? 'local socket' },
          { label: 'Database', value: s.database ?? '?' },
          { label: 'Backend start', value: s.backendStart },
          { label: 'State', value: s.state ?? '?' },
          { label: 'Session age', value: s.sessionSeconds === null ? '?' : formatDuration(s.sessionSeconds) },
          { label: 'Blocks', value: s.blocks.length ? s.blocks.join(', ') : 'nobody' },
        ],
      },
      querySection('Its current or last query', s.query, 1000),
      ...(statement ? [{ kind: 'code' as const, title: 'What will run after approval', text: statement }] : []),
    ],
    actions: [],
    footnotes: [
      'The signal is sent only if pid AND backend_start still match when it runs: a reused pid is never hit.',
    ],
  };
}
