import pg from 'pg';
import type { TargetConfig } from '../config/schema.js';
import { PGMEDIC_APPLICATION_NAME, tagSql } from '../db/sql.js';
import { toAppError } from '../db/sqlstate.js';
import type { ActionSpec } from '../engine/command.js';
import { describeError } from '../errors.js';
import { appendAudit } from '../state/audit.js';
import { finishRequest, type ActionOutcome, type ApprovalRequest } from '../state/requests.js';
import { findAction } from './actions.js';
import { checkPinnedOid, type PinnedObject } from './oid-guard.js';
import type { HealingDeps } from './types.js';

/** The name now means another object (or none): refused on the action connection before the statement. */
class TargetChanged extends Error {}

/** application_name of the action connection: it starts with "pgmedic", so our own reports and guards skip it. */
export const ACTION_APPLICATION_NAME = `${PGMEDIC_APPLICATION_NAME}-action`;

/**
 * Runs one approved statement on the target's action connection (actionUrl, else url): a fresh
 * connection with session-level timeouts, the statement sent alone in autocommit (VACUUM and the
 * CONCURRENTLY commands refuse to run inside a transaction block).
 */
export async function runOnActionConnection(
  config: TargetConfig,
  command: string,
  spec: Pick<ActionSpec<unknown, unknown>, 'statementTimeoutMs' | 'lockTimeoutMs'>,
  text: string,
  values: readonly string[],
  pinned?: PinnedObject,
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: config.actionUrl ?? config.url, application_name: ACTION_APPLICATION_NAME, connectionTimeoutMillis: config.connectTimeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query("SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false)", [`${spec.statementTimeoutMs}ms`, `${spec.lockTimeoutMs}ms`]);
    const changed = pinned ? await checkPinnedOid(client, command, pinned) : null;
    if (changed) throw new TargetChanged(changed);
    // No bind values → simple protocol: exactly one statement, no implicit extended-protocol transaction.
    const result = values.length ? await client.query(tagSql(command, text), [...values]) : await client.query(tagSql(command, text));
    return result.rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Called only by the copy whose approval moved the request to 'approved': re-verifies read-only, runs
 * exactly the stored statement, records the outcome. Every step is audited.
 */
export async function executeApproved(deps: HealingDeps, request: ApprovalRequest, approver: string): Promise<ApprovalRequest> {
  const { command, spec } = findAction(deps, request.action);
  const target = deps.targets.get(request.target);
  const base = { requestId: request.id, actor: approver, channel: request.channel, target: request.target, action: request.action, statement: request.statement };

  const problem = await target.readOnly(`${command.name}:verify`, (session) => spec.verify(session, request.params)).catch((error: unknown) => `The re-check before running failed: ${describeError(error).text} Nothing ran.`);
  if (problem) {
    await appendAudit(deps.statePool, { ...base, event: 'verification_failed', details: { problem } });
    return finishRequest(deps.statePool, request.id, 'target_changed', { ok: false, summary: problem });
  }

  const startedAt = new Date().toISOString();
  await appendAudit(deps.statePool, { ...base, event: 'execution_started', details: { values: request.statementValues, params: request.params } });
  const outcome = await runAndDescribe(target.config, command.name, spec, request, startedAt);
  const event = outcome.status === 'succeeded' ? 'executed' : outcome.guarded ? 'verification_failed' : 'execution_failed';
  await appendAudit(deps.statePool, { ...base, event, details: { ...outcome.outcome, status: outcome.status } });
  return finishRequest(deps.statePool, request.id, outcome.status, outcome.outcome);
}

async function runAndDescribe(
  config: TargetConfig,
  command: string,
  spec: ActionSpec<unknown, unknown>,
  request: ApprovalRequest,
  startedAt: string,
): Promise<{ status: 'succeeded' | 'failed' | 'target_changed'; outcome: ActionOutcome; guarded?: boolean }> {
  try {
    const rows = await runOnActionConnection(config, command, spec, request.statement, request.statementValues, spec.pinnedObject?.(request.params));
    const result = spec.describeResult(rows, request.params);
    return { status: result.status, outcome: { ok: result.status === 'succeeded', summary: result.summary, result: rows, startedAt, finishedAt: new Date().toISOString() } };
  } catch (error) {
    if (error instanceof TargetChanged) return { status: 'target_changed', guarded: true, outcome: { ok: false, summary: error.message, startedAt, finishedAt: new Date().toISOString() } };
    const described = toAppError(error, { target: config.name, command });
    const sqlstate = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : null;
    const summary = `${request.action} failed: ${describeError(described).text}${spec.failureHint ? ` ${spec.failureHint}` : ''}`;
    return { status: 'failed', outcome: { ok: false, summary, error: { code: sqlstate, message: error instanceof Error ? error.message : String(error) }, startedAt, finishedAt: new Date().toISOString() } };
  }
}
