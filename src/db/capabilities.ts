import type { Session } from './session.js';

/** What a target can do, probed rather than assumed. */
export interface Capabilities {
  serverVersionNum: number;
  /** e.g. "18.4" */
  serverVersion: string;
  inRecovery: boolean;
  currentUser: string;
  database: string;
  /** Pages of pg_class: how large the catalog is (about 40 relations a page). */
  catalogPages: number;
  /** extname → extversion for extensions installed in the connected database. */
  extensions: Record<string, string>;
  /** Schema holding each installed extension, for qualified references. */
  extensionSchemas: Record<string, string>;
  /** Columns of the pg_stat_statements view, or null when the extension is not installed. */
  pgssColumns: string[] | null;
  /** pg_stat_statements is in shared_preload_libraries (it collects nothing otherwise); null when the role may not see it. */
  pgssPreloaded: boolean | null;
  roles: {
    superuser: boolean;
    pgMonitor: boolean;
    pgReadAllStats: boolean;
    pgSignalBackend: boolean;
    /** null before PostgreSQL 17, where the role does not exist. */
    pgMaintain: boolean | null;
  };
}

/** NULL when the role does not exist (pg_maintain before 17): to_regrole gives NULL and pg_has_role is strict. */
const memberOf = (role: string) => `pg_has_role(to_regrole('${role}'), 'MEMBER')`;

export const PROBE_SQL = `
SELECT current_setting('server_version_num')::int AS version_num,
       split_part(current_setting('server_version'), ' ', 1) AS version,
       pg_is_in_recovery() AS in_recovery,
       current_user AS current_user,
       current_database() AS database,
       (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser,
       ${memberOf('pg_monitor')} AS pg_monitor,
       ${memberOf('pg_read_all_stats')} AS pg_read_all_stats,
       ${memberOf('pg_signal_backend')} AS pg_signal_backend,
       ${memberOf('pg_maintain')} AS pg_maintain,
       -- shared_preload_libraries is hidden from roles without pg_read_all_settings: NULL means unknown. Read
       -- directly, not through pg_settings (which formats every setting of the server), in a new backend per probe.
       CASE WHEN pg_has_role('pg_read_all_settings', 'USAGE')
            THEN 'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
       END AS pgss_preloaded,
       (pg_relation_size('pg_catalog.pg_class') / current_setting('block_size')::int)::int AS catalog_pages,
       coalesce((SELECT json_agg(json_build_object('name', e.extname, 'version', e.extversion, 'schema', n.nspname))
                 FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace), '[]') AS extensions,
       (SELECT json_agg(a.attname ORDER BY a.attnum)
          FROM pg_catalog.pg_extension e
          JOIN pg_catalog.pg_class c ON c.relnamespace = e.extnamespace AND c.relname = 'pg_stat_statements' AND c.relkind = 'v'
          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE e.extname = 'pg_stat_statements') AS pgss_columns`;

interface ProbeRow {
  version_num: number;
  version: string;
  in_recovery: boolean;
  current_user: string;
  database: string;
  superuser: boolean;
  pg_monitor: boolean;
  pg_read_all_stats: boolean;
  pg_signal_backend: boolean;
  pg_maintain: boolean | null;
  pgss_preloaded: boolean | null;
  catalog_pages: number;
  extensions: { name: string; version: string; schema: string }[];
  pgss_columns: string[] | null;
}

export async function probeCapabilities(session: Session): Promise<Capabilities> {
  const [row] = await session.query<ProbeRow>(PROBE_SQL);
  if (!row) throw new Error('capability probe returned no row');
  return {
    serverVersionNum: row.version_num,
    serverVersion: row.version,
    inRecovery: row.in_recovery,
    currentUser: row.current_user,
    database: row.database,
    catalogPages: row.catalog_pages,
    extensions: Object.fromEntries(row.extensions.map((e) => [e.name, e.version])),
    extensionSchemas: Object.fromEntries(row.extensions.map((e) => [e.name, e.schema])),
    pgssColumns: row.pgss_columns,
    pgssPreloaded: row.pgss_preloaded,
    roles: {
      superuser: row.superuser,
      pgMonitor: row.superuser || row.pg_monitor,
      pgReadAllStats: row.superuser || row.pg_read_all_stats,
      pgSignalBackend: row.superuser || row.pg_signal_backend,
      pgMaintain: row.pg_maintain === null ? null : row.superuser || row.pg_maintain,
    },
  };
}
