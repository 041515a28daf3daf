import type { Queryable } from './requests.js';

export type AuditEvent =
  | 'requested'
  | 'approval'
  | 'approved'
  | 'rejected'
  | 'refused'
  | 'expired'
  | 'verification_failed'
  | 'execution_started'
  | 'executed'
  | 'execution_failed'
  | 'outcome_unknown'
  | 'interrupted';

export type RefusalReason =
  | 'not_an_approver'
  | 'self_approval'
  | 'expired'
  | 'already_decided'
  | 'already_approved_by_you'
  | 'healing_off'
  | 'target_gone'
  | 'unknown_request'
  | 'preview_refused';

export interface AuditEntry {
  event: AuditEvent;
  reason?: RefusalReason | null;
  requestId?: string | null;
  /** Slack user id of whoever acted (null for the bot itself, e.g. expiry). */
  actor?: string | null;
  channel?: string | null;
  target?: string | null;
  action?: string | null;
  statement?: string | null;
  details?: Record<string, unknown> | null;
}

export interface AuditRecord extends Required<{ [K in keyof AuditEntry]: Exclude<AuditEntry[K], undefined> }> {
  id: number;
  at: string;
}

export async function appendAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO pgmedic.audit_log (event, reason, request_id, actor, channel, target, action, statement, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      entry.event,
      entry.reason ?? null,
      entry.requestId ?? null,
      entry.actor ?? null,
      entry.channel ?? null,
      entry.target ?? null,
      entry.action ?? null,
      entry.statement ?? null,
      entry.details ? JSON.stringify(entry.details) : null,
    ],
  );
}

interface Row {
  id: number;
  at: Date;
  event: AuditEvent;
  reason: RefusalReason | null;
  request_id: string | null;
  actor: string | null;
  channel: string | null;
  target: string | null;
  action: string | null;
  statement: string | null;
  details: Record<string, unknown> | null;
}

/** Newest first; `target` undefined means every target, `requestId` narrows to one request's trail. */
export async function readAudit(
  db: Queryable,
  filter: { target?: string; requestId?: string; limit: number },
): Promise<AuditRecord[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM pgmedic.audit_log
     WHERE ($1::text IS NULL OR target = $1) AND ($2::text IS NULL OR request_id = $2)
     ORDER BY id DESC LIMIT $3`,
    [filter.target ?? null, filter.requestId ?? null, filter.limit],
  );
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    event: r.event,
    reason: r.reason,
    requestId: r.request_id,
    actor: r.actor,
    channel: r.channel,
    target: r.target,
    action: r.action,
    statement: r.statement,
    details: r.details,
  }));
}
