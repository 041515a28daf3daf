import { excludeOwnBackends } from './sql.js';

/**
 * The one rule for which backends pgmedic may cancel or terminate, as an SQL expression over a
 * pg_stat_activity alias: NULL when it may, otherwise why not ('pgmedic', 'superuser', or the backend_type of
 * anything that is not a client session: walsender, autovacuum worker, …). Reports use it to decide whether to
 * offer a button, the preview to refuse, and the signal statement itself to guard (so the three never disagree).
 */
export function noSignalReasonSql(alias: string): string {
  return `(CASE
    WHEN ${alias}.backend_type IS DISTINCT FROM 'client backend' THEN coalesce(${alias}.backend_type, 'server process')
    WHEN NOT (${excludeOwnBackends(alias)}) THEN 'pgmedic'
    WHEN coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = ${alias}.usesysid), true) THEN 'superuser'
  END)`;
}

/** The sentence for a reason from noSignalReasonSql: why there is no button, or why the request is refused. */
export function noSignalText(reason: string): string {
  if (reason === 'superuser') return 'superuser session; pgmedic never signals superuser sessions';
  if (reason === 'pgmedic') return "pgmedic's own session; pgmedic never signals itself";
  return `${reason}, not a client session; pgmedic signals client sessions only`;
}
