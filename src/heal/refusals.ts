import { appendAudit, type RefusalReason } from '../state/audit.js';
import type { ApprovalRequest, Queryable, RequestStatus } from '../state/requests.js';
import type { HealingDeps, HealingResult } from './types.js';

/** A request's status as the sentence "This request is already …" ends. */
const STATUS_WORDS: Record<RequestStatus, string> = {
  pending: 'waiting for approval',
  approved: 'approved and running',
  rejected: 'rejected',
  expired: 'expired',
  succeeded: 'done',
  failed: 'done (it failed)',
  target_changed: 'closed: its target changed or is gone',
  outcome_unknown: 'finished with an unknown outcome',
  interrupted: 'interrupted',
};

/** The sentence the refused person reads (ephemeral); the detail goes to the audit log too. */
export function refusalText(reason: RefusalReason, request: ApprovalRequest | null, detail: string): string {
  switch (reason) {
    case 'not_an_approver':
      return `Only approvers can approve healing actions (${detail}).`;
    case 'self_approval':
      return 'You asked for this action, so someone else has to approve it.';
    case 'expired':
      return `This request expired at ${request?.expiresAt ?? '?'}; ask again if it is still needed.`;
    case 'already_decided':
      return `This request is already ${request ? STATUS_WORDS[request.status] : 'decided'}${request?.decidedBy ? ` (by ${request.decidedBy})` : ''}; nothing more will run.`;
    case 'already_approved_by_you':
      return 'Your approval is already counted; it needs another approver.';
    case 'healing_off':
      return `Healing actions are turned off for target "${request?.target ?? detail}".`;
    case 'target_gone':
      return `Nothing ran: ${detail}. Ask again on the target as it is configured now.`;
    case 'unknown_request':
      return 'This approval request does not exist (any more).';
    case 'preview_refused':
      return detail;
  }
}

export interface Refusal {
  reason: RefusalReason;
  detail: string;
  /** The request changed while refusing (an expiry was recorded): re-render the card. */
  cardChanged?: boolean;
}

/** Audits a refused attempt (on `db`, when it belongs to a transaction) and answers it; nothing ran. */
export async function refuse(
  deps: HealingDeps,
  attempt: {
    request: ApprovalRequest | null;
    actor: string;
    channel?: string | null;
    target?: string;
    action?: string;
  },
  refusal: Refusal,
  db: Queryable = deps.statePool,
): Promise<HealingResult> {
  const { request } = attempt;
  await appendAudit(db, {
    event: 'refused',
    reason: refusal.reason,
    requestId: request?.id ?? null,
    actor: attempt.actor,
    channel: attempt.channel ?? request?.channel ?? null,
    target: request?.target ?? attempt.target ?? null,
    action: request?.action ?? attempt.action ?? null,
    statement: request?.statement ?? null,
    details: { detail: refusal.detail },
  });
  return {
    request,
    cardChanged: refusal.cardChanged ?? false,
    notice: { kind: 'refused', reason: refusal.reason, text: refusalText(refusal.reason, request, refusal.detail) },
  };
}
