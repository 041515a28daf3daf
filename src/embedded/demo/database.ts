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
 * state in `pgmedic_state`, owned by `pgmedic`. The demo workload runs as `shop`.
 */
export interface DemoUrls {
  monitor: string;
  action: string;
  state: string;
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
  ['pgmedic_monitor', 'CREATE ROLE pgmedic_monitor LOGIN IN ROLE pg_monitor'],
  ['pgmedic_healer', 'CREATE ROLE pgmedic_healer LOGIN IN ROLE pg_signal_backend, pg_monitor; GRANT shop TO pgmedic_healer'],
] as const;

/** Starts (creating on first run) the embedded PostgreSQL with the demo roles, databases, schema and data. */
export async function startDemoDatabase(options: DemoDatabaseOptions): Promise<DemoDatabase> {
  const { dataDir, progress } = options;
  const firstRun = !existsSync(join(dataDir, 'PG_VERSION'));
  if (firstRun) progress(`first start: creating an embedded PostgreSQL ${DEMO_MAJOR} in ${dataDir} (kept between runs; delete the folder to start over)…`);
  mkdirSync(dirname(dataDir), { recursive: true });
  const cluster = await startCluster({ major: DEMO_MAJOR, dataDir, settings: { autovacuum_naptime: '20s', log_min_messages: 'fatal' } });
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
    app: cluster.url('shop', 'shop'),
  };
  return { cluster, urls, stop: () => cluster.stop() };
}

/** Roles and databases, each created only when missing (a first run may have been interrupted). */
async function prepareServer(cluster: Cluster): Promise<void> {
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  try {
    const existingRoles = new Set((await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
    for (const [role, sql] of ROLES_SQL) if (!existingRoles.has(role)) await admin.query(sql);
    const existingDbs = new Set((await admin.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname));
    if (!existingDbs.has('shop')) await admin.query('CREATE DATABASE shop OWNER shop');
    if (!existingDbs.has('pgmedic_state')) await admin.query('CREATE DATABASE pgmedic_state OWNER pgmedic');
  } finally {
    await admin.end();
  }
  const shopAdmin = new pg.Client({ connectionString: cluster.url('shop') });
  await shopAdmin.connect();
  await shopAdmin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').finally(() => shopAdmin.end());
}
