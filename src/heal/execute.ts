import { Socket } from 'node:net';
import pg from 'pg';
import type { TargetConfig } from '../config/schema.js';
import { PGMEDIC_APPLICATION_NAME, tagSql } from '../db/sql.js';
import { toAppError } from '../db/sqlstate.js';
import { RESOLVE_SQL, swapProblem } from '../../actions/oid-guard.js';
import type { ActionSpec, PinnedObject } from '../engine/command.js';
import { describeError } from '../errors.js';
import { appendAudit, type AuditEntry } from '../state/audit.js';
import { finishRequest, getRequest, type ActionOutcome, type ApprovalRequest, type FinalStatus } from '../state/requests.js';
import { inTransaction } from '../state/transaction.js';
import { findAction } from './actions.js';
import { startHeartbeat, unknownOutcome, type RunningAction } from './limbo.js';
import type { HealingDeps } from './types.js';

/** The name now means another object (or none): refused on the action connection before the statement. */
class TargetChanged extends Error {}

/** application_name of the action connection: it starts with "pgmedic", so our own reports and guards skip it. */
export const ACTION_APPLICATION_NAME = `${PGMEDIC_APPLICATION_NAME}-action`;

/** The client gives up this long after the server's statement_timeout should have fired (a hung network or server). */
export const ACTION_DEADLINE_MARGIN_MS = 30_000;

/** statement_timeout plus the margin, never more than twice the timeout (short actions give up sooner). */
export const actionDeadlineMs = (statementTimeoutMs: number): number => statementTimeoutMs + Math.min(ACTION_DEADLINE_MARGIN_MS, statementTimeoutMs);

export type ActionTimeouts = Pick<ActionSpec<unknown, unknown>, 'statementTimeoutMs' | 'lockTimeoutMs'>;

/** The action's own timeouts, unless the target's YAML `healing:` sets its own. */
export function actionTimeouts(config: TargetConfig, spec: ActionTimeouts): ActionTimeouts {
  return { statementTimeoutMs: config.healing?.statementTimeoutMs ?? spec.statementTimeoutMs, lockTimeoutMs: config.healing?.lockTimeoutMs ?? spec.lockTimeoutMs };
}

/** The connection broke or the client deadline passed while the statement was out: it may or may not have run. */
export class LostDuringStatement extends Error {
  constructor(cause: unknown) {
    super(`the action connection was lost while the statement ran (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}

/** The stop came between the re-check and the statement: nothing was sent. */
export class NotSent extends Error {}

/**
 * Runs one approved statement on the target's action connection (actionUrl, else url): a fresh connection with
 * TCP keepalive and session-level timeouts, the statement sent alone in autocommit (VACUUM and the CONCURRENTLY
 * commands refuse to run inside a transaction block), and a client-side deadline past its statement_timeout.
 * Just before sending, `beforeSend` receives a way to cancel the statement (pg_cancel_backend from a second
 * connection) and may still say no.
 */
export async function runOnActionConnection(config: TargetConfig, command: string, timeouts: ActionTimeouts, text: string, values: readonly string[], beforeSend?: (cancel: () => Promise<void>) => boolean, pinned?: PinnedObject): Promise<Record<string, unknown>[]> {
  const url = config.actionUrl ?? config.url;
  // Our own socket, so a connection whose peer stopped answering can be dropped at once (a graceful end waits for it).
  const socket = new Socket();
  const client = new pg.Client({ connectionString: url, application_name: ACTION_APPLICATION_NAME, connectionTimeoutMillis: config.connectTimeoutMs, keepAlive: true, keepAliveInitialDelayMillis: 10_000, stream: () => socket });
  client.on('error', () => undefined);
  let lost = false;
  await client.connect();
  try {
    const setup = "SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false)";
    await client.query({ text: setup, values: [`${timeouts.statementTimeoutMs}ms`, `${timeouts.lockTimeoutMs}ms`], ...{ query_timeout: config.connectTimeoutMs } });
    // The name must still mean the object pinned when the action was requested (a drop and re-create swaps it).
    const changed = pinned ? await checkPinnedOid(client, command, pinned) : null;
    if (changed) throw new TargetChanged(changed);
    const backendPid = (client as unknown as { processID: number | null }).processID;
    if (beforeSend && !beforeSend(() => (backendPid ? cancelBackend(config, backendPid) : Promise.resolve()))) throw new NotSent('stopped before the statement was sent');
    // No bind values → simple protocol: exactly one statement, no implicit extended-protocol transaction.
    // query_timeout is pg's per-query client deadline (its typings leave it out of QueryConfig).
    const statement: pg.QueryConfig = { text: tagSql(command, text), ...(values.length ? { values: [...values] } : {}), ...{ query_timeout: actionDeadlineMs(timeouts.statementTimeoutMs) } };
    const result = await client.query(statement).catch((error: unknown) => {
      // Only the server's own error says the statement ended; anything else (socket, client deadline) leaves it open.
      if (error instanceof pg.DatabaseError) throw error;
      lost = true;
      throw new LostDuringStatement(error);
    });
    return result.rows as Record<string, unknown>[];
  } finally {
    // A graceful end waits for the server's goodbye, which a lost or hung peer never sends.
    if (!lost) await Promise.race([client.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, GOODBYE_WAIT_MS).unref())]);
    socket.destroy();
  }
}

/**
 * Run on the action connection immediately before the statement, in the same session: VACUUM and the
 * CONCURRENTLY commands cannot run inside a transaction block, so this check and the statement are two
 * statements, and a swap in between (microseconds) is the window that remains (README).
 */
async function checkPinnedOid(client: pg.Client, command: string, pinned: PinnedObject): Promise<string | null> {
  const { rows } = await client.query<{ oid: string | null }>(tagSql(`${command}:guard`, RESOLVE_SQL), [pinned.quotedName]);
  return swapProblem(pinned, rows[0]?.oid ?? null);
}

/** How long closing the action connection may wait for the server's side of the goodbye. */
const GOODBYE_WAIT_MS = 2_000;

async function cancelBackend(config: TargetConfig, pid: number): Promise<void> {
  const canceller = new pg.Client({ connectionString: config.actionUrl ?? config.url, application_name: ACTION_APPLICATION_NAME, connectionTimeoutMillis: config.connectTimeoutMs });
  canceller.on('error', () => undefined);
  await canceller.connect();
  try {
    await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
  } finally {
    await canceller.end().catch(() => undefined);
  }
}

/**
 * Called only by the copy whose approval moved the request to 'approved' (its executor): beats a heartbeat
 * while it works, re-verifies read-only, runs exactly the stored statement, records the outcome together
 * with its audit row. Every step is audited.
 */
export async function executeApproved(deps: HealingDeps, request: ApprovalRequest, approver: string): Promise<ApprovalRequest> {
  const running: RunningAction = { request };
  deps.copy.running.set(request.id, running);
  const stopBeating = startHeartbeat(deps, request.id);
  try {
    return await verifyAndRun(deps, request, approver, running);
  } finally {
    stopBeating();
    deps.copy.running.delete(request.id);
  }
}

async function verifyAndRun(deps: HealingDeps, request: ApprovalRequest, approver: string, running: RunningAction): Promise<ApprovalRequest> {
  const { command, spec } = findAction(deps, request.action);
  const target = deps.targets.get(request.target);
  const base = { requestId: request.id, actor: approver, channel: request.channel, target: request.target, action: request.action, statement: request.statement };

  const problem = await target.readOnly(`${command.name}:verify`, (session) => spec.verify(session, request.params)).catch((error: unknown) => `The re-check before running failed: ${describeError(error).text} Nothing ran.`);
  if (problem) return finish(deps, request, { ...base, event: 'verification_failed', details: { problem } }, 'target_changed', { ok: false, summary: problem });
  if (running.interrupted) return (await getRequest(deps.statePool, request.id)) ?? request;

  const startedAt = new Date().toISOString();
  await appendAudit(deps.statePool, { ...base, event: 'execution_started', details: { values: request.statementValues, params: request.params, executor: deps.copy.id } });
  const timeouts = actionTimeouts(target.config, spec);
  const beforeSend = (cancel: () => Promise<void>) => {
    running.cancel = cancel;
    return !running.interrupted;
  };
  const outcome = await runAndDescribe(target.config, command.name, spec, timeouts, request, startedAt, beforeSend);
  // Interrupted before sending: the stop already recorded and audited it.
  if (outcome.status === 'interrupted') return (await getRequest(deps.statePool, request.id)) ?? request;
  const event: AuditEntry['event'] =
    outcome.status === 'succeeded' ? 'executed' : outcome.status === 'outcome_unknown' ? 'outcome_unknown' : outcome.status === 'target_changed' ? 'verification_failed' : 'execution_failed';
  return finish(deps, request, { ...base, event, details: { ...outcome.outcome, status: outcome.status } }, outcome.status, outcome.outcome);
}

/**
 * The outcome and its audit row in one transaction. When the request was meanwhile closed by someone else
 * (interrupted, or its outcome already final) the audit row still records what really happened.
 */
async function finish(deps: HealingDeps, request: ApprovalRequest, audit: AuditEntry, status: FinalStatus, outcome: ActionOutcome): Promise<ApprovalRequest> {
  const finished = await inTransaction(deps.statePool, async (db) => {
    await appendAudit(db, audit);
    return finishRequest(db, request.id, deps.copy.id, status, outcome);
  });
  return finished ?? (await getRequest(deps.statePool, request.id)) ?? request;
}

async function runAndDescribe(
  config: TargetConfig,
  command: string,
  spec: ActionSpec<unknown, unknown>,
  timeouts: ActionTimeouts,
  request: ApprovalRequest,
  startedAt: string,
  beforeSend: (cancel: () => Promise<void>) => boolean,
): Promise<{ status: FinalStatus; outcome: ActionOutcome }> {
  try {
    const rows = await runOnActionConnection(config, command, timeouts, request.statement, request.statementValues, beforeSend, spec.pinnedObject?.(request.params));
    const result = spec.describeResult(rows, request.params);
    return { status: result.status, outcome: { ok: result.status === 'succeeded', summary: result.summary, result: rows, startedAt, finishedAt: new Date().toISOString() } };
  } catch (error) {
    if (error instanceof TargetChanged) return { status: 'target_changed', outcome: { ok: false, summary: error.message, startedAt, finishedAt: new Date().toISOString() } };
    if (error instanceof NotSent) return { status: 'interrupted', outcome: { ok: false, summary: error.message, startedAt } };
    if (error instanceof LostDuringStatement) {
      return { status: 'outcome_unknown', outcome: { ...unknownOutcome(request, `${error.message}, so pgmedic cannot say whether it finished.`), startedAt } };
    }
    const described = toAppError(error, { target: config.name, command });
    const sqlstate = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : null;
    const summary = `${request.action} failed: ${describeError(described).text}${spec.failureHint ? ` ${spec.failureHint}` : ''}`;
    return { status: 'failed', outcome: { ok: false, summary, error: { code: sqlstate, message: error instanceof Error ? error.message : String(error) }, startedAt, finishedAt: new Date().toISOString() } };
  }
}
