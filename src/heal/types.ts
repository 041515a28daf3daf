import type { Targets } from '../db/targets.js';
import type { AnyCommand } from '../engine/command.js';
import type { RefusalReason } from '../state/audit.js';
import type { ApprovalRequest } from '../state/requests.js';
import type { StatePool } from '../state/transaction.js';
import type { CopyState } from './limbo.js';
import type { HealingPolicy, ResolveGroup } from './policy.js';

export interface HealingDeps {
  statePool: StatePool;
  /** This running copy: its id (recorded as executor), heartbeat settings, and what it is running now. */
  copy: CopyState;
  targets: Targets;
  policy: HealingPolicy;
  /** Slack user group → member user ids, looked up at click time (usergroups.users.list). */
  resolveGroup: ResolveGroup;
  /** Tests move the clock; without it every copy uses the state database's now(). */
  now?: () => Date;
  /** Opaque request ids; the button value carries only this. */
  newId?: () => string;
  /** The action commands (defaults to the registered ones). */
  commands?: readonly AnyCommand[];
}

export type NoticeKind =
  | 'requested'
  | 'approval_recorded'
  | 'succeeded'
  | 'failed'
  | 'target_changed'
  | 'outcome_unknown'
  | 'interrupted'
  | 'rejected'
  | 'expired'
  | 'refused';

/** What the surface shows: the card's new state and a sentence for the person who clicked. */
export interface HealingResult {
  /** The request as it now stands (render the card from it); null when none exists (refused before creation, unknown id). */
  request: ApprovalRequest | null;
  /** The card must be re-rendered in place: the request changed (new approver, decided, expired, outcome). */
  cardChanged: boolean;
  notice: { kind: NoticeKind; reason?: RefusalReason; text: string };
}

// The state records the surfaces render, named through heal: Slack talks to heal, never to the state tables.
export type { AuditRecord } from '../state/audit.js';
export type { ApprovalRequest, Queryable } from '../state/requests.js';
export type { StatePool } from '../state/transaction.js';
