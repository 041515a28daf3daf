import type { Status } from '../report/model.js';

export interface TargetStatus {
  status: Status | 'error';
  summary: string;
  command: string;
  at: Date;
  serverVersion?: string;
}

/**
 * Last known health per target, for the Home tab. Kept in memory: it is a convenience view, rebuilt by the
 * next command after a restart; shared state (approvals, audit) belongs to the state database (healing issue).
 */
export interface StatusBoard {
  record(target: string, status: TargetStatus): void;
  get(target: string): TargetStatus | undefined;
}

export function createStatusBoard(): StatusBoard {
  const latest = new Map<string, TargetStatus>();
  return {
    record: (target, status) => void latest.set(target, status),
    get: (target) => latest.get(target),
  };
}
