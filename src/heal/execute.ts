import { targetNow } from './target-identity.js';
import type { TargetConfig } from '../config/schema.js';
import {
  GuardRefused,
  LostDuringStatement,
  NotSent,
  runActionStatement,
  type ActionTimeouts,
  type GuardQuery,
} from '../db/action-connection.js';
import { tagSql } from '../db/sql.js';
import { toAppError } from '../db/sqlstate.js';
import { RESOLVE_SQL, swapProblem } from '../../actions/oid-guard.js';
import type { ActionSpec, PinnedObject } from '../engine/command.js';
import { describeError } from '../errors.js';
import { appendAudit, type AuditEntry } from '../state/audit.js';
import { getRequest, type ActionOutcome, type ApprovalRequest, type FinalStatus } from '../state/requests.js';
import { finishRequest } from '../state/request-execution.js';
import { inTransaction } from '../state/transaction.js';
import { findAction } from './actions.js';
import { startHeartbeat, unknownOutcome, type RunningAction } from './limbo.js';
import type { HealingDeps } from './types.js';

export type { ActionTimeouts } from '../db/action-connection.js';

/** The action's own timeouts, unless the target's YAML `healing:` sets its own; or the target's, when the action says so. */
export function actionTimeouts(
  config: TargetConfig,
  spec: ActionTimeouts & { targetTimeouts?: boolean },
): ActionTimeouts {
  if (spec.targetTimeouts)
    return { statementTimeoutMs: config.statementTimeoutMs, lockTimeoutMs: config.lockTimeoutMs };
  return {
    statementTimeoutMs: config.healing?.statementTimeoutMs ?? spec.statementTimeoutMs,
    lockTimeoutMs: config.healing?.lockTimeoutMs ?? spec.lockTimeoutMs,
  };
}

/**
 * Runs one approved statement on the target's action connection (src/db/action-connection.ts), as the action role
 * or, when the action says so (`role: 'monitoring'`), as the monitoring role. When the action
 * names a table or index, the name must still mean the object pinned when it was requested (a drop and re-create
 * swaps it): checked on the same connection immediately before the statement.
 */
export function runOnActionConnection(
  config: TargetConfig,
  command: string,
  timeouts: ActionTimeouts,
  text: string,
  values: readonly string[],
  beforeSend?: (cancel: () => Promise<void>) => boolean,
  pinned?: PinnedObject,
  how: Pick<ActionSpec<unknown, unknown>, 'transaction' | 'role'> = {},
): Promise<Record<string, unknown>[]> {
  return runActionStatement(config, command, timeouts, text, values, {
    ...(beforeSend ? { beforeSend } : {}),
    ...(how.transaction ? { transaction: how.transaction } : {}),
    ...(how.role ? { role: how.role } : {}),
    ...(pinned ? { guard: (query: GuardQuery) => checkPinnedOid(query, command, pinned) } : {}),
  });
}

/**
 * VACUUM and the CONCURRENTLY commands cannot run inside a transaction block, so this check and the statement are
 * two statements, and a swap in between (microseconds) is the window that remains (README).
 */
async function checkPinnedOid(query: GuardQuery, command: string, pinned: PinnedObject): Promise<string | null> {
  const rows = await query(tagSql(`${command}:guard`, RESOLVE_SQL), [pinned.quotedName]);
  return swapProblem(pinned, (rows[0]?.oid as string | null | undefined) ?? null);
}

/**
 * Called only by the copy whose approval moved the request to 'approved' (its executor): beats a heartbeat
 * while it works, re-verifies read-only, runs exactly the stored statement, records the outcome together
 * with its audit row. Every step is audited.
 */
export async function executeApproved(
  deps: HealingDeps,
  request: ApprovalRequest,
  approver: string,
): Promise<ApprovalRequest> {
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

async function verifyAndRun(
  deps: HealingDeps,
  request: ApprovalRequest,
  approver: string,
  running: RunningAction,
): Promise<ApprovalRequest> {
  const { command, spec } = findAction(deps, request.action);
  const base = {
    requestId: request.id,
    actor: approver,
    channel: request.channel,
    target: request.target,
    action: request.action,
    statement: request.statement,
  };
  // Checked again here, not only at the click: a reload between the last approval and the run counts too.
  const target = targetNow(deps, request);
  if ('gone' in target) {
    const problem = `Nothing ran: ${target.gone}.`;
    return finish(deps, request, { ...base, event: 'verification_failed', details: { problem } }, 'target_changed', {
      ok: false,
      summary: problem,
    });
  }

  const problem = await target
    .readOnly(`${command.name}:verify`, (session) => spec.verify(session, request.params))
    .catch((error: unknown) => `The re-check before running failed: ${describeError(error).text} Nothing ran.`);
  if (problem)
    return finish(deps, request, { ...base, event: 'verification_failed', details: { problem } }, 'target_changed', {
      ok: false,
      summary: problem,
    });
  if (running.interrupted) return (await getRequest(deps.statePool, request.id)) ?? request;

  const startedAt = new Date().toISOString();
  await appendAudit(deps.statePool, {
    ...base,
    event: 'execution_started',
    details: { values: request.statementValues, params: request.params, executor: deps.copy.id },
  });
  const timeouts = actionTimeouts(target.config, spec);
  const beforeSend = (cancel: () => Promise<void>) => {
    running.cancel = cancel;
    return !running.interrupted;
  };
  const outcome = await runAndDescribe(target.config, command.name, spec, timeouts, request, startedAt, beforeSend);
  // Interrupted before sending: the stop already recorded and audited it.
  if (outcome.status === 'interrupted') return (await getRequest(deps.statePool, request.id)) ?? request;
  const event: AuditEntry['event'] =
    outcome.status === 'succeeded'
      ? 'executed'
      : outcome.status === 'outcome_unknown'
        ? 'outcome_unknown'
        : outcome.status === 'target_changed'
          ? 'verification_failed'
          : 'execution_failed';
  return finish(
    deps,
    request,
    { ...base, event, details: { ...outcome.outcome, status: outcome.status } },
    outcome.status,
    outcome.outcome,
  );
}

/**
 * The outcome and its audit row in one transaction. When the request was meanwhile closed by someone else
 * (interrupted, or its outcome already final) the audit row still records what really happened.
 */
async function finish(
  deps: HealingDeps,
  request: ApprovalRequest,
  audit: AuditEntry,
  status: FinalStatus,
  outcome: ActionOutcome,
): Promise<ApprovalRequest> {
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
    const rows = await runOnActionConnection(
      config,
      command,
      timeouts,
      request.statement,
      request.statementValues,
      beforeSend,
      spec.pinnedObject?.(request.params),
      spec,
    );
    const result = spec.describeResult(rows, request.params);
    return {
      status: result.status,
      outcome: {
        ok: result.status === 'succeeded',
        summary: result.summary,
        ...(result.detail ? { detail: result.detail } : {}),
        result: rows,
        startedAt,
        finishedAt: new Date().toISOString(),
      },
    };
  } catch (error) {
    if (error instanceof GuardRefused)
      return {
        status: 'target_changed',
        outcome: { ok: false, summary: error.message, startedAt, finishedAt: new Date().toISOString() },
      };
    if (error instanceof NotSent)
      return { status: 'interrupted', outcome: { ok: false, summary: error.message, startedAt } };
    if (error instanceof LostDuringStatement) {
      return {
        status: 'outcome_unknown',
        outcome: {
          ...unknownOutcome(request, `${error.message}, so pgmedic cannot say whether it finished.`),
          startedAt,
        },
      };
    }
    const described = toAppError(error, { target: config.name, command });
    const sqlstate = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : null;
    // toAppError's hint for a permission error speaks of the diagnostics' grants: say whose privilege was missing.
    const why =
      sqlstate === '42501' ? `${described.message} ${permissionHint(spec.role)}` : describeError(described).text;
    const summary = `${request.action} failed: ${why}${spec.failureHint ? ` ${spec.failureHint}` : ''}`;
    return {
      status: 'failed',
      outcome: {
        ok: false,
        summary,
        error: { code: sqlstate, message: error instanceof Error ? error.message : String(error) },
        startedAt,
        finishedAt: new Date().toISOString(),
      },
    };
  }
}

function permissionHint(role: ActionSpec<unknown, unknown>['role']): string {
  return role === 'monitoring'
    ? "It ran as the target's monitoring role (its url, as /pg explain does), which is meant to read only: grant it SELECT on what the statement reads, never more."
    : 'It ran as the action role (the target\'s actionUrl), which lacks that privilege: see the README, "Database roles".';
}
