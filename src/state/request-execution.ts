import type { ActionOutcome, ApprovalRequest, FinalStatus, Queryable, Row } from './requests.js';
import { toRequest } from './requests.js';

/*
 * An approved request while it runs: its executor's heartbeat, its final state, and the sweep that closes what a
 * silent or stopping executor left open (src/heal/limbo.ts). Creating and deciding requests is in requests.ts.
 */

/**
 * approved → its final state, by its executor only. A late executor may still replace 'outcome_unknown' (set by
 * another copy that thought it dead) with what really happened; undefined when the request is in neither.
 */
export async function finishRequest(
  db: Queryable,
  id: string,
  executor: string,
  status: FinalStatus,
  outcome: ActionOutcome,
): Promise<ApprovalRequest | undefined> {
  const { rows } = await db.query<Row>(
    "UPDATE pgmedic.approval_requests SET status = $3, outcome = $4 WHERE id = $1 AND executor = $2 AND status IN ('approved', 'outcome_unknown') RETURNING *",
    [id, executor, status, JSON.stringify(outcome)],
  );
  return rows[0] && toRequest(rows[0]);
}

/** The executor's sign of life; false when the request is no longer its own running one. */
export async function beat(db: Queryable, id: string, executor: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE pgmedic.approval_requests SET heartbeat_at = clock_timestamp() WHERE id = $1 AND executor = $2 AND status = 'approved'",
    [id, executor],
  );
  return rowCount === 1;
}

/** Approved requests whose executor has been silent for `staleAfterMs` (by the database's clock). */
export async function staleRunningIds(db: Queryable, staleAfterMs: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM pgmedic.approval_requests
     WHERE status = 'approved' AND coalesce(heartbeat_at, decided_at) < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
     ORDER BY heartbeat_at`,
    [staleAfterMs],
  );
  return rows.map((r) => r.id);
}

/**
 * approved → outcome_unknown (executor silent for `staleAfterMs`) or → interrupted (by its own executor while
 * stopping). The WHERE re-checks the condition, so two sweeping copies close a request once.
 */
export async function closeUnfinished(
  db: Queryable,
  id: string,
  change: { status: 'outcome_unknown'; staleAfterMs: number } | { status: 'interrupted'; executor: string },
  outcome: ActionOutcome,
): Promise<ApprovalRequest | undefined> {
  const condition =
    change.status === 'interrupted'
      ? 'executor = $3'
      : 'coalesce(heartbeat_at, decided_at) < clock_timestamp() - make_interval(secs => $3::float8 / 1000)';
  const { rows } = await db.query<Row>(
    `UPDATE pgmedic.approval_requests SET status = $2, outcome = $4 WHERE id = $1 AND status = 'approved' AND ${condition} RETURNING *`,
    [
      id,
      change.status,
      change.status === 'interrupted' ? change.executor : change.staleAfterMs,
      JSON.stringify(outcome),
    ],
  );
  return rows[0] && toRequest(rows[0]);
}
