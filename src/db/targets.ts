import type pg from 'pg';
import type { Config, TargetConfig } from '../config/schema.js';
import { resolveThresholds, type Thresholds } from '../config/thresholds.js';
import { AppError, suggestion } from '../errors.js';
import { probeCapabilities, type Capabilities } from './capabilities.js';
import { otherDatabasePools } from './other-databases.js';
import { createTargetPool } from './pools.js';
import { withReadOnlySession, type Session } from './session.js';

/** A configured database with its pool and cached capabilities. */
export interface Target {
  readonly name: string;
  readonly config: TargetConfig;
  readonly thresholds: Thresholds;
  /** Probed once and cached; re-probed after the pool has lost all its connections (reconnects, failovers). */
  capabilities(): Promise<Capabilities>;
  /** A read-only session with the target's timeouts; `database` switches to another database on the same server. */
  readOnly<T>(command: string, work: (session: Session) => Promise<T>, database?: string): Promise<T>;
  /**
   * A read-only session on a connection the pool can give at once (an idle one, or room for a new one), else
   * undefined: a command's second session never queues behind the pool, so commands holding every connection
   * cannot end up waiting for each other's second sessions.
   */
  readOnlyIfFree?<T>(
    command: string,
    serverVersionNum: number,
    work: (session: Session) => Promise<T>,
  ): Promise<T> | undefined;
  /** Other databases of this server with a pool open now (bounded, closed when idle). */
  otherDatabases(): string[];
  /**
   * Closes the main pool's idle connections, so a copy watching many databases of one server holds only the
   * connections in use (src/schedule/server-budget.ts).
   */
  closeIdleConnections?(): Promise<void>;
  /** Connections of the main pool right now (for /metrics). */
  poolUsage?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface Targets {
  names(): string[];
  /**
   * Swaps in a new list (config reload, discovery): unchanged targets keep their pools, changed and removed ones
   * are closed once their running sessions end. `defaultTarget` changes with it.
   */
  replace?(configs: readonly TargetConfig[], defaultTarget?: string): Promise<{ added: string[]; removed: string[] }>;
  /** The named target, or the default one; unknown names raise `unknown_target` with the closest choice. */
  get(name?: string): Target;
  closeAll(): Promise<void>;
}

export function createTarget(config: TargetConfig): Target {
  const pool = createTargetPool(config);
  let cached: Promise<Capabilities> | undefined;
  // Re-probed once the pool has lost every connection (idle timeout, server restart, failover): the next one
  // may reach another server. Not on each extra connection: a new backend probing costs as much as a check. Nor
  // when this target closed them on purpose (closeIdleConnections): their replacements reach the same server.
  let closedOnPurpose = 0;
  pool.on('remove', () => {
    if (closedOnPurpose > 0) closedOnPurpose--;
    else if (pool.totalCount === 0) cached = undefined;
  });

  const sessionOptions = (command: string, serverVersionNum: number) => ({
    command,
    target: config.name,
    serverVersionNum,
  });

  const capabilities = (): Promise<Capabilities> => {
    if (!cached) {
      const probing = withReadOnlySession(pool, sessionOptions('probe', 0), probeCapabilities);
      cached = probing;
      probing.catch(() => {
        if (cached === probing) cached = undefined;
      });
    }
    return cached;
  };

  const listDatabases = async () => {
    const caps = await capabilities();
    const rows = await withReadOnlySession(pool, sessionOptions('databases', caps.serverVersionNum), (s) =>
      s.query<{ name: string }>('SELECT datname AS name FROM pg_catalog.pg_database WHERE datallowconn ORDER BY 1'),
    );
    return rows.map((r) => r.name);
  };
  const others = otherDatabasePools(config, listDatabases);
  const poolFor = async (database: string | undefined): Promise<pg.Pool> => (database ? others.get(database) : pool);

  return {
    name: config.name,
    config,
    thresholds: resolveThresholds(config.thresholds),
    capabilities,
    async readOnly(command, work, database) {
      const caps = await capabilities();
      return withReadOnlySession(await poolFor(database), sessionOptions(command, caps.serverVersionNum), work);
    },
    readOnlyIfFree(command, serverVersionNum, work) {
      // Checked and taken in the same turn of the event loop (pool.connect() runs synchronously up to its queue).
      if (pool.idleCount === 0 && pool.totalCount >= config.poolSize) return undefined;
      return withReadOnlySession(pool, sessionOptions(command, serverVersionNum), work);
    },
    otherDatabases: () => others.open(),
    async closeIdleConnections() {
      // pg hands out idle connections first: each one taken here is closed instead of going back.
      while (pool.idleCount > 0 && !pool.ending) {
        const client = await pool.connect();
        closedOnPurpose++;
        // Waits until the server has closed the socket, which a backend does only after leaving pg_stat_activity:
        // the next look's new connection never overlaps this one, so the per-server budget holds on the server too.
        const ended = new Promise<void>((resolve) => {
          client.once('end', () => resolve());
          setTimeout(resolve, 2_000).unref();
        });
        client.release(true);
        await ended;
      }
    },
    poolUsage: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await Promise.all([pool.end(), others.closeAll()]);
    },
  };
}

export function createTargets(config: Config): Targets {
  let byName = new Map(config.targets.map((t) => [t.name, createTarget(t)]));
  let defaultName = config.defaultTarget;
  return {
    names: () => [...byName.keys()],
    async replace(configs, defaultTarget) {
      const next = new Map<string, Target>();
      const retired: Target[] = [];
      for (const c of configs) {
        const known = byName.get(c.name);
        if (known && JSON.stringify(known.config) === JSON.stringify(c)) next.set(c.name, known);
        else next.set(c.name, createTarget(c));
      }
      for (const [name, target] of byName) if (next.get(name) !== target) retired.push(target);
      const added = [...next.keys()].filter((n) => !byName.has(n));
      const removed = [...byName.keys()].filter((n) => !next.has(n));
      byName = next;
      defaultName = defaultTarget && next.has(defaultTarget) ? defaultTarget : (configs[0]?.name ?? undefined);
      await Promise.all(retired.map((t) => t.close().catch(() => undefined)));
      return { added, removed };
    },
    get(name) {
      const wanted = name ?? defaultName;
      if (!wanted) {
        throw new AppError('unknown_target', 'No database target is configured.', {
          hint: 'Set DATABASE_URL, or PGMEDIC_CONFIG to a YAML file listing targets (see the README, "Configuration").',
        });
      }
      const target = byName.get(wanted);
      if (!target) {
        throw new AppError('unknown_target', `There is no target named "${wanted}".`, {
          hint: suggestion(wanted, [...byName.keys()]),
        });
      }
      return target;
    },
    async closeAll() {
      await Promise.all([...byName.values()].map((t) => t.close()));
    },
  };
}
