import { appendAudit, type AuditEntry } from '../state/audit.js';
import {
  closeUnrunnable,
  decide,
  dueRequestIds,
  getRequest,
  recordApproval,
  type ApprovalRequest,
} from '../state/requests.js';
import { inTransaction } from '../state/transaction.js';
import { executeApproved } from './execute.js';
import { checkApprover } from './policy.js';
import { targetNow } from './target-identity.js';
import { refusalText, refuse, type Refusal } from './refusals.js';
import type { HealingDeps, HealingResult, NoticeKind } from './types.js';

export interface DecisionInput {
  /** The opaque id from the button value. */
  requestId: string;
  /** Slack user id of whoever clicked. */
  userId: string;
  channel?: string | null;
  /** Called once the request is approved and about to run (the card shows "running" meanwhile). */
  onRunning?: (request: ApprovalRequest) => Promise<unknown>;
}

const clock = (deps: HealingDeps) => deps.now?.() ?? null;

/**
 * An approver's click. Checks (each refusal audited): still pending, not expired, healing on, not the
 * requester, not counted already, an approver right now. Then one compare-and-set; the click that
 * completes the approvals executes, every other concurrent click is refused as already decided.
 */
export async function approve(deps: HealingDeps, input: DecisionInput): Promise<HealingResult> {
  const request = await getRequest(deps.statePool, input.requestId);
  const attempt = { request: request ?? null, actor: input.userId, channel: input.channel ?? null };
  if (!request) return refuse(deps, attempt, { reason: 'unknown_request', detail: input.requestId });
  const refusal = (await closedOrExpired(deps, request)) ?? (await approvalRefusal(deps, request, input.userId));
  if (refusal?.reason === 'target_gone') return refuseTargetGone(deps, { ...attempt, request }, refusal);
  if (refusal)
    return refuse(deps, { ...attempt, request: (await getRequest(deps.statePool, request.id)) ?? request }, refusal);

  // The compare-and-set and its audit row commit together: no approval without its record, and no record of one that lost.
  const updated = await inTransaction(deps.statePool, async (db) => {
    const changed = await recordApproval(
      db,
      request.id,
      input.userId,
      deps.policy.allowSelfApproval,
      clock(deps),
      deps.copy.id,
    );
    if (changed) await appendAudit(db, approvalAudit(changed, input));
    return changed;
  });
  if (!updated)
    return refuse(
      deps,
      { ...attempt, request: (await getRequest(deps.statePool, request.id)) ?? request },
      await lostRace(deps, request.id, input.userId),
    );

  if (updated.status === 'pending') {
    const remaining = updated.approvalsRequired - updated.approvers.length;
    return {
      request: updated,
      cardChanged: true,
      notice: { kind: 'approval_recorded', text: `Approval counted; ${remaining} more needed.` },
    };
  }
  await input.onRunning?.(updated).catch(() => undefined);
  const finished = await executeApproved(deps, updated, input.userId);
  return {
    request: finished,
    cardChanged: true,
    notice: { kind: finished.status as NoticeKind, text: finished.outcome?.summary ?? finished.status },
  };
}

function approvalAudit(updated: ApprovalRequest, input: DecisionInput): AuditEntry {
  const base = {
    requestId: updated.id,
    actor: input.userId,
    channel: input.channel ?? updated.channel,
    target: updated.target,
    action: updated.action,
    statement: updated.statement,
  };
  return updated.status === 'pending'
    ? {
        ...base,
        event: 'approval',
        details: { approvers: updated.approvers, approvalsRequired: updated.approvalsRequired },
      }
    : { ...base, event: 'approved', details: { approvers: updated.approvers, executor: updated.executor } };
}

/** A requester withdrawing, or an approver turning it down. */
export async function reject(deps: HealingDeps, input: DecisionInput & { note?: string }): Promise<HealingResult> {
  const request = await getRequest(deps.statePool, input.requestId);
  const attempt = { request: request ?? null, actor: input.userId, channel: input.channel ?? null };
  if (!request) return refuse(deps, attempt, { reason: 'unknown_request', detail: input.requestId });
  const closed = await closedOrExpired(deps, request);
  if (closed)
    return refuse(deps, { ...attempt, request: (await getRequest(deps.statePool, request.id)) ?? request }, closed);
  if (input.userId !== request.requestedBy) {
    const check = await checkApprover(deps.policy, input.userId, deps.resolveGroup);
    if (!check.ok) return refuse(deps, attempt, { reason: 'not_an_approver', detail: check.detail });
  }
  const rejected = await decide(deps.statePool, request.id, 'rejected', input.userId, clock(deps));
  if (!rejected)
    return refuse(
      deps,
      { ...attempt, request: (await getRequest(deps.statePool, request.id)) ?? request },
      await lostRace(deps, request.id, input.userId),
    );
  await appendAudit(deps.statePool, {
    event: 'rejected',
    requestId: rejected.id,
    actor: input.userId,
    channel: input.channel ?? rejected.channel,
    target: rejected.target,
    action: rejected.action,
    statement: rejected.statement,
    details: input.note ? { note: input.note } : null,
  });
  return {
    request: rejected,
    cardChanged: true,
    notice: { kind: 'rejected', text: `Rejected by ${input.userId}; nothing ran.` },
  };
}

/** Moves every pending request past its expiry to 'expired' (audited once each); returns the cards to update. */
export async function expireDue(deps: HealingDeps): Promise<ApprovalRequest[]> {
  const expired: ApprovalRequest[] = [];
  for (const id of await dueRequestIds(deps.statePool, clock(deps))) {
    const request = await expireNow(deps, id);
    if (request) expired.push(request);
  }
  return expired;
}

async function expireNow(deps: HealingDeps, id: string): Promise<ApprovalRequest | undefined> {
  const request = await decide(deps.statePool, id, 'expired', null, clock(deps));
  if (request) {
    await appendAudit(deps.statePool, {
      event: 'expired',
      requestId: id,
      channel: request.channel,
      target: request.target,
      action: request.action,
      statement: request.statement,
    });
  }
  return request;
}

/** Not pending any more, or past its expiry (recorded as expired right here, once). */
async function closedOrExpired(deps: HealingDeps, request: ApprovalRequest): Promise<Refusal | null> {
  if (request.status === 'expired') return { reason: 'expired', detail: `expired at ${request.expiresAt}` };
  if (request.status !== 'pending') return { reason: 'already_decided', detail: `status ${request.status}` };
  const expired = await expireNow(deps, request.id);
  return expired ? { reason: 'expired', detail: `expired at ${expired.expiresAt}`, cardChanged: true } : null;
}

async function approvalRefusal(deps: HealingDeps, request: ApprovalRequest, userId: string): Promise<Refusal | null> {
  const target = targetNow(deps, request);
  if ('gone' in target) return { reason: 'target_gone', detail: target.gone };
  if (!deps.policy.enabledFor(request.target)) return { reason: 'healing_off', detail: request.target };
  if (userId === request.requestedBy && !deps.policy.allowSelfApproval)
    return { reason: 'self_approval', detail: `${userId} requested it` };
  if (request.approvers.includes(userId))
    return { reason: 'already_approved_by_you', detail: `approvers so far: ${request.approvers.join(', ')}` };
  const check = await checkApprover(deps.policy, userId, deps.resolveGroup);
  return check.ok ? null : { reason: 'not_an_approver', detail: check.detail };
}

/**
 * A request whose target is gone can never run: closed with the refusal (one transaction), so its card is redrawn
 * without buttons, saying why, instead of offering Approve until it expires.
 */
async function refuseTargetGone(
  deps: HealingDeps,
  attempt: { request: ApprovalRequest; actor: string; channel: string | null },
  refusal: Refusal,
): Promise<HealingResult> {
  const { request, actor } = attempt;
  const summary = refusalText(refusal.reason, request, refusal.detail);
  return inTransaction(deps.statePool, async (db) => {
    const closed = await closeUnrunnable(db, request.id, actor, { ok: false, summary }, clock(deps));
    const now = closed ?? (await getRequest(db, request.id)) ?? request;
    return refuse(deps, { ...attempt, request: now }, { ...refusal, cardChanged: Boolean(closed) }, db);
  });
}

/** The compare-and-set found nothing to change: say why, from what the database holds now. */
async function lostRace(deps: HealingDeps, id: string, userId: string): Promise<Refusal> {
  const current = await getRequest(deps.statePool, id);
  if (current?.status === 'pending') {
    const expired = await closedOrExpired(deps, current);
    if (expired) return expired;
    if (current.approvers.includes(userId))
      return { reason: 'already_approved_by_you', detail: `approvers so far: ${current.approvers.join(', ')}` };
    if (current.requestedBy === userId) return { reason: 'self_approval', detail: `${userId} requested it` };
  }
  return {
    reason: current?.status === 'expired' ? 'expired' : 'already_decided',
    detail: `status ${current?.status ?? 'unknown'}`,
  };
}
