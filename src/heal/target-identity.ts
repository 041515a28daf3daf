import { createHash } from 'node:crypto';
import type { TargetConfig } from '../config/schema.js';
import type { Target } from '../db/targets.js';
import { serverKeyOf } from '../db/server-key.js';
import type { ApprovalRequest } from '../state/requests.js';
import type { HealingDeps } from './types.js';

/**
 * Which database a target reaches, for reading and for actions: server, port and database (never the password).
 * Stored with each request (details.database) and compared before approving and before running: a reload may remove a
 * target and bring back its name pointing somewhere else, and an approval must never run on a database nobody saw.
 */
export function databaseIdentity(config: Pick<TargetConfig, 'url' | 'actionUrl'>): string {
  const where = (url: string) => {
    try {
      const parsed = new URL(url);
      const database = decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username);
      return `${serverKeyOf(url)}/${database}`;
    } catch {
      // Not a URL we can read: a digest of it, so the secret in it is never stored.
      return `sha256:${createHash('sha256').update(url).digest('hex').slice(0, 32)}`;
    }
  };
  return config.actionUrl ? `${where(config.url)} actions ${where(config.actionUrl)}` : where(config.url);
}

/** The request's target as configured now, or why it must not run there (removed, or reaching another database). */
export function targetNow(deps: Pick<HealingDeps, 'targets'>, request: ApprovalRequest): Target | { gone: string } {
  if (!deps.targets.names().includes(request.target))
    return { gone: `target "${request.target}" is no longer configured (config reload or database discovery)` };
  const target = deps.targets.get(request.target);
  const then = request.details.database;
  const now = databaseIdentity(target.config);
  if (then !== now)
    return {
      gone:
        typeof then === 'string'
          ? `target "${request.target}" reached ${then} when this was requested and reaches ${now} now`
          : `this request does not record which database it was previewed on`,
    };
  return target;
}
