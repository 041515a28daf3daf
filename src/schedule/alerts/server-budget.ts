import { serverKeyOf } from '../../db/server-key.js';
import type { Target } from '../../db/targets.js';
import { createLimiter } from '../bounded.js';

export interface ServerBudget {
  /** Before a round: targets of a server with more of them than the budget close their connections after each look. */
  plan(targets: readonly Target[]): void;
  /** One look at a target, waiting while its server's budget is in use. */
  run<T>(target: Target, look: () => Promise<T>): Promise<T>;
}

/**
 * At most `perServer` connections of the watch on one server. Each target is a pool of its own, and an idle
 * connection stays open for 30 s (src/db/pools.ts), so a copy watching 100 databases of one server every few
 * seconds would hold 100 connections: looks at one server wait for a slot, and when the copy watches more of its
 * databases than the budget, their connections close after each look (a reconnect costs milliseconds; a server out
 * of connections costs every client).
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
    run: (target, look) =>
      limiterFor(target)(async () => {
        try {
          return await look();
        } finally {
          if (crowded.has(target)) await target.closeIdleConnections?.().catch(() => undefined);
        }
      }),
  };
}
