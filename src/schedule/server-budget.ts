import { serverKeyOf } from '../db/server-key.js';
import type { Target } from '../db/targets.js';
import { createLimiter } from './bounded.js';

export interface ServerBudget {
  /** Before a run: targets of a server with more of them than the budget close their connections after each use. */
  plan(targets: readonly Target[]): void;
  /** Whether the target is one of more databases of its server in this run than the budget. */
  crowded(target: Target): boolean;
  /** One piece of work on a target, waiting while its server's budget is in use. */
  run<T>(target: Target, work: () => Promise<T>): Promise<T>;
}

/**
 * At most `perServer` targets of one server worked on at once by a scheduled job (the alert watch, the digest, the
 * snapshots). Each target is a pool of its own, and an idle connection stays open for 30 s (src/db/pools.ts), so a
 * job going through 100 databases of one server would hold 100 connections: work on one server waits for a slot,
 * and when the job has more of its databases than the budget, their connections close after each use (a reconnect
 * costs milliseconds; a server out of connections costs every client). A command may open a second session beside
 * its first (CollectContext.alongside), so the server sees at most twice the budget.
 */
export function serverBudget(perServer: number): ServerBudget {
  let crowded = new Set<Target>();
  const limiters = new Map<string, ReturnType<typeof createLimiter>>();
  const limiterFor = (target: Target) => {
    const key = serverKeyOf(target.config.url);
    const limiter = limiters.get(key) ?? createLimiter(perServer);
    limiters.set(key, limiter);
    return limiter;
  };
  return {
    plan(targets) {
      const counts = new Map<string, number>();
      const keys = targets.map((t) => serverKeyOf(t.config.url));
      for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
      crowded = new Set(targets.filter((_, i) => counts.get(keys[i]!)! > perServer));
    },
    crowded: (target) => crowded.has(target),
    run: (target, work) =>
      limiterFor(target)(async () => {
        try {
          return await work();
        } finally {
          if (crowded.has(target)) await target.closeIdleConnections?.().catch(() => undefined);
        }
      }),
  };
}
