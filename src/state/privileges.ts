import pg from 'pg';
import type { Queryable } from './requests.js';

/**
 * What the runtime role (PGMEDIC_STATE_DATABASE_URL) may do when an owner role (PGMEDIC_STATE_OWNER_URL) owns the
 * schema: read and write its working tables, read migrations, and only read and append to the audit log. It owns
 * nothing, so it cannot disable the audit trigger, drop or truncate the table. Run under the migration lock
 * (concurrent GRANTs on one object fail), after every migration, so new tables are covered.
 */
export function runtimeGrantsSql(role: string): string {
  const r = pg.escapeIdentifier(role);
  return `
GRANT USAGE ON SCHEMA pgmedic TO ${r};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgmedic TO ${r};
REVOKE INSERT, UPDATE, DELETE ON pgmedic.schema_migrations FROM ${r};
REVOKE ALL ON pgmedic.audit_log FROM ${r};
GRANT SELECT, INSERT ON pgmedic.audit_log TO ${r};`;
}

interface RiskRow {
  role: string;
  superuser: boolean;
  owner: boolean;
  schema_owner: boolean;
  can_update: boolean;
  can_delete: boolean;
  can_truncate: boolean;
}

/**
 * Ways the connected role could still change or remove audit rows; empty when the audit log is append-only
 * for it by privilege (not only by trigger). Membership counts: a member of the owner role can become it.
 */
export async function auditTamperRisks(db: Queryable): Promise<{ role: string; risks: string[] }> {
  const { rows } = await db.query<RiskRow>(`
SELECT current_user AS role, r.rolsuper AS superuser,
  pg_has_role(current_user, c.relowner, 'MEMBER') AS owner,
  pg_has_role(current_user, n.nspowner, 'MEMBER') AS schema_owner,
  has_table_privilege(c.oid, 'UPDATE') OR has_any_column_privilege(c.oid, 'UPDATE') AS can_update,
  has_table_privilege(c.oid, 'DELETE') AS can_delete,
  has_table_privilege(c.oid, 'TRUNCATE') AS can_truncate
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_roles r ON r.rolname = current_user
WHERE c.oid = 'pgmedic.audit_log'::regclass`);
  const row = rows[0];
  if (!row) return { role: 'unknown', risks: ['pgmedic.audit_log was not found'] };
  const risks = [
    row.superuser && 'is a superuser',
    row.owner && 'owns pgmedic.audit_log (can disable its trigger, drop it)',
    row.schema_owner && 'owns schema pgmedic (can drop the table)',
    row.can_update && 'has UPDATE',
    row.can_delete && 'has DELETE',
    row.can_truncate && 'has TRUNCATE',
  ].filter((risk): risk is string => typeof risk === 'string');
  return { role: row.role, risks };
}

/** The one loud start-up line, or undefined when the audit log is append-only by privilege. */
export function tamperWarning(found: { role: string; risks: string[] }): string | undefined {
  if (!found.risks.length) return undefined;
  return `AUDIT LOG NOT TAMPER-PROOF: pgmedic's runtime role "${found.role}" ${found.risks.join(', ')}, so it could change or delete audit rows. Give pgmedic a runtime role that owns nothing and set PGMEDIC_STATE_OWNER_URL to the owner role (README, "Database roles").`;
}
