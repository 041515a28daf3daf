import type pg from 'pg';
import { HISTORY_MIGRATION } from './history-migration.js';
import { LEASE_MIGRATION } from './lease-migration.js';
import { LIMBO_MIGRATION } from './limbo-migration.js';
import { runtimeGrantsSql } from './privileges.js';
import { SCHEDULE_MIGRATION } from './schedule-migration.js';
import { SLACK_MIGRATION } from './slack-migration.js';

/** One schema change; never edit an applied one, add the next version instead. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Any constant works; it only has to be the same in every copy of the bot. */
const MIGRATION_LOCK_KEY = 7_346_214_001;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'approval requests and append-only audit log',
    sql: `
CREATE TABLE pgmedic.approval_requests (
  id text PRIMARY KEY,
  action text NOT NULL,
  target text NOT NULL,
  params jsonb NOT NULL,
  statement text NOT NULL,
  statement_values jsonb NOT NULL DEFAULT '[]',
  details jsonb NOT NULL,
  requested_by text NOT NULL,
  channel text,
  message_ts text,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'succeeded', 'failed', 'target_changed')),
  approvals_required int NOT NULL CHECK (approvals_required >= 1),
  approvers text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  decided_by text,
  decided_at timestamptz,
  outcome jsonb
);
CREATE INDEX approval_requests_pending ON pgmedic.approval_requests (expires_at) WHERE status = 'pending';

CREATE TABLE pgmedic.audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  event text NOT NULL CHECK (event IN ('requested', 'approval', 'approved', 'rejected', 'refused', 'expired',
    'verification_failed', 'execution_started', 'executed', 'execution_failed')),
  reason text,
  request_id text,
  actor text,
  channel text,
  target text,
  action text,
  statement text,
  details jsonb
);
CREATE INDEX audit_log_by_target ON pgmedic.audit_log (target, id DESC);
CREATE INDEX audit_log_by_request ON pgmedic.audit_log (request_id, id);

CREATE FUNCTION pgmedic.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'pgmedic.audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON pgmedic.audit_log
  FOR EACH ROW EXECUTE FUNCTION pgmedic.refuse_audit_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON pgmedic.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION pgmedic.refuse_audit_change();`,
  },
  SCHEDULE_MIGRATION,
  SLACK_MIGRATION,
  LIMBO_MIGRATION,
  LEASE_MIGRATION,
  HISTORY_MIGRATION,
];

/**
 * Brings the state database to the newest version. Copies starting at once queue on one advisory
 * lock, so each migration runs exactly once; each runs in its own transaction with its bookkeeping row.
 * With `grantTo` (the pool is the owner role's), the runtime role then gets exactly its privileges
 * (src/state/privileges.ts), under the same lock. Returns the versions this call applied.
 */
export async function migrateStateDatabase(
  pool: pg.Pool,
  migrations: readonly Migration[] = MIGRATIONS,
  options: { grantTo?: string } = {},
): Promise<number[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await applyPending(client, migrations);
      if (options.grantTo)
        await client.query(`BEGIN;${runtimeGrantsSql(options.grantTo)}
COMMIT`);
      return applied;
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
        .catch((error: Error) => (broken = error));
    }
  } finally {
    client.release(broken);
  }
}

async function applyPending(client: pg.PoolClient, migrations: readonly Migration[]): Promise<number[]> {
  // Created only when missing: a runtime role that owns nothing may start on a database its owner already migrated.
  const { rows: found } = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('pgmedic.schema_migrations') IS NOT NULL AS exists",
  );
  if (!found[0]?.exists) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS pgmedic;
CREATE TABLE IF NOT EXISTS pgmedic.schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  }
  const { rows } = await client.query<{ version: number }>('SELECT version FROM pgmedic.schema_migrations');
  const applied = new Set(rows.map((r) => r.version));
  const done: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    await client.query('BEGIN');
    try {
      await client.query(migration.sql);
      await client.query('INSERT INTO pgmedic.schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    done.push(migration.version);
  }
  return done;
}
