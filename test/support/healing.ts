import type pg from 'pg';
import { targetSchema, type HealingFileConfig, type TargetConfig } from '../../src/config/schema.js';
import { createTargets, type Targets } from '../../src/db/targets.js';
import { createPolicy } from '../../src/heal/policy.js';
import { createHealing, type Healing } from '../../src/heal/service.js';
import { migrateStateDatabase } from '../../src/state/migrations.js';
import { createStatePool } from '../../src/state/pool.js';
import { connect } from './clients.js';
import type { TestServer } from './pg.js';

/** A target database owned by a plain role, a separate action role, and a state database on one server. */
export interface HealingServer {
  /** The `app` role (not a superuser): scenario sessions and tables belong to it. */
  appUrl: string;
  /**
   * The target's url: the README's monitoring role (pg_monitor, read-only by default, never superuser), plus
   * pg_read_all_data so `explain` and `explain-analyze` may read the scenario tables (the README's grant for that).
   */
  monitorUrl: string;
  /** The action role: pg_signal_backend + pg_monitor + member of app (owner rights), never superuser. */
  healerUrl: string;
  stateUrl: string;
  /** Superuser on the target database, for ground truth. */
  adminUrl: string;
}

const withUser = (url: string, user: string) => {
  const u = new URL(url);
  u.username = user;
  u.password = 'pw';
  return u.toString();
};

export async function prepareHealingServer(server: TestServer): Promise<HealingServer> {
  const admin = await connect(server.url());
  await admin.query(`CREATE ROLE app LOGIN PASSWORD 'pw';
    CREATE ROLE healer LOGIN PASSWORD 'pw' IN ROLE pg_signal_backend, pg_monitor;
    GRANT app TO healer;
    CREATE ROLE monitor LOGIN PASSWORD 'pw' IN ROLE pg_monitor, pg_read_all_data;
    ALTER ROLE monitor SET default_transaction_read_only = on`);
  await admin.query('CREATE DATABASE heal OWNER app');
  await admin.query('CREATE DATABASE pgmedic_state');
  await admin.end();
  const setup = await connect(server.url('heal'));
  await setup.query('CREATE EXTENSION pg_stat_statements');
  await setup.end();
  return {
    appUrl: withUser(server.url('heal'), 'app'),
    monitorUrl: withUser(server.url('heal'), 'monitor'),
    healerUrl: withUser(server.url('heal'), 'healer'),
    stateUrl: server.url('pgmedic_state'),
    adminUrl: server.url('heal'),
  };
}

export interface InstanceOptions {
  approvers?: string[];
  healing?: HealingFileConfig;
  targetHealing?: TargetConfig['healing'];
  groups?: Record<string, string[]>;
  now?: () => Date;
  /** More settings of the target (its statement_timeout, …). */
  target?: Partial<TargetConfig>;
}

/** One running "copy of the bot": its own state pool, target pools and policy. */
export interface HealingInstance {
  healing: Healing;
  statePool: pg.Pool;
  targets: Targets;
  close(): Promise<void>;
}

export async function startInstance(env: HealingServer, options: InstanceOptions = {}): Promise<HealingInstance> {
  const statePool = createStatePool(env.stateUrl);
  await migrateStateDatabase(statePool);
  const target = targetSchema.parse({
    name: 'prod',
    url: env.monitorUrl,
    actionUrl: env.healerUrl,
    ...(options.targetHealing ? { healing: options.targetHealing } : {}),
    ...options.target,
  });
  const targets = createTargets({ targets: [target], defaultTarget: 'prod' });
  const policy = createPolicy({
    approvers: options.approvers ?? ['U_BOB', 'U_CAROL', 'U_ALICE', 'S_ONCALL'],
    ...(options.healing ? { healing: options.healing } : {}),
    targets: [target],
  });
  const groups = options.groups ?? { S_ONCALL: ['U_GRACE'] };
  const healing = createHealing({
    statePool,
    targets,
    policy,
    resolveGroup: async (id) => groups[id] ?? [],
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    healing,
    statePool,
    targets,
    close: async () => void (await Promise.all([statePool.end(), targets.closeAll()])),
  };
}

/** A session of the app role that sits idle in a transaction (the usual thing to terminate). */
export async function idleInTransactionSession(
  url: string,
  applicationName = 'victim',
): Promise<{ client: pg.Client; pid: number; backendStart: string }> {
  const client = await connect(url, applicationName);
  await client.query('BEGIN');
  const { rows } = await client.query<{ pid: number; backend_start: string }>(
    'SELECT pid, backend_start::text AS backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()',
  );
  return { client, pid: rows[0]!.pid, backendStart: rows[0]!.backend_start };
}

/** Is this exact session (pid AND backend_start) still alive? Ground truth from pg_stat_activity. */
export async function sessionAlive(adminUrl: string, pid: number, backendStart: string): Promise<boolean> {
  const admin = await connect(adminUrl, 'ground-truth');
  try {
    const { rowCount } = await admin.query(
      'SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND backend_start = $2::timestamptz',
      [pid, backendStart],
    );
    return rowCount === 1;
  } finally {
    await admin.end();
  }
}

/**
 * Who sent transaction control statements, from pg_stat_statements: an EXPLAIN ANALYZE pgmedic runs is the
 * monitoring role's BEGIN READ ONLY and ROLLBACK, and nothing of the action role's (ground truth).
 */
export async function transactionControlSent(adminUrl: string): Promise<{ role: string; query: string }[]> {
  const admin = await connect(adminUrl, 'ground-truth');
  try {
    const { rows } = await admin.query<{ role: string; query: string }>(
      `SELECT r.rolname AS role, s.query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
       WHERE s.query IN ('BEGIN READ ONLY', 'ROLLBACK', 'COMMIT') ORDER BY 1, 2`,
    );
    return rows;
  } finally {
    await admin.end();
  }
}
