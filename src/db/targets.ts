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
  /** Probed once and cached; re-probed after the pool opens a new connection (reconnects, failovers). */
  capabilities(): Promise<Capabilities>;
  /** A read-only session with the target's timeouts; `database` switches to another database on the same server. */
  readOnly<T>(command: string, work: (session: Session) => Promise<T>, database?: string): Promise<T>;
  /** Other databases of this server with a pool open now (bounded, closed when idle). */
  otherDatabases(): string[];
  /** Connections of the main pool right now (for /metrics). */
  poolUsage?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface Targets {
  names(): string[];
  /** The named target, or the default one; unknown names raise `unknown_target` with the closest choice. */
  get(name?: string): Target;
  closeAll(): Promise<void>;
}

export function createTarget(config: TargetConfig): Target {
  const pool = createTargetPool(config);
  let cached: Promise<Capabilities> | undefined;
  pool.on('connect', () => (cached = undefined));

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
    otherDatabases: () => others.open(),
    poolUsage: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await Promise.all([pool.end(), others.closeAll()]);
    },
  };
}

export function createTargets(config: Config): Targets {
  const byName = new Map(config.targets.map((t) => [t.name, createTarget(t)]));
  return {
    names: () => [...byName.keys()],
    get(name) {
      const wanted = name ?? config.defaultTarget;
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
