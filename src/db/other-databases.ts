import type pg from 'pg';
import type { TargetConfig } from '../config/schema.js';
import { AppError, suggestion } from '../errors.js';
import { createTargetPool } from './pools.js';

/** At most this many other databases of one server have a pool at once; the least recently used one goes. */
export const MAX_OTHER_DATABASE_POOLS = 4;
/** A pool unused this long is closed (the next command on that database opens a new one). */
export const OTHER_DATABASE_IDLE_MS = 5 * 60_000;

export interface OtherDatabasePools {
  /** The pool for `database`, which must be one pg_database lists as accepting connections. */
  get(database: string): Promise<pg.Pool>;
  /** Databases with an open pool, least recently used first. */
  open(): string[];
  closeAll(): Promise<void>;
}

/**
 * Pools for other databases on a target's server (`database <name>`, `wraparound <name>`). A typed name is
 * checked against pg_database before anything connects, so no name makes a pool of its own, and the pools are
 * bounded in number and closed when idle.
 */
export function otherDatabasePools(
  config: TargetConfig,
  listDatabases: () => Promise<string[]>,
  now: () => number = Date.now,
): OtherDatabasePools {
  const pools = new Map<string, { pool: pg.Pool; lastUsed: number }>();
  const close = async (database: string) => {
    const entry = pools.get(database);
    pools.delete(database);
    await entry?.pool.end().catch(() => undefined);
  };
  return {
    async get(database) {
      const idle = [...pools].filter(([, entry]) => now() - entry.lastUsed >= OTHER_DATABASE_IDLE_MS);
      await Promise.all(idle.map(([name]) => close(name)));
      const known = pools.get(database);
      if (known) {
        // Map order is use order: the first entry is the least recently used.
        pools.delete(database);
        pools.set(database, { ...known, lastUsed: now() });
        return known.pool;
      }
      const names = await listDatabases();
      if (!names.includes(database)) {
        throw new AppError(
          'bad_input',
          `There is no database named "${database}" that accepts connections on target "${config.name}".`,
          { hint: suggestion(database, names) },
        );
      }
      while (pools.size >= MAX_OTHER_DATABASE_POOLS) await close(pools.keys().next().value!);
      // The target's own pool settings (read-only, its timeouts), one connection.
      const pool = createTargetPool(config, database, 1);
      pools.set(database, { pool, lastUsed: now() });
      return pool;
    },
    open: () => [...pools.keys()],
    async closeAll() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((entry) => entry.pool.end()));
    },
  };
}
