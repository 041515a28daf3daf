/** The local workspace's one channel, its two people and the bot, as the page and the stand-in know them. */
export const WORKSPACE_CHANNEL = { id: 'C0INCIDENT', name: 'incident' } as const;

export interface WorkspaceUser {
  id: string;
  name: string;
  role: string;
}

/** Alex asks for things; Sam is the approver (PGMEDIC_APPROVERS in the local run). */
export const WORKSPACE_USERS: readonly WorkspaceUser[] = [
  { id: 'U0ALEX', name: 'alex', role: 'on call' },
  { id: 'U0SAM', name: 'sam', role: 'DBA lead, approver' },
];

export const APPROVER_ID = 'U0SAM';
