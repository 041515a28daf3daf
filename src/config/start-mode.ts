import { resolve } from 'node:path';
import { z } from 'zod';
import type { Env } from './load.js';
import { LIBPQ_DATABASE_KEYS, parseOrThrow } from './load.js';
import { presentValues } from './env-values.js';

/**
 * What `npm start` does:
 * - `slack`: Slack settings are present; connect to Slack (the databases come from DATABASE_URL / PGMEDIC_CONFIG).
 * - `workspace`: no Slack, but databases are configured; serve the local workspace against them.
 * - `demo`: nothing configured; start the embedded PostgreSQL with the demo shop, and the local workspace.
 */
export type StartMode = 'slack' | 'workspace' | 'demo';

const SLACK_KEYS = ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET'];
/** The same keys loadConfig reads a database from. */
const DATABASE_KEYS = ['DATABASE_URL', 'PGMEDIC_CONFIG', ...LIBPQ_DATABASE_KEYS];

export function chooseStartMode(env: Env): StartMode {
  const set = (key: string) => Boolean(env[key]);
  if (SLACK_KEYS.some(set)) return 'slack';
  return DATABASE_KEYS.some(set) ? 'workspace' : 'demo';
}

/** Settings of the local workspace and the demo database. */
export interface LocalSettings {
  /** The page: http://localhost:3000 by default. */
  port: number;
  /** 127.0.0.1 by default; another address only when set (start-up then warns). */
  host: string;
  /** A name people reach the page by besides localhost / 127.0.0.1 / [::1]; other Host headers are refused. */
  publicHost: string | undefined;
  /** Healing on your own databases from the workspace (its page lets anyone pick who they are): off unless set. */
  healingOnOwnDatabases: boolean;
  /** The embedded server's data folder, kept between runs. */
  demoDir: string;
  /** Rows in the demo's bloated table. */
  demoOrders: number;
  /** How often the demo's alert watch looks (PGMEDIC_DEMO_ALERT_SECONDS, default 30). */
  demoAlertSeconds: number;
}

const localSchema = z.object({
  PGMEDIC_WORKSPACE_PORT: z.coerce.number('a port number').int().min(0).max(65_535).default(3000),
  PGMEDIC_WORKSPACE_HOST: z.string().min(1).default('127.0.0.1'),
  PGMEDIC_WORKSPACE_PUBLIC_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, 'a host name without scheme or port, e.g. pgmedic.internal')
    .optional(),
  PGMEDIC_WORKSPACE_HEALING: z.enum(['on', 'off'], 'use "on" or "off"').default('off'),
  PGMEDIC_DEMO_DIR: z.string().min(1).default('.pgdata/pg18'),
  PGMEDIC_DEMO_ORDERS: z.coerce.number('a row count').int().min(1_000).max(50_000_000).default(1_000_000),
  PGMEDIC_DEMO_ALERT_SECONDS: z.coerce.number('a number of seconds').int().min(1).max(3_600).default(30),
});

export function loadLocalSettings(env: Env): LocalSettings {
  const present = presentValues(env, Object.keys(localSchema.shape));
  const parsed = parseOrThrow(localSchema, present, 'environment');
  return {
    port: parsed.PGMEDIC_WORKSPACE_PORT,
    host: parsed.PGMEDIC_WORKSPACE_HOST,
    publicHost: parsed.PGMEDIC_WORKSPACE_PUBLIC_HOST,
    healingOnOwnDatabases: parsed.PGMEDIC_WORKSPACE_HEALING === 'on',
    demoDir: resolve(parsed.PGMEDIC_DEMO_DIR),
    demoOrders: parsed.PGMEDIC_DEMO_ORDERS,
    demoAlertSeconds: parsed.PGMEDIC_DEMO_ALERT_SECONDS,
  };
}
