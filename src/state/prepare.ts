import type pg from 'pg';
import { MIGRATIONS, migrateStateDatabase } from './migrations.js';
import { createStatePool } from './pool.js';
import { auditTamperRisks } from './privileges.js';

export interface PreparedState {
  /** Migration versions this call applied. */
  applied: number[];
  /** The runtime role and how it could still change audit rows (empty: append-only by privilege). */
  tamper: { role: string; risks: string[] };
}

/**
 * Migrates the state database, as the owner role when `ownerUrl` is set (which then grants the runtime role what
 * it needs), and checks the runtime role. Migrations get a pool of their own without the runtime timeouts: a
 * copy may queue behind another copy's migration.
 */
export async function prepareStateDatabase(
  runtime: pg.Pool,
  urls: { url: string; ownerUrl?: string | undefined },
): Promise<PreparedState> {
  const owner = createStatePool(urls.ownerUrl ?? urls.url, 1, { timeouts: false });
  try {
    const applied = urls.ownerUrl ? await migrateAndGrant(runtime, owner) : await migrateStateDatabase(owner);
    return { applied, tamper: await auditTamperRisks(runtime) };
  } finally {
    await owner.end();
  }
}

/** With a separate owner role, the runtime role (unless it is the same role) gets its grants. */
async function migrateAndGrant(runtime: pg.Pool, owner: pg.Pool): Promise<number[]> {
  const roleOf = async (pool: pg.Pool) =>
    (await pool.query<{ role: string }>('SELECT current_user AS role')).rows[0]!.role;
  const [runtimeRole, ownerRole] = await Promise.all([roleOf(runtime), roleOf(owner)]);
  return migrateStateDatabase(owner, MIGRATIONS, runtimeRole === ownerRole ? {} : { grantTo: runtimeRole });
}
