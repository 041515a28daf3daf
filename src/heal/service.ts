import { readAudit, type AuditRecord } from '../state/audit.js';
import { attachMessage, getRequest, type ApprovalRequest } from '../state/requests.js';
import { approve, expireDue, reject, type DecisionInput } from './approve.js';
import { createCopyState, interruptRunning, sweepStale } from './limbo.js';
import { requestAction, type ActionRequestInput } from './requests.js';
import type { HealingDeps, HealingResult } from './types.js';

/**
 * The healing core the Slack layer (or the CLI) calls. Every method keeps its state in the state
 * database, so any running copy can serve any click, before or after a restart.
 */
export interface Healing {
  /** Read-only preview, then a pending request; render the approval card from `result.request`. */
  requestAction(input: ActionRequestInput): Promise<HealingResult>;
  /** Record where the card was posted so any copy can update it in place. */
  attachMessage(requestId: string, channel: string, messageTs: string): Promise<void>;
  approve(input: DecisionInput): Promise<HealingResult>;
  reject(input: DecisionInput & { note?: string }): Promise<HealingResult>;
  /** Call on a timer; returns the requests that just expired (their cards lose the buttons). */
  expireDue(): Promise<ApprovalRequest[]>;
  getRequest(requestId: string): Promise<ApprovalRequest | undefined>;
  /** Newest first, for `/pg audit [target] [--limit N]`; `target` undefined means every target. */
  recentAudit(target: string | undefined, limit: number): Promise<AuditRecord[]>;
  /** One request's full trail, oldest first. */
  requestAudit(requestId: string): Promise<AuditRecord[]>;
  /** Call on a timer: approved requests whose executor went silent become 'outcome_unknown'; returns them. */
  sweepStale(): Promise<ApprovalRequest[]>;
  /** Actions this copy is running right now. */
  readonly running: number;
  /** On stop, after the grace: this copy's unfinished actions become 'interrupted' and are cancelled; returns them. */
  interruptRunning(graceMs: number): Promise<ApprovalRequest[]>;
  /** Recorded as the executor of what this copy runs. */
  readonly copyId: string;
}

/** `copy` defaults to a fresh identity with the default heartbeat settings (src/heal/limbo.ts). */
export function createHealing(input: Omit<HealingDeps, 'copy'> & { copy?: HealingDeps['copy'] }): Healing {
  const deps: HealingDeps = { ...input, copy: input.copy ?? createCopyState() };
  return {
    sweepStale: () => sweepStale(deps),
    get running() {
      return deps.copy.running.size;
    },
    interruptRunning: (graceMs) => interruptRunning(deps, graceMs),
    copyId: deps.copy.id,
    requestAction: (input) => requestAction(deps, input),
    attachMessage: (requestId, channel, messageTs) => attachMessage(deps.statePool, requestId, channel, messageTs),
    approve: (input) => approve(deps, input),
    reject: (input) => reject(deps, input),
    expireDue: () => expireDue(deps),
    getRequest: (requestId) => getRequest(deps.statePool, requestId),
    recentAudit: (target, limit) =>
      readAudit(deps.statePool, { ...(target ? { target } : {}), limit: Math.min(Math.max(1, limit), 500) }),
    requestAudit: async (requestId) => (await readAudit(deps.statePool, { requestId, limit: 1000 })).reverse(),
  };
}
