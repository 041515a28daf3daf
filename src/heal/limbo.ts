import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { LIMBO_DEFAULTS } from '../config/state.js';
import { appendAudit } from '../state/audit.js';
import { getRequest, type ActionOutcome, type ApprovalRequest, type Queryable } from '../state/requests.js';
import { beat, closeUnfinished, staleRunningIds } from '../state/request-execution.js';
import { inTransaction } from '../state/transaction.js';
import { whatToCheck } from './limbo-hints.js';
import type { HealingDeps } from './types.js';

/**
 * No request in limbo. The executing copy beats every `heartbeatMs`; a request whose executor has been silent
 * for `staleAfterMs` is closed as 'outcome_unknown' by whichever copy sweeps next (every `sweepMs`). The
 * defaults live with the settings (src/config/state.ts).
 */
export { LIMBO_DEFAULTS };

export interface LimboSettings {
  heartbeatMs: number;
  staleAfterMs: number;
}

/** What this copy runs right now; `cancel` stops the statement on the target (set once it is sent). */
export interface RunningAction {
  request: ApprovalRequest;
  cancel?: () => Promise<void>;
  /** Set when a stop interrupted it: the executor must not send the statement any more. */
  interrupted?: boolean;
}

export interface CopyState extends LimboSettings {
  /** Recorded as the executor of what this copy runs: host, pid and a random part (pids repeat across hosts). */
  id: string;
  running: Map<string, RunningAction>;
}

export const newCopyId = (): string => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export function createCopyState(settings: Partial<LimboSettings> & { id?: string } = {}): CopyState {
  return {
    id: settings.id ?? newCopyId(),
    heartbeatMs: settings.heartbeatMs ?? LIMBO_DEFAULTS.heartbeatMs,
    staleAfterMs: settings.staleAfterMs ?? LIMBO_DEFAULTS.staleAfterMs,
    running: new Map(),
  };
}

/** Beats for `request` until the returned stopper is called. A failed beat is left to the sweep to judge. */
export function startHeartbeat(deps: HealingDeps, requestId: string): () => void {
  const timer = setInterval(
    () => void beat(deps.statePool, requestId, deps.copy.id).catch(() => undefined),
    deps.copy.heartbeatMs,
  );
  timer.unref();
  return () => clearInterval(timer);
}

/** The outcome recorded when pgmedic cannot say what happened, with what a person should check. */
export function unknownOutcome(request: ApprovalRequest, why: string): ActionOutcome {
  return {
    ok: false,
    summary: `${why} Check: ${whatToCheck(request).join(' ')}`,
    finishedAt: new Date().toISOString(),
  };
}

/** One sweep: every approved request whose executor went silent becomes 'outcome_unknown' (once, audited). */
export async function sweepStale(deps: HealingDeps): Promise<ApprovalRequest[]> {
  const closed: ApprovalRequest[] = [];
  for (const id of await staleRunningIds(deps.statePool, deps.copy.staleAfterMs)) {
    const request = await inTransaction(deps.statePool, async (db) => {
      const current = await closeUnfinishedStale(db, deps, id);
      if (current)
        await appendAudit(db, {
          ...auditBase(current),
          event: 'outcome_unknown',
          details: {
            executor: current.executor,
            lastHeartbeat: current.heartbeatAt,
            summary: current.outcome?.summary,
          },
        });
      return current;
    });
    if (request) closed.push(request);
  }
  return closed;
}

async function closeUnfinishedStale(
  db: Queryable,
  deps: HealingDeps,
  id: string,
): Promise<ApprovalRequest | undefined> {
  const request = await getRequest(db, id);
  if (!request) return undefined;
  const silentSince = request.heartbeatAt ? ` since ${request.heartbeatAt}` : '';
  const why = `The copy of pgmedic running this (${request.executor ?? 'unknown'}) stopped answering${silentSince}, so pgmedic cannot say whether the SQL finished.`;
  return closeUnfinished(
    db,
    id,
    { status: 'outcome_unknown', staleAfterMs: deps.copy.staleAfterMs },
    unknownOutcome(request, why),
  );
}

/**
 * A stopping copy's own unfinished actions, after the shutdown grace: each becomes 'interrupted' (audited), then
 * its statement is cancelled on the target, so "interrupted" is not a guess about a statement still running there.
 */
export async function interruptRunning(deps: HealingDeps, graceMs: number): Promise<ApprovalRequest[]> {
  const interrupted: ApprovalRequest[] = [];
  for (const running of [...deps.copy.running.values()]) {
    running.interrupted = true;
    const { request, cancel } = running;
    const why = `pgmedic was stopped while this ran and waited ${Math.round(graceMs / 1000)} s for it; the statement was ${cancel ? 'cancelled' : 'not yet sent'}.`;
    const closed = await inTransaction(deps.statePool, async (db) => {
      const current = await closeUnfinished(
        db,
        request.id,
        { status: 'interrupted', executor: deps.copy.id },
        unknownOutcome(request, why),
      );
      if (current)
        await appendAudit(db, {
          ...auditBase(current),
          event: 'interrupted',
          details: { executor: deps.copy.id, graceMs, summary: current.outcome?.summary },
        });
      return current;
    });
    await cancel?.().catch(() => undefined);
    if (closed) interrupted.push(closed);
  }
  return interrupted;
}

const auditBase = (r: ApprovalRequest) => ({
  requestId: r.id,
  actor: null,
  channel: r.channel,
  target: r.target,
  action: r.action,
  statement: r.statement,
});
