import type { Queryable } from '../db/driver.js';

/** Where it always was: the state modules import it from here; its home is src/db/driver.ts. */
export type { Queryable };

export type RequestStatus =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'succeeded'
  | 'failed'
  | 'target_changed'
  | 'outcome_unknown'
  | 'interrupted';

/** How an approved request ended: by its executor, or (outcome_unknown, interrupted) because it could not say. */
export type FinalStatus = 'succeeded' | 'failed' | 'target_changed' | 'outcome_unknown' | 'interrupted';

/** What ran (or why nothing ran) after approval; shown on the card and kept in the audit log. */
export interface ActionOutcome {
  ok: boolean;
  /** One sentence for the card: "Session 4242 terminated and exited." */
  summary: string;
  /** The statement's result rows, for the record. */
  result?: unknown;
  /** A longer account for the request's thread (EXPLAIN ANALYZE's plan), posted once by the executor. */
  detail?: { title: string; text: string };
  error?: { code: string | null; message: string };
  startedAt?: string;
  finishedAt?: string;
}

/** An approval request as stored: everything a card needs, nothing kept only in memory. */
export interface ApprovalRequest {
  id: string;
  action: string;
  target: string;
  /** The pinned identity of what is acted on (pid + backendStart, schema + table, index + definition, …). */
  params: Record<string, string>;
  /** The exact SQL approvers saw and that runs, with its bound values. */
  statement: string;
  statementValues: string[];
  /** Snapshot of the read-only preview (report and findings) for the card. */
  details: Record<string, unknown>;
  requestedBy: string;
  channel: string | null;
  messageTs: string | null;
  status: RequestStatus;
  approvalsRequired: number;
  approvers: string[];
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  outcome: ActionOutcome | null;
  /** The copy of pgmedic that runs (or ran) it once approved, and its last sign of life. */
  executor: string | null;
  heartbeatAt: string | null;
}

export type NewRequest = Omit<
  ApprovalRequest,
  | 'status'
  | 'approvers'
  | 'decidedBy'
  | 'decidedAt'
  | 'outcome'
  | 'createdAt'
  | 'expiresAt'
  | 'executor'
  | 'heartbeatAt'
> & {
  expiryMinutes: number;
};

export interface Row {
  id: string;
  action: string;
  target: string;
  params: Record<string, string>;
  statement: string;
  statement_values: string[];
  details: Record<string, unknown>;
  requested_by: string;
  channel: string | null;
  message_ts: string | null;
  status: RequestStatus;
  approvals_required: number;
  approvers: string[];
  created_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  outcome: ActionOutcome | null;
  executor: string | null;
  heartbeat_at: Date | null;
}

/** A row as the state database returns it, as the request the rest of the code reads (request-execution.ts too). */
export const toRequest = (r: Row): ApprovalRequest => ({
  id: r.id,
  action: r.action,
  target: r.target,
  params: r.params,
  statement: r.statement,
  statementValues: r.statement_values,
  details: r.details,
  requestedBy: r.requested_by,
  channel: r.channel,
  messageTs: r.message_ts,
  status: r.status,
  approvalsRequired: r.approvals_required,
  approvers: r.approvers,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  decidedBy: r.decided_by,
  decidedAt: r.decided_at?.toISOString() ?? null,
  outcome: r.outcome,
  executor: r.executor ?? null,
  heartbeatAt: r.heartbeat_at?.toISOString() ?? null,
});

/** `now` is the injected clock, or null for the state database's own now() (one clock for every copy). */
type Clock = Date | null;

export async function insertRequest(db: Queryable, request: NewRequest, now: Clock): Promise<ApprovalRequest> {
  const { rows } = await db.query<Row>(
    `INSERT INTO pgmedic.approval_requests (id, action, target, params, statement, statement_values, details, requested_by,
       channel, message_ts, approvals_required, created_at, expires_at)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, t, t + make_interval(mins => $12)
     FROM (SELECT coalesce($13::timestamptz, now()) AS t) clock
     RETURNING *`,
    [
      request.id,
      request.action,
      request.target,
      JSON.stringify(request.params),
      request.statement,
      JSON.stringify(request.statementValues),
      JSON.stringify(request.details),
      request.requestedBy,
      request.channel,
      request.messageTs,
      request.approvalsRequired,
      request.expiryMinutes,
      now,
    ],
  );
  return toRequest(rows[0]!);
}

export async function getRequest(db: Queryable, id: string): Promise<ApprovalRequest | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM pgmedic.approval_requests WHERE id = $1', [id]);
  return rows[0] && toRequest(rows[0]);
}

/**
 * The compare-and-set every approval goes through: counts the approver once, and moves the request to
 * 'approved' when enough distinct people approved, naming `executor` (the copy that will run it) and starting
 * its heartbeat. Concurrent clicks (two bot copies, Slack retries) serialise on the row; a loser re-checks the
 * WHERE against the winner's version and gets no row. Heartbeats use the database's clock, never the injected one.
 */
export async function recordApproval(
  db: Queryable,
  id: string,
  approver: string,
  allowSelf: boolean,
  now: Clock,
  executor: string,
): Promise<ApprovalRequest | undefined> {
  const { rows } = await db.query<Row>(
    `UPDATE pgmedic.approval_requests r
     SET approvers = r.approvers || $2::text,
         status = CASE WHEN cardinality(r.approvers) + 1 >= r.approvals_required THEN 'approved' ELSE 'pending' END,
         decided_by = CASE WHEN cardinality(r.approvers) + 1 >= r.approvals_required THEN $2 END,
         decided_at = CASE WHEN cardinality(r.approvers) + 1 >= r.approvals_required THEN coalesce($4::timestamptz, now()) END,
         executor = CASE WHEN cardinality(r.approvers) + 1 >= r.approvals_required THEN $5 END,
         heartbeat_at = CASE WHEN cardinality(r.approvers) + 1 >= r.approvals_required THEN clock_timestamp() END
     WHERE r.id = $1 AND r.status = 'pending' AND r.expires_at > coalesce($4::timestamptz, now())
       AND NOT ($2 = ANY (r.approvers)) AND ($3 OR r.requested_by <> $2)
     RETURNING r.*`,
    [id, approver, allowSelf, now, executor],
  );
  return rows[0] && toRequest(rows[0]);
}

/** pending → rejected or pending → expired, once; undefined when the request had already left 'pending'. */
export async function decide(
  db: Queryable,
  id: string,
  status: 'rejected' | 'expired',
  decidedBy: string | null,
  now: Clock,
): Promise<ApprovalRequest | undefined> {
  const stillOpen =
    status === 'rejected'
      ? 'r.expires_at > coalesce($4::timestamptz, now())'
      : 'r.expires_at <= coalesce($4::timestamptz, now())';
  const { rows } = await db.query<Row>(
    `UPDATE pgmedic.approval_requests r SET status = $2, decided_by = $3, decided_at = coalesce($4::timestamptz, now())
     WHERE r.id = $1 AND r.status = 'pending' AND ${stillOpen}
     RETURNING r.*`,
    [id, status, decidedBy, now],
  );
  return rows[0] && toRequest(rows[0]);
}

/**
 * pending → target_changed, once, when its target is gone (removed, or its name now reaches another database): it
 * can never run, so it is closed at the refused click with why, not left to expire. No executor: nothing ran.
 */
export async function closeUnrunnable(
  db: Queryable,
  id: string,
  decidedBy: string,
  outcome: ActionOutcome,
  now: Clock,
): Promise<ApprovalRequest | undefined> {
  const { rows } = await db.query<Row>(
    `UPDATE pgmedic.approval_requests r SET status = 'target_changed', decided_by = $2,
       decided_at = coalesce($4::timestamptz, now()), outcome = $3
     WHERE r.id = $1 AND r.status = 'pending' RETURNING r.*`,
    [id, decidedBy, JSON.stringify(outcome), now],
  );
  return rows[0] && toRequest(rows[0]);
}

/** Ids of pending requests past their expiry (the caller expires each through `decide`). */
export async function dueRequestIds(db: Queryable, now: Clock): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    "SELECT id FROM pgmedic.approval_requests WHERE status = 'pending' AND expires_at <= coalesce($1::timestamptz, now()) ORDER BY expires_at",
    [now],
  );
  return rows.map((r) => r.id);
}

/** Where the card was posted, so any copy of the bot can update it in place later. */
export async function attachMessage(db: Queryable, id: string, channel: string, messageTs: string): Promise<void> {
  await db.query('UPDATE pgmedic.approval_requests SET channel = $2, message_ts = $3 WHERE id = $1', [
    id,
    channel,
    messageTs,
  ]);
}
