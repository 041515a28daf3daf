import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { startCluster, type Cluster } from '../cluster.js';
import { seedDemo } from './seed.js';

/** The demo runs on the newest supported major. */
export const DEMO_MAJOR = 18;

/**
 * Who connects as what. pgmedic itself never uses the superuser: it reads as `pgmedic_monitor` (pg_monitor),
 * acts as `pgmedic_healer` (pg_signal_backend, pg_monitor, member of the owner role `shop`), and keeps its own
 * state in `pgmedic_state` as `pgmedic`, a role that owns nothing there: `pgmedic_state_owner` owns the schema and
 * runs the migrations, so the demo shows the README's setup (audit log append-only by privilege, no start-up
 * warning). The demo workload runs as `shop`.
 */
export interface DemoUrls {
  monitor: string;
  action: string;
  state: string;
  stateOwner: string;
  app: string;
}

export interface DemoDatabase {
  cluster: Cluster;
  urls: DemoUrls;
  stop(): Promise<void>;
}

export interface DemoDatabaseOptions {
  dataDir: string;
  /** Rows in the bloated orders table (default makes it about 150 MB, above `/pg bloat`'s 100 MB floor). */
  orders?: number;
  /** Progress lines for the person waiting. */
  progress(line: string): void;
}

const ROLES_SQL = [
  ['shop', 'CREATE ROLE shop LOGIN'],
  ['pgmedic', 'CREATE ROLE pgmedic LOGIN'],
  ['pgmedic_state_owner', 'CREATE ROLE pgmedic_state_owner LOGIN'],
  ['pgmedic_monitor', 'CREATE ROLE pgmedic_monitor LOGIN IN ROLE pg_monitor'],
  [
    'pgmedic_healer',
    'CREATE ROLE pgmedic_healer LOGIN IN ROLE pg_signal_backend, pg_monitor; GRANT shop TO pgmedic_healer',
  ],
] as const;

/** Starts (creating on first run) the embedded PostgreSQL with the demo roles, databases, schema and data. */
export async function startDemoDatabase(options: DemoDatabaseOptions): Promise<DemoDatabase> {
  const { dataDir, progress } = options;
  const firstRun = !existsSync(join(dataDir, 'PG_VERSION'));
  if (firstRun)
    progress(
      `first start: creating an embedded PostgreSQL ${DEMO_MAJOR} in ${dataDir} (kept between runs; delete the folder to start over)…`,
    );
  mkdirSync(dirname(dataDir), { recursive: true });
  const cluster = await startCluster({
    major: DEMO_MAJOR,
    dataDir,
    settings: { autovacuum_naptime: '20s', log_min_messages: 'fatal' },
  });
  try {
    await prepareServer(cluster);
    await seedDemo(cluster.url('shop', 'shop'), cluster.url('shop'), { orders: options.orders ?? 1_000_000, progress });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  const urls = {
    monitor: cluster.url('shop', 'pgmedic_monitor'),
    action: cluster.url('shop', 'pgmedic_healer'),
    state: cluster.url('pgmedic_state', 'pgmedic'),
    stateOwner: cluster.url('pgmedic_state', 'pgmedic_state_owner'),
    app: cluster.url('shop', 'shop'),
  };
  return { cluster, urls, stop: () => cluster.stop() };
}

/** A data folder from before the owner role existed: `pgmedic` owned the state database and its tables. */
async function handStateToOwner(cluster: Cluster): Promise<void> {
  const state = new pg.Client({ connectionString: cluster.url('pgmedic_state') });
  await state.connect();
  try {
    const { rows } = await state.query<{ owned: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgmedic' AND nspowner = 'pgmedic'::regrole) AS owned",
    );
    if (rows[0]?.owned) await state.query('REASSIGN OWNED BY pgmedic TO pgmedic_state_owner');
  } finally {
    await state.end();
  }
}

/** Roles and databases, each created only when missing (a first run may have been interrupted). */
async function prepareServer(cluster: Cluster): Promise<void> {
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  try {
    const existingRoles = new Set(
      (await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname),
    );
    for (const [role, sql] of ROLES_SQL) if (!existingRoles.has(role)) await admin.query(sql);
    const existingDbs = new Set(
      (await admin.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname),
    );
    if (!existingDbs.has('shop')) await admin.query('CREATE DATABASE shop OWNER shop');
    if (!existingDbs.has('pgmedic_state')) await admin.query('CREATE DATABASE pgmedic_state OWNER pgmedic_state_owner');
  } finally {
    await admin.end();
  }
  await handStateToOwner(cluster);
  const shopAdmin = new pg.Client({ connectionString: cluster.url('shop') });
  await shopAdmin.connect();
  await shopAdmin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').finally(() => shopAdmin.end());
}
