import type { Migration } from './migrations.js';

const STATUSES = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'succeeded',
  'failed',
  'target_changed',
  'outcome_unknown',
  'interrupted',
];
const EVENTS = [
  'requested',
  'approval',
  'approved',
  'rejected',
  'refused',
  'expired',
  'verification_failed',
  'execution_started',
  'executed',
  'execution_failed',
  'outcome_unknown',
  'interrupted',
];
const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * No request in limbo: the copy executing an approved request records who it is and beats a heartbeat;
 * any copy moves a request whose executor went silent to 'outcome_unknown', and a stopping copy moves its
 * own unfinished ones to 'interrupted' (src/heal/limbo.ts).
 */
export const LIMBO_MIGRATION: Migration = {
  version: 4,
  name: 'executor heartbeat, outcome_unknown and interrupted',
  sql: `
ALTER TABLE pgmedic.approval_requests DROP CONSTRAINT approval_requests_status_check;
ALTER TABLE pgmedic.approval_requests ADD CONSTRAINT approval_requests_status_check CHECK (status IN (${list(STATUSES)}));
ALTER TABLE pgmedic.approval_requests ADD COLUMN executor text, ADD COLUMN heartbeat_at timestamptz;
CREATE INDEX approval_requests_running ON pgmedic.approval_requests (heartbeat_at) WHERE status = 'approved';
ALTER TABLE pgmedic.audit_log DROP CONSTRAINT audit_log_event_check;
ALTER TABLE pgmedic.audit_log ADD CONSTRAINT audit_log_event_check CHECK (event IN (${list(EVENTS)}));`,
};
